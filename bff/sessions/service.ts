/**
 * Charging sessions: the state machine of DESIGN.md section 4 carried out against storage, the
 * charger gateway and the payment provider. Every change is persisted (with the side effects it
 * implies, written as intents) before any side effect runs; intents are carried out afterwards and
 * again after a restart, with idempotency keys, so a crash never loses a session nor captures twice.
 */
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../store/db'
import { chargers, connectors, grants, intents, rfidTags, sessionEvents, sessions, sites, tariffs, transactions } from '../store/schema'
import type { SessionState } from '../store/schema'
import type { ChargerGateway, IdTagStatus, MeterSample, TransactionEvent } from '../charging/gateway'
import { ChargerOfflineError, transactionEvent } from '../charging/gateway'
import { PaymentError, type PaymentProvider } from '../payments/provider'
import type { LiveBus } from '../live'
import { AppError, notFound } from '../errors'
import { nextState, canApply, type SessionEvent } from '../domain/session'
import { costOf, intervalWorth, reachesHoldLimit, settlement, usageTimes, type Cost, type Tariff } from '../domain/tariff'
import { newIdTag } from '../domain/id-tag'
import { hashToken, newToken } from '../secrets'
import { issueReceipt } from '../receipts/issue'
import { receiptTokenFor } from './tokens'
import { decideStart, usageThisMonth } from '../grants/service'
import { grantComponents } from '../domain/grant'

export type SessionRow = typeof sessions.$inferSelect
type IntentRow = typeof intents.$inferSelect
type IntentAction = IntentRow['action']

export interface SessionsOptions {
  db: Db
  payments: PaymentProvider
  chargers: ChargerGateway
  live: LiveBus
  logger: Logger
  clock?: () => Date
  startTimeoutSeconds: number
  meterIntervalSeconds: number
  /** A session left in `pending` (hold never confirmed) is given up after this long. */
  pendingTimeoutSeconds?: number
}

interface Change {
  patch: Partial<SessionRow>
  event?: SessionEvent
  intents?: { action: IntentAction; payload?: Record<string, unknown> }[]
  log?: { kind: string; data?: Record<string, unknown> }[]
}

const liveStates: SessionState[] = ['starting', 'charging', 'stopping', 'settling']

/** How long we keep a card hold before capturing it regardless (Visa merchant-initiated: about 5 days). */
const holdLifetimeMs = 4 * 24 * 60 * 60 * 1000

/** OCPP stop reasons in the driver's words. */
const stopReasons: Record<string, string> = {
  EVDisconnected: 'unplugged',
  Local: 'charger',
  Remote: 'remote',
  PowerLoss: 'power_loss',
  Reboot: 'charger_reboot',
  HardReset: 'charger_reboot',
  SoftReset: 'charger_reboot',
  EmergencyStop: 'emergency_stop',
  DeAuthorized: 'deauthorized',
  UnlockCommand: 'remote',
  Other: 'charger',
}

export class Sessions {
  private readonly db: Db
  readonly clock: () => Date
  private readonly running = new Set<number>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly o: SessionsOptions) {
    this.db = o.db
    this.clock = o.clock ?? (() => new Date())
  }

  // ——— driver commands ———

  async create(input: {
    chargerId: string
    connectorId: number
    method: 'card' | 'grant' | 'open'
    capAmount?: number
    idempotencyKey?: string
    /** The signed-in driver: the session goes into their history; needed for method grant. */
    userId?: string | null
  }): Promise<{ session: SessionRow; stopToken: string; clientSecret: string | null }> {
    const createKey = input.idempotencyKey ? hashToken(`create:${input.idempotencyKey}`) : null
    if (createKey) {
      const [existing] = await this.db.select().from(sessions).where(eq(sessions.createKey, createKey))
      if (existing) return this.replayCreate(existing, input.idempotencyKey!)
    }
    const [place] = await this.db
      .select({ charger: chargers, site: sites, tariff: tariffs, connector: connectors })
      .from(connectors)
      .innerJoin(chargers, eq(chargers.id, connectors.chargerId))
      .innerJoin(sites, eq(sites.id, chargers.siteId))
      .innerJoin(tariffs, eq(tariffs.id, chargers.tariffId))
      .where(and(eq(connectors.chargerId, input.chargerId), eq(connectors.connectorId, input.connectorId)))
    if (!place) throw notFound('connector_not_found', `Charger ${input.chargerId} has no connector ${input.connectorId}.`)
    const allowed = startMethodsFor(place.site.accessMode)
    // Grants may open any site; whether this driver's does is decided below.
    if (input.method !== 'grant' && !allowed.includes(input.method)) {
      throw new AppError(403, 'method_not_allowed', `This charger cannot be started with "${input.method}". Use: ${allowed.join(', ')}.`)
    }
    if (!this.o.chargers.isOnline(input.chargerId)) {
      throw new AppError(409, 'charger_offline', 'The charger is offline right now. Nothing was charged; try another charger or try again shortly.')
    }
    await this.assertConnectorFree(input.chargerId, input.connectorId)
    let grant: typeof grants.$inferSelect | null = null
    if (input.method === 'grant') {
      if (!input.userId) throw new AppError(401, 'sign_in_required', 'Sign in to charge with your access.')
      const decision = await decideStart(this.db, { userId: input.userId, siteId: place.site.id, chargerId: input.chargerId, now: this.clock() })
      if (!decision.ok) throw new AppError(403, decision.code, decision.message)
      grant = decision.grant
    }
    const minimum = this.o.payments.minimumCharge(place.tariff.currency)
    if (input.capAmount !== undefined && (input.capAmount < Math.max(minimum, 1000) || input.capAmount > place.tariff.holdAmount)) {
      throw new AppError(400, 'invalid_cap', `The cap must be between ${Math.max(minimum, 1000)} and ${place.tariff.holdAmount} (minor units).`)
    }
    const holdAmount = input.method === 'card' ? (input.capAmount ?? place.tariff.holdAmount) : 0
    const id = newToken(12)
    // With an idempotency key the stop token is derived from it, so a replayed create can answer again.
    const stopToken = input.idempotencyKey ? stopTokenFor(input.idempotencyKey, id) : newToken()
    const components = grant ? grantComponents(grant, place.tariff.components) : place.tariff.components
    const tariff: Tariff = { currency: place.tariff.currency, vatRateBp: place.tariff.vatRateBp, components }
    const now = this.clock()
    const [session] = await this.db
      .insert(sessions)
      .values({
        id,
        state: 'pending',
        chargerId: input.chargerId,
        connectorId: input.connectorId,
        siteId: place.site.id,
        method: input.method,
        idTag: newIdTag(),
        tariff,
        currency: tariff.currency,
        holdAmount,
        stopTokenHash: hashToken(stopToken),
        receiptTokenHash: hashToken(receiptTokenFor(stopToken)),
        createKey,
        holdStatus: input.method === 'card' ? 'pending' : 'none',
        userId: input.userId ?? null,
        grantId: grant?.id ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning()
    if (!session) {
      // A concurrent request with the same key won the race: answer as it did.
      const [existing] = await this.db.select().from(sessions).where(eq(sessions.createKey, createKey!))
      return this.replayCreate(existing, input.idempotencyKey!)
    }
    await this.log(id, 'created', { method: input.method, holdAmount, tariff, ...(grant ? { grantId: grant.id } : {}) })
    if (input.method !== 'card') return { session: await this.beginStart(id), stopToken, clientSecret: null }
    return { ...(await this.placeHold(session)), stopToken }
  }

  private async replayCreate(session: SessionRow, idempotencyKey: string) {
    const stopToken = stopTokenFor(idempotencyKey, session.id)
    if (session.method !== 'card') return { session, stopToken, clientSecret: null }
    return { ...(await this.placeHold(session)), stopToken }
  }

  /**
   * Creates the provider's hold for a card session. Idempotent by session: called again (a replayed
   * create) it gets the same hold and client secret back from the provider.
   */
  private async placeHold(session: SessionRow): Promise<{ session: SessionRow; clientSecret: string }> {
    const site = await this.siteOf(session.siteId)
    const { hold, clientSecret } = await this.o.payments.createHold({
      amount: session.holdAmount,
      currency: session.currency,
      sessionId: session.id,
      description: `Charging at ${site.name}, ${session.chargerId}/${session.connectorId}`,
      idempotencyKey: `${session.id}:hold`,
    })
    if (session.paymentId) return { session: await this.get(session.id), clientSecret }
    const [updated] = await this.db
      .update(sessions)
      .set({ paymentId: hold.id, updatedAt: this.clock(), version: sql`${sessions.version} + 1` })
      .where(eq(sessions.id, session.id))
      .returning()
    await this.log(session.id, 'hold_created', { provider: this.o.payments.name, paymentId: hold.id, amount: hold.amount })
    return { session: updated, clientSecret }
  }

  /** After the driver confirmed the card: verify the hold, then start the charger. */
  async authorize(id: string): Promise<SessionRow> {
    const session = await this.get(id)
    if (session.state !== 'pending') return session
    if (session.method !== 'card' || !session.paymentId) throw new AppError(409, 'no_hold', 'This session has no card hold to authorise.')
    const hold = await this.o.payments.getHold(session.paymentId)
    if (hold.status !== 'requires_capture' || hold.amountCapturable < session.holdAmount) {
      if (hold.status === 'canceled') {
        await this.fail(id, 'hold_canceled')
        throw new AppError(409, 'hold_canceled', 'The card hold was cancelled. Start again to charge.')
      }
      throw new AppError(402, 'card_not_authorized', hold.failureMessage ?? 'The card has not been authorised yet.')
    }
    await this.change(id, (s) =>
      s.state !== 'pending'
        ? null
        : {
            patch: {
              holdStatus: 'held',
              cardBrand: hold.card?.brand ?? null,
              cardLast4: hold.card?.last4 ?? null,
              cardFingerprint: hold.card?.fingerprint ?? null,
            },
            log: [{ kind: 'hold_placed', data: { amount: hold.amount, captureBefore: hold.captureBefore } }],
          },
    )
    return this.beginStart(id)
  }

  /** pending -> starting: RemoteStart is written as an intent, then sent. */
  private async beginStart(id: string): Promise<SessionRow> {
    const session = await this.get(id)
    if (!this.o.chargers.isOnline(session.chargerId)) {
      await this.fail(id, 'charger_offline')
      return this.get(id)
    }
    try {
      await this.assertConnectorFree(session.chargerId, session.connectorId, id)
    } catch (error) {
      await this.fail(id, 'connector_busy')
      throw error
    }
    const started = await this.change(id, (s) =>
      canApply(s.state, 'start')
        ? {
            event: 'start',
            patch: { startDeadline: new Date(this.clock().getTime() + this.o.startTimeoutSeconds * 1000) },
            intents: [{ action: 'remote_start' }],
          }
        : null,
    )
    await this.runPendingIntents(id)
    return started.state === 'starting' ? this.get(id) : started
  }

  /** Stop from the phone, by card, by support, or by the cost cap. */
  async stop(id: string, reason: 'driver' | 'card' | 'hold_limit' | 'grant_cap' | 'support'): Promise<SessionRow> {
    const session = await this.change(id, (s) => {
      if (s.state === 'pending' || s.state === 'starting') return this.cancelChange(s, reason === 'driver' ? 'driver_cancelled' : reason)
      if (s.state === 'charging') {
        return { event: 'stop_requested', patch: { stopReason: reason }, intents: [{ action: 'remote_stop' }], log: [{ kind: 'stop_requested', data: { reason } }] }
      }
      return null
    })
    await this.runPendingIntents(id)
    return session.state === 'stopping' ? this.get(id) : session
  }

  async cancel(id: string): Promise<SessionRow> {
    const session = await this.change(id, (s) => (canApply(s.state, 'cancel') ? this.cancelChange(s, 'driver_cancelled') : null))
    await this.runPendingIntents(id)
    return this.get(session.id)
  }

  private cancelChange(s: SessionRow, reason: string): Change {
    return { event: 'cancel', patch: { failureReason: reason }, intents: this.releaseIntents(s), log: [{ kind: 'cancelled', data: { reason } }] }
  }

  /** "Tap to stop": the same card presented again stops the session it pays for. */
  async stopByCard(chargerId: string, paymentMethodId: string): Promise<SessionRow> {
    const fingerprint = await this.o.payments.cardFingerprint(paymentMethodId)
    const [session] = fingerprint
      ? await this.db
          .select()
          .from(sessions)
          .where(and(eq(sessions.chargerId, chargerId), eq(sessions.cardFingerprint, fingerprint), inArray(sessions.state, ['starting', 'charging'])))
      : []
    if (!session) {
      throw notFound(
        'no_matching_session',
        'No running session on this charger was paid with this card. If you paid with Apple Pay or Google Pay, present the phone or watch you paid with: a wallet card has its own number.',
      )
    }
    return this.stop(session.id, 'card')
  }

  async get(id: string): Promise<SessionRow> {
    const [session] = await this.db.select().from(sessions).where(eq(sessions.id, id))
    if (!session) throw notFound('session_not_found', 'No such session.')
    return session
  }

  // ——— what chargers tell us ———

  async authorizeIdTag(e: { chargerId: string; idTag: string }): Promise<IdTagStatus> {
    const [session] = await this.db.select().from(sessions).where(eq(sessions.idTag, e.idTag))
    if (session) return session.chargerId === e.chargerId && liveStates.includes(session.state) ? 'Accepted' : 'Invalid'
    return (await this.rfidDecision(e.chargerId, e.idTag)).status
  }

  /**
   * A driver's own RFID tag: accepted where one of the tag owner's grants lets them start now.
   * A revoked or expired grant answers Blocked, so the charger can say so; anything else Invalid.
   */
  private async rfidDecision(chargerId: string, idTag: string) {
    const refused = (status: IdTagStatus) => ({ status, userId: null, grant: null })
    const [tag] = await this.db.select().from(rfidTags).where(eq(rfidTags.idTag, idTag.toUpperCase()))
    if (!tag) return refused('Invalid')
    const [charger] = await this.db.select({ siteId: chargers.siteId }).from(chargers).where(eq(chargers.id, chargerId))
    if (!charger) return refused('Invalid')
    const decision = await decideStart(this.db, { userId: tag.userId, siteId: charger.siteId, chargerId, now: this.clock() })
    if (decision.ok) return { status: 'Accepted' as IdTagStatus, userId: tag.userId, grant: decision.grant }
    return refused(decision.code === 'grant_revoked' || decision.code === 'grant_expired' ? 'Blocked' : 'Invalid')
  }

  /**
   * A transaction the charger started with a driver's RFID tag (no phone involved): a grant session
   * bound to it from the start. Its idTag column is longer than any idTag (CiString20) a charger can
   * send, so no charger can ever present it; the tag itself stays in the transaction.
   */
  private async startFromRfid(tx: TransactionEvent): Promise<void> {
    const decision = await this.rfidDecision(tx.chargerId, tx.idTag)
    if (decision.status !== 'Accepted' || !decision.grant) return
    const grant = decision.grant
    const [place] = await this.db
      .select({ siteId: chargers.siteId, tariff: tariffs })
      .from(chargers)
      .innerJoin(tariffs, eq(tariffs.id, chargers.tariffId))
      .where(eq(chargers.id, tx.chargerId))
    const tariff: Tariff = { currency: place.tariff.currency, vatRateBp: place.tariff.vatRateBp, components: grantComponents(grant, place.tariff.components) }
    const id = newToken(12)
    const stopToken = newToken()
    const now = this.clock()
    const [created] = await this.db
      .insert(sessions)
      .values({
        id,
        state: 'charging',
        chargerId: tx.chargerId,
        connectorId: tx.connectorId,
        siteId: place.siteId,
        method: 'grant',
        idTag: `rfid-transaction-no-${tx.transactionId}:${tx.idTag.toUpperCase()}`,
        tariff,
        currency: tariff.currency,
        holdAmount: 0,
        stopTokenHash: hashToken(stopToken),
        receiptTokenHash: hashToken(receiptTokenFor(stopToken)),
        transactionId: tx.transactionId,
        startedAt: tx.startedAt,
        userId: decision.userId,
        grantId: grant.id,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning()
    if (!created) return
    await this.db.insert(sessionEvents).values([
      { sessionId: id, at: now, kind: 'created', data: { method: 'grant', rfid: true, grantId: grant.id, tariff } },
      { sessionId: id, at: now, kind: 'transaction_started', data: { transactionId: tx.transactionId, meterStartWh: tx.meterStartWh } },
    ])
    this.publish(id)
  }

  async transactionStarted(tx: TransactionEvent): Promise<void> {
    const [found] = await this.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.idTag, tx.idTag))
    if (!found) return this.startFromRfid(tx)
    await this.change(found.id, (s) => {
      if (s.transactionId !== null) return null
      if (s.state === 'starting') {
        return { event: 'transaction_started', patch: { transactionId: tx.transactionId, startedAt: tx.startedAt }, log: [{ kind: 'transaction_started', data: { transactionId: tx.transactionId, meterStartWh: tx.meterStartWh } }] }
      }
      if (s.state === 'stopping') {
        // Stopped before the charger reported the start: bind, then stop it for real.
        return { patch: { transactionId: tx.transactionId, startedAt: tx.startedAt }, intents: [{ action: 'remote_stop' }] }
      }
      return null
    })
    await this.runPendingIntents(found.id)
  }

  async meterValues(tx: TransactionEvent, sample: MeterSample): Promise<void> {
    const [session] = await this.db.select().from(sessions).where(eq(sessions.transactionId, tx.transactionId))
    if (!session || (session.state !== 'charging' && session.state !== 'stopping')) return
    const energyWh = sample.energyWh !== null ? Math.max(0, sample.energyWh - tx.meterStartWh) : session.energyWh
    const powerW = sample.powerW ?? session.powerW
    const cost = this.costNow({ ...session, energyWh })
    await this.db
      .update(sessions)
      .set({ energyWh, powerW, costTotal: cost.total, updatedAt: this.clock(), version: sql`${sessions.version} + 1` })
      .where(and(eq(sessions.id, session.id), inArray(sessions.state, ['charging', 'stopping'])))
    this.publish(session.id)
    if (session.state === 'charging' && session.method === 'card') {
      const margin = intervalWorth(session.tariff, powerW, this.o.meterIntervalSeconds)
      if (reachesHoldLimit(cost.total, session.holdAmount, margin)) await this.stop(session.id, 'hold_limit')
    }
    if (session.state === 'charging' && session.grantId && (await this.reachesGrantCap(session, { energyWh, amount: cost.total, powerW }))) {
      await this.stop(session.id, 'grant_cap')
    }
  }

  /** Whether this month's use of the session's grant, with this session and one more interval, reaches a cap. */
  private async reachesGrantCap(s: SessionRow, now: { energyWh: number; amount: number; powerW: number }): Promise<boolean> {
    const [grant] = await this.db.select().from(grants).where(eq(grants.id, s.grantId!))
    if (!grant || (grant.capAmount === null && grant.capEnergyWh === null)) return false
    const earlier = (await usageThisMonth(this.db, [grant], this.clock(), s.id)).get(grant.id) ?? { energyWh: 0, amount: 0 }
    const energyMargin = Math.ceil((now.powerW * this.o.meterIntervalSeconds) / 3600)
    const amountMargin = intervalWorth(s.tariff, now.powerW, this.o.meterIntervalSeconds)
    if (grant.capEnergyWh !== null && earlier.energyWh + now.energyWh + energyMargin >= grant.capEnergyWh) return true
    return grant.capAmount !== null && reachesHoldLimit(earlier.amount + now.amount, grant.capAmount, amountMargin)
  }

  async transactionStopped(tx: TransactionEvent): Promise<void> {
    const [session] = await this.db
      .select()
      .from(sessions)
      .where(sql`${sessions.transactionId} = ${tx.transactionId} or (${sessions.idTag} = ${tx.idTag} and ${sessions.transactionId} is null)`)
    if (!session) return
    const unplugged = tx.stopReason === 'EVDisconnected'
    const energyWh = Math.max(0, (tx.meterStopWh ?? tx.meterStartWh) - tx.meterStartWh)
    await this.change(session.id, (s) => {
      if (s.state !== 'charging' && s.state !== 'stopping') return null
      return {
        event: 'transaction_stopped',
        patch: {
          transactionId: tx.transactionId,
          energyWh,
          powerW: 0,
          stoppedAt: tx.stoppedAt,
          unpluggedAt: unplugged ? tx.stoppedAt : s.unpluggedAt,
          stopReason: s.stopReason ?? stopReasons[tx.stopReason ?? 'Local'] ?? 'charger',
        },
        log: [{ kind: 'transaction_stopped', data: { transactionId: tx.transactionId, meterStopWh: tx.meterStopWh, reason: tx.stopReason } }],
      }
    })
    await this.settleIfDue(session.id)
  }

  async connectorStatus(e: { chargerId: string; connectorId: number; status: string; at: Date }): Promise<void> {
    if (e.status !== 'Available') return
    const waiting = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.chargerId, e.chargerId), eq(sessions.connectorId, e.connectorId), eq(sessions.state, 'settling'), sql`${sessions.unpluggedAt} is null`))
    for (const { id } of waiting) {
      await this.change(id, () => ({ patch: { unpluggedAt: e.at }, log: [{ kind: 'unplugged' }] }))
      await this.settleIfDue(id)
    }
  }

  async chargerConnection(e: { chargerId: string; online: boolean }): Promise<void> {
    if (!e.online) return
    // Commands that could not reach the charger while it was away go out now.
    const waiting = await this.db
      .selectDistinct({ id: intents.sessionId })
      .from(intents)
      .innerJoin(sessions, eq(sessions.id, intents.sessionId))
      .where(and(eq(intents.status, 'pending'), eq(sessions.chargerId, e.chargerId)))
    for (const { id } of waiting) await this.runPendingIntents(id)
  }

  // ——— settlement ———

  /** Settles a `settling` session once the car is unplugged, or the tariff has no idle fee, or the idle fee used up the hold. */
  private async settleIfDue(id: string): Promise<void> {
    const session = await this.get(id)
    if (session.state !== 'settling') return
    const hasIdleFee = session.tariff.components.some((c) => c.type === 'idle' && c.price > 0)
    const cost = this.costNow(session)
    const holdUsedUp = session.method === 'card' && cost.total >= session.holdAmount
    // A card hold lapses after about 5–7 days: capture well before, even if the car is still there.
    const holdLapsing = session.method === 'card' && this.clock().getTime() - session.createdAt.getTime() > holdLifetimeMs
    if (hasIdleFee && !session.unpluggedAt && !holdUsedUp && !holdLapsing) {
      this.publish(id)
      return
    }
    const minimum = this.o.payments.minimumCharge(session.currency)
    const { capture } = settlement({ total: cost.total, energyWh: session.energyWh, holdAmount: session.holdAmount, minimumCharge: minimum })
    await this.change(id, (s) => {
      if (s.state !== 'settling' || s.finalCost) return null
      const intentsToRun: Change['intents'] = s.method !== 'card' ? [] : capture > 0 ? [{ action: 'capture', payload: { amount: capture } }] : this.releaseIntents(s)
      return { patch: { finalCost: cost, costTotal: cost.total }, intents: intentsToRun, log: [{ kind: 'settling', data: { total: cost.total, capture } }] }
    })
    await this.runPendingIntents(id)
    await this.completeIfSettled(id)
  }

  /** settling -> completed once the money is settled: the receipt is issued in the same transaction. */
  private async completeIfSettled(id: string): Promise<void> {
    const settled = (s: SessionRow) => s.method !== 'card' || s.holdStatus === 'captured' || s.holdStatus === 'released' || s.holdStatus === 'failed'
    const session = await this.get(id)
    if (session.state !== 'settling' || !session.finalCost || !settled(session)) return
    await this.db.transaction(async (tx) => {
      const [s] = await tx.select().from(sessions).where(eq(sessions.id, id)).for('update')
      if (s.state !== 'settling') return
      const receipt = await issueReceipt(tx, s, this.clock())
      await tx
        .update(sessions)
        .set({ state: nextState(s.state, 'settled'), receiptNumber: receipt.number, updatedAt: this.clock(), version: sql`${sessions.version} + 1` })
        .where(eq(sessions.id, id))
      await tx.insert(sessionEvents).values({ sessionId: id, at: this.clock(), kind: 'receipt_issued', data: { number: receipt.number } })
    })
    this.publish(id)
  }

  // ——— intents ———

  private releaseIntents(s: SessionRow): Change['intents'] {
    return s.method === 'card' && s.paymentId && s.holdStatus !== 'released' ? [{ action: 'release' }] : []
  }

  /** Carries out a session's pending intents in order. Safe to call at any time, any number of times. */
  async runPendingIntents(sessionId: string): Promise<void> {
    const pending = await this.db
      .select()
      .from(intents)
      .where(and(eq(intents.sessionId, sessionId), eq(intents.status, 'pending')))
      .orderBy(asc(intents.id))
    for (const intent of pending) await this.runIntent(intent)
  }

  private async runIntent(intent: IntentRow): Promise<void> {
    if (this.running.has(intent.id)) return
    this.running.add(intent.id)
    try {
      await this.db.update(intents).set({ attempts: sql`${intents.attempts} + 1` }).where(eq(intents.id, intent.id))
      const session = await this.get(intent.sessionId)
      const outcome = await this.carryOut(intent, session)
      if (outcome === 'retry') return
      await this.db.update(intents).set({ status: outcome, doneAt: this.clock() }).where(eq(intents.id, intent.id))
    } catch (error) {
      // Transient (network, provider 5xx, charger timeout): stays pending, retried with the same key.
      this.o.logger.warn({ err: error, intent: intent.key }, 'intent failed, will retry')
      await this.db.update(intents).set({ lastError: String((error as Error).message ?? error) }).where(eq(intents.id, intent.id))
    } finally {
      this.running.delete(intent.id)
    }
  }

  private async carryOut(intent: IntentRow, s: SessionRow): Promise<'done' | 'failed' | 'retry'> {
    switch (intent.action) {
      case 'remote_start': {
        if (s.state !== 'starting') return 'done'
        try {
          const result = await this.o.chargers.remoteStart(s.chargerId, { connectorId: s.connectorId, idTag: s.idTag })
          await this.log(s.id, 'remote_start', { result })
          if (result === 'Accepted') return 'done'
          await this.fail(s.id, 'charger_rejected')
          return 'failed'
        } catch (error) {
          if (!(error instanceof ChargerOfflineError)) throw error
          await this.fail(s.id, 'charger_offline')
          return 'failed'
        }
      }
      case 'remote_stop': {
        if (s.transactionId === null || s.state !== 'stopping') return 'done'
        try {
          const result = await this.o.chargers.remoteStop(s.chargerId, s.transactionId)
          await this.log(s.id, 'remote_stop', { result })
          return 'done'
        } catch (error) {
          if (error instanceof ChargerOfflineError) return 'retry' // sent when the charger is back
          throw error
        }
      }
      case 'capture': {
        const amount = Number(intent.payload.amount)
        try {
          const hold = await this.o.payments.capture(s.paymentId!, amount, intent.key)
          await this.change(s.id, () => ({
            patch: { holdStatus: 'captured', capturedAmount: hold.amountCaptured, releasedAmount: s.holdAmount - hold.amountCaptured },
            log: [{ kind: 'captured', data: { amount: hold.amountCaptured, released: s.holdAmount - hold.amountCaptured } }],
          }))
          await this.completeIfSettled(s.id)
          return 'done'
        } catch (error) {
          if (!(error instanceof PaymentError)) throw error
          // The provider refuses for good (e.g. the hold expired): support must look at it.
          await this.change(s.id, () => ({ patch: { holdStatus: 'failed' }, log: [{ kind: 'capture_failed', data: { code: error.code, message: error.message } }] }))
          await this.completeIfSettled(s.id)
          return 'failed'
        }
      }
      case 'release': {
        if (s.paymentId) await this.o.payments.release(s.paymentId, intent.key)
        await this.change(s.id, () => ({
          patch: { holdStatus: 'released', releasedAmount: s.paymentId ? s.holdAmount : 0 },
          log: [{ kind: 'released', data: { amount: s.holdAmount } }],
        }))
        await this.completeIfSettled(s.id)
        return 'done'
      }
      case 'refund':
        return 'failed'
    }
  }

  private async fail(id: string, reason: string): Promise<void> {
    await this.change(id, (s) =>
      canApply(s.state, 'start_failed')
        ? { event: 'start_failed', patch: { failureReason: reason }, intents: this.releaseIntents(s), log: [{ kind: 'failed', data: { reason } }] }
        : null,
    )
    await this.runPendingIntents(id)
  }

  /**
   * Applies a change in one database transaction: the new state, its log lines and its intents
   * are stored together, before anything happens outside. Returns the session as it is after.
   */
  private async change(id: string, decide: (s: SessionRow) => Change | null): Promise<SessionRow> {
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
          .values({ sessionId: id, action: intent.action, key: `${id}:${intent.action}`, payload: intent.payload ?? {}, createdAt: now })
          .onConflictDoNothing()
      }
      const log = [...(state !== s.state ? [{ kind: 'state', data: { from: s.state, to: state } }] : []), ...(change.log ?? [])]
      if (log.length) await tx.insert(sessionEvents).values(log.map((l) => ({ sessionId: id, at: now, kind: l.kind, data: l.data ?? {} })))
      return { session: updated, changed: true }
    })
    if (result.changed) this.publish(id)
    return result.session
  }

  private async log(sessionId: string, kind: string, data: Record<string, unknown>): Promise<void> {
    await this.db.insert(sessionEvents).values({ sessionId, at: this.clock(), kind, data })
  }

  // ——— time ———

  /** Cost right now: final once settled, else from the timestamps and the clock. */
  costNow(s: Pick<SessionRow, 'tariff' | 'energyWh' | 'startedAt' | 'stoppedAt' | 'unpluggedAt' | 'finalCost'>): Cost {
    if (s.finalCost) return s.finalCost
    const times = usageTimes({ startedAt: s.startedAt, stoppedAt: s.stoppedAt, unpluggedAt: s.unpluggedAt, now: this.clock() })
    return costOf(s.tariff, { energyWh: s.energyWh, ...times })
  }

  /**
   * The periodic sweep: start timeouts, abandoned payments, idle fees reaching the hold, and
   * intents to retry. Also the recovery after a restart (first call).
   */
  async tick(): Promise<void> {
    const now = this.clock()
    const timedOut = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.state, 'starting'), lt(sessions.startDeadline, now)))
    for (const { id } of timedOut) await this.fail(id, 'start_timeout')

    const abandonedBefore = new Date(now.getTime() - (this.o.pendingTimeoutSeconds ?? 900) * 1000)
    const abandoned = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.state, 'pending'), lt(sessions.createdAt, abandonedBefore)))
    for (const { id } of abandoned) {
      await this.change(id, (s) => (canApply(s.state, 'cancel') ? this.cancelChange(s, 'payment_abandoned') : null))
      await this.runPendingIntents(id)
    }

    // Sessions whose charger already reported what we missed (crash between message and handling).
    const unbound = await this.db
      .select({ s: sessions, t: transactions })
      .from(sessions)
      .innerJoin(transactions, eq(transactions.idTag, sessions.idTag))
      .where(
        and(
          inArray(sessions.state, ['starting', 'charging', 'stopping']),
          sql`(${sessions.state} = 'starting' or ${transactions.stoppedAt} is not null)`,
        ),
      )
    for (const { s, t } of unbound) {
      const event = transactionEvent(t)
      if (s.state === 'starting') await this.transactionStarted(event)
      if (t.stoppedAt) await this.transactionStopped(event)
    }

    const settling = await this.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.state, 'settling'))
    for (const { id } of settling) {
      await this.settleIfDue(id)
      await this.completeIfSettled(id)
    }

    const pending = await this.db.selectDistinct({ id: intents.sessionId }).from(intents).where(eq(intents.status, 'pending'))
    for (const { id } of pending) await this.runPendingIntents(id)
  }

  /** Runs tick() now (recovery) and then every `seconds`. */
  startSweeping(seconds = 2): void {
    const loop = async () => {
      try {
        await this.tick()
      } catch (error) {
        this.o.logger.error({ err: error }, 'session sweep failed')
      }
      this.timer = setTimeout(loop, seconds * 1000)
      this.timer.unref()
    }
    void loop()
  }

  stopSweeping(): void {
    clearTimeout(this.timer)
  }

  // ——— helpers ———

  private async assertConnectorFree(chargerId: string, connectorId: number, except?: string): Promise<void> {
    const busy = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.chargerId, chargerId), eq(sessions.connectorId, connectorId), inArray(sessions.state, liveStates)))
    if (busy.some((b) => b.id !== except)) {
      throw new AppError(409, 'connector_busy', 'Someone is already charging at this connector. Pick another one.')
    }
  }

  private async siteOf(siteId: string) {
    const [site] = await this.db.select().from(sites).where(eq(sites.id, siteId))
    return site
  }

  /** Live viewers get a fresh snapshot; building it is left to whoever listens. */
  private publish(id: string): void {
    this.o.live.publish(`session:${id}`, id)
  }

}

export function startMethodsFor(accessMode: 'open' | 'private' | 'paid'): ('card' | 'grant' | 'open')[] {
  return accessMode === 'open' ? ['open'] : accessMode === 'private' ? ['grant'] : ['card']
}

function stopTokenFor(idempotencyKey: string, sessionId: string): string {
  return hashToken(`stop:${idempotencyKey}:${sessionId}`)
}
