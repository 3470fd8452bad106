/**
 * What every part of the session lifecycle shares: the session row, changed in one database
 * transaction together with its log lines and intents (persist before any side effect), and the
 * settings that bound how long anything may take.
 */
import { eq, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../store/db'
import { intents, sessionEvents, sessions } from '../store/schema'
import type { ChargerGateway } from '../charging/gateway'
import type { HoldKeeper, PaymentProvider } from '../payments/provider'
import type { LiveBus } from '../live'
import type { Leases } from '../cluster/leases'
import { notFound } from '../errors'
import { nextState, type SessionEvent } from '../domain/session'
import { MeterBuffer } from './meter-buffer'
import { prepared } from '../store/prepared'

export type SessionRow = typeof sessions.$inferSelect
export type IntentRow = typeof intents.$inferSelect
export type IntentAction = IntentRow['action']

export interface SessionsOptions {
  db: Db
  payments: PaymentProvider
  /** Holds kept by someone else than `payments`, by name: payment terminals on chargers ('payter', 'ccv'). */
  holdKeepers?: Record<string, HoldKeeper>
  chargers: ChargerGateway
  live: LiveBus
  /** Leases of this process (bff/cluster): a session's intents run in one process at a time. */
  leases: Leases
  logger: Logger
  clock?: () => Date
  /** A started charger has this long to report StartTransaction (the car must be plugged in by then). */
  startTimeoutSeconds: number
  meterIntervalSeconds: number
  /** A session left in `pending` (hold never confirmed) is given up after this long. */
  pendingTimeoutSeconds?: number
  /** Longest wait for the unplug after a stop before settling anyway (idle fee then counts up to here). Default 2 h. */
  unplugWaitSeconds?: number
  /** A charger clock this far from ours is not believed for billing. Default 5 min. */
  clockToleranceSeconds?: number
  /** While waiting for the unplug, ask the charger for its connector status this often. Default 60 s. */
  statusPollSeconds?: number
  /**
   * A start whose charger went away before answering is kept this long past its start deadline,
   * waiting for the charger to come back and tell what happened. Default 10 min.
   */
  offlineStartGraceSeconds?: number
}

export interface Settings {
  startTimeoutSeconds: number
  meterIntervalSeconds: number
  pendingTimeoutSeconds: number
  unplugWaitSeconds: number
  clockToleranceMs: number
  statusPollSeconds: number
  offlineStartGraceSeconds: number
}

export interface Change {
  patch: Partial<SessionRow>
  event?: SessionEvent
  /** `keySuffix` tells a second intent of the same action apart (its own idempotency key). */
  intents?: { action: IntentAction; payload?: Record<string, unknown>; keySuffix?: string }[]
  log?: { kind: string; data?: Record<string, unknown> }[]
}

/** The read everything does: views, commands, intents, the meter path. */
const sessionById = prepared((db) => db.select().from(sessions).where(eq(sessions.id, sql.placeholder('id'))).prepare('session_by_id'))

/** The session a charger's idTag names (a charger's Authorize and StartTransaction). */
const sessionByIdTag = prepared((db) => db.select().from(sessions).where(eq(sessions.idTag, sql.placeholder('idTag'))).prepare('session_by_id_tag'))

export class SessionCore {
  readonly db: Db
  readonly payments: PaymentProvider
  readonly chargers: ChargerGateway
  readonly leases: Leases
  readonly logger: Logger
  readonly clock: () => Date
  readonly settings: Settings
  /** Live sessions' meter readings, kept in memory and stored by group commit. */
  readonly meter: MeterBuffer

  constructor(private readonly o: SessionsOptions) {
    this.db = o.db
    this.payments = o.payments
    this.chargers = o.chargers
    this.leases = o.leases
    this.logger = o.logger
    this.clock = o.clock ?? (() => new Date())
    this.settings = {
      startTimeoutSeconds: o.startTimeoutSeconds,
      meterIntervalSeconds: o.meterIntervalSeconds,
      pendingTimeoutSeconds: o.pendingTimeoutSeconds ?? 900,
      unplugWaitSeconds: o.unplugWaitSeconds ?? 7200,
      clockToleranceMs: (o.clockToleranceSeconds ?? 300) * 1000,
      statusPollSeconds: o.statusPollSeconds ?? 60,
      offlineStartGraceSeconds: o.offlineStartGraceSeconds ?? 600,
    }
    this.meter = new MeterBuffer(this.db, this.clock, (id) => this.find(id), (id) => this.publish(id), this.logger)
    // A session changed by another process is read again here at its next reading.
    o.live.onRelayed((topic) => {
      if (topic.startsWith('session:')) this.meter.forget(topic.slice('session:'.length))
    })
  }

  /** Who keeps this session's hold: the app's payment provider, or the terminal that took the card. */
  holdsOf(s: Pick<SessionRow, 'paymentProvider'>): HoldKeeper {
    if (!s.paymentProvider) return this.payments
    const keeper = this.o.holdKeepers?.[s.paymentProvider]
    if (!keeper) throw new Error(`no payment terminal '${s.paymentProvider}' is running`)
    return keeper
  }

  async get(id: string): Promise<SessionRow> {
    const session = await this.find(id)
    if (!session) throw notFound('session_not_found', 'No such session.')
    return session
  }

  async find(id: string): Promise<SessionRow | null> {
    const [session] = await sessionById(this.db).execute({ id })
    return session ?? null
  }

  async findByIdTag(idTag: string): Promise<SessionRow | null> {
    const [session] = await sessionByIdTag(this.db).execute({ idTag })
    return session ?? null
  }

  /**
   * Applies a change in one database transaction: the new state, its log lines and its intents
   * are stored together, before anything happens outside. Returns the session as it is after.
   */
  async change(id: string, decide: (s: SessionRow) => Change | null): Promise<SessionRow> {
    // Readings taken before the change are stored first: the change reads what they wrote.
    await this.meter.written(id)
    const now = this.clock()
    const result = await this.db.transaction(async (tx) => {
      const [s] = await tx.select().from(sessions).where(eq(sessions.id, id)).for('update')
      if (!s) throw notFound('session_not_found', 'No such session.')
      const change = decide(s)
      if (!change) return { session: s, changed: false }
      const state = change.event ? nextState(s.state, change.event) : s.state
      const [updated] = await tx
        .update(sessions)
        .set({ ...change.patch, state, updatedAt: now, version: sql`${sessions.version} + 1` })
        .where(eq(sessions.id, id))
        .returning()
      for (const intent of change.intents ?? []) {
        await tx
          .insert(intents)
          .values({ sessionId: id, action: intent.action, key: `${id}:${intent.action}${intent.keySuffix ? `:${intent.keySuffix}` : ''}`, payload: intent.payload ?? {}, createdAt: now })
          .onConflictDoNothing()
      }
      // What happened, then the state it led to.
      const log = [...(change.log ?? []), ...(state !== s.state ? [{ kind: 'state', data: { from: s.state, to: state } }] : [])]
      if (log.length) await tx.insert(sessionEvents).values(log.map((l) => ({ sessionId: id, at: now, kind: l.kind, data: l.data ?? {} })))
      return { session: updated, changed: true }
    })
    this.meter.forget(id)
    if (result.changed) this.publish(id)
    return result.session
  }

  async log(sessionId: string, kind: string, data: Record<string, unknown>): Promise<void> {
    await this.db.insert(sessionEvents).values({ sessionId, at: this.clock(), kind, data })
  }

  /** Live viewers get a fresh snapshot; building it is left to whoever listens. */
  publish(id: string): void {
    this.o.live.publish(`session:${id}`, id)
  }

  /** The release intent a card session needs when it ends without charging. */
  releaseIntents(s: SessionRow): Change['intents'] {
    return s.method === 'card' && s.paymentId && s.holdStatus !== 'released' && s.holdStatus !== 'captured' ? [{ action: 'release' }] : []
  }
}
