/**
 * What chargers tell us, applied to sessions: starts (also resent ones), meter readings, stops, the
 * connector's status and the charger's connection. The charger's StopTransaction is the source of
 * truth for energy; times go through the session's billing clock.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm'
import { chargers, connectors, grants, rfidTags, sessionEvents, sessions, tariffs } from '../store/schema'
import type { AuthorizeResult, ChargingStarted, ChargingStopped, MeterReading } from '../charging/gateway'
import { billingStart, billingStop } from '../domain/billing-clock'
import { intervalWorth, reachesHoldLimit, type Tariff } from '../domain/tariff'
import { grantComponents } from '../domain/grant'
import { hashToken, newToken } from '../secrets'
import { decideStart, usageThisMonth } from '../grants/service'
import { receiptTokenFor } from './tokens'
import type { SessionCore, SessionRow } from './core'
import type { DriverCommands } from './commands'
import type { IntentWorker } from './intents'
import type { Settlement } from './settlement'

const liveStates = ['starting', 'charging', 'stopping', 'settling'] as const

/** No session is judged on less than this much time: meters and clocks are too rough for more. */
const plausibilityFloorSeconds = 3 * 24 * 3600

/**
 * The most energy a connector can have delivered in `seconds` (at least three days' worth), with
 * room for meter tolerance: a reading beyond it is a broken or wrapped register, not a sale.
 */
export function plausibleEnergyWh(maxPowerW: number, seconds: number): number {
  return Math.ceil((Math.max(0, maxPowerW) * Math.max(plausibilityFloorSeconds, seconds) * 1.2) / 3600) + 100
}

export class ChargerEvents {
  constructor(
    private readonly core: SessionCore,
    private readonly commands: DriverCommands,
    private readonly worker: IntentWorker,
    private readonly settlement: Settlement,
  ) {}

  async authorize(e: { chargerId: string; token: string }): Promise<AuthorizeResult> {
    const session = await this.core.findByIdTag(e.token)
    if (session) return session.chargerId === e.chargerId && (liveStates as readonly string[]).includes(session.state) ? 'accepted' : 'invalid'
    return (await this.rfidDecision(e.chargerId, e.token)).status
  }

  /**
   * A driver's own RFID tag: accepted where one of the tag owner's grants lets them start now.
   * A revoked or expired grant answers Blocked, so the charger can say so; anything else Invalid.
   */
  private async rfidDecision(chargerId: string, idTag: string) {
    const { db, clock } = this.core
    const refused = (status: AuthorizeResult) => ({ status, userId: null, grant: null })
    const [tag] = await db.select().from(rfidTags).where(eq(rfidTags.idTag, idTag.toUpperCase()))
    if (!tag) return refused('invalid')
    const [charger] = await db.select({ siteId: chargers.siteId }).from(chargers).where(eq(chargers.id, chargerId))
    if (!charger) return refused('invalid')
    const decision = await decideStart(db, { userId: tag.userId, siteId: charger.siteId, chargerId, now: clock() })
    if (decision.ok) return { status: 'accepted' as AuthorizeResult, userId: tag.userId, grant: decision.grant }
    return refused(decision.code === 'grant_revoked' || decision.code === 'grant_expired' ? 'blocked' : 'invalid')
  }

  /**
   * A transaction the charger started with a driver's RFID tag (no phone involved): a grant session
   * bound to it from the start. Its idTag column is longer than any idTag (CiString20) a charger can
   * send, so no charger can ever present it; the tag itself stays in the transaction.
   */
  private async startFromRfid(tx: ChargingStarted): Promise<string | null> {
    const { db } = this.core
    const decision = await this.rfidDecision(tx.chargerId, tx.token)
    if (decision.status !== 'accepted' || !decision.grant) return null
    const grant = decision.grant
    const [place] = await db
      .select({ siteId: chargers.siteId, tariff: tariffs })
      .from(chargers)
      .innerJoin(tariffs, eq(tariffs.id, chargers.tariffId))
      .where(eq(chargers.id, tx.chargerId))
    const tariff: Tariff = { currency: place.tariff.currency, vatRateBp: place.tariff.vatRateBp, components: grantComponents(grant, place.tariff.components) }
    const id = newToken(12)
    const stopToken = newToken()
    const now = this.core.clock()
    const start = billingStart({ chargerAt: tx.startedAt, receivedAt: tx.receivedAt, createdAt: tx.receivedAt, toleranceMs: this.core.settings.clockToleranceMs })
    const [created] = await db
      .insert(sessions)
      .values({
        id,
        state: 'charging',
        chargerId: tx.chargerId,
        connectorId: tx.connectorId,
        siteId: place.siteId,
        method: 'grant',
        idTag: `rfid-${tx.chargerId}-${tx.connectorId}-${tx.startedAt.getTime()}-${tx.receivedAt.getTime()}:${tx.token.toUpperCase()}`,
        tariff,
        currency: tariff.currency,
        holdAmount: 0,
        stopTokenHash: hashToken(stopToken),
        receiptTokenHash: hashToken(receiptTokenFor(stopToken)),
        startedAt: start.startedAt,
        chargerStartedAt: tx.startedAt,
        clockSkewMs: start.chargerClock ? 0 : start.skewMs,
        userId: decision.userId,
        grantId: grant.id,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning()
    if (!created) return null
    await db.insert(sessionEvents).values([
      { sessionId: id, at: now, kind: 'created', data: { method: 'grant', rfid: true, grantId: grant.id, tariff } },
      { sessionId: id, at: now, kind: 'charging_started', data: { chargerStartedAt: tx.startedAt, skewMs: start.skewMs, chargerClock: start.chargerClock } },
    ])
    this.core.publish(id)
    return id
  }

  /** Charging began: the session it belongs to moves to charging, on its billing clock. */
  async chargingStarted(tx: ChargingStarted): Promise<string | null> {
    const [found] = tx.sessionId
      ? await this.core.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.id, tx.sessionId))
      : await this.core.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.idTag, tx.token))
    if (!found) return tx.sessionId ? null : this.startFromRfid(tx)
    const tolerance = this.core.settings.clockToleranceMs
    let stopQueued = false
    const session = await this.core.change(found.id, (s) => {
      if (s.startedAt !== null || (s.state !== 'starting' && s.state !== 'stopping')) return null
      const start = billingStart({ chargerAt: tx.startedAt, receivedAt: tx.receivedAt, createdAt: s.createdAt, toleranceMs: tolerance })
      const patch = { startedAt: start.startedAt, chargerStartedAt: tx.startedAt, clockSkewMs: start.chargerClock ? 0 : start.skewMs }
      const log = [{ kind: 'charging_started', data: { chargerStartedAt: tx.startedAt, skewMs: start.skewMs, chargerClock: start.chargerClock } }]
      // Stopped before the charger reported the start: bind, then stop it for real.
      if (s.state === 'stopping') {
        stopQueued = true
        return { patch, log, intents: [{ action: 'remote_stop', keySuffix: 'after_start' }] }
      }
      return { event: 'transaction_started', patch, log }
    })
    if (stopQueued) this.detach('intents', () => this.worker.runPending(found.id))
    const taken = session.chargerId === tx.chargerId && (session.startedAt !== null || session.state === 'settling' || session.state === 'completed')
    return taken ? session.id : null
  }

  /**
   * A reading moves the session's energy, power and cost in memory (no read-modify-write in the
   * database) and is stored by group commit before this returns. The hold-limit and grant-cap checks
   * run on every reading, from those totals.
   */
  async meterReading(r: MeterReading): Promise<void> {
    const { clock, settings } = this.core
    const session = await this.core.meter.session(r.sessionId)
    if (!session || (session.state !== 'charging' && session.state !== 'stopping')) {
      // Only charging sessions are kept in memory: a late reading of an ended one is not.
      this.core.meter.forget(r.sessionId)
      return
    }
    const energyWh = r.energyWh ?? session.energyWh
    const powerW = r.powerW ?? session.powerW
    const cost = this.settlement.costNow({ ...session, energyWh }, clock())
    Object.assign(session, { energyWh, powerW, costTotal: cost.total })
    await this.core.meter.record(r, { energyWh, powerW, costTotal: cost.total })
    if (session.state === 'charging' && session.method === 'card') {
      const margin = intervalWorth(session.tariff, powerW, settings.meterIntervalSeconds)
      if (reachesHoldLimit(cost.total, session.holdAmount, margin)) await this.commands.stop(session.id, 'hold_limit', { detached: true })
    }
    if (session.state === 'charging' && session.grantId && (await this.reachesGrantCap(session, { energyWh, amount: cost.total, powerW }))) {
      await this.commands.stop(session.id, 'grant_cap', { detached: true })
    }
  }

  /** Whether this month's use of the session's grant, with this session and one more interval, reaches a cap. */
  private async reachesGrantCap(s: SessionRow, now: { energyWh: number; amount: number; powerW: number }): Promise<boolean> {
    const { db, clock, settings } = this.core
    const [grant] = await db.select().from(grants).where(eq(grants.id, s.grantId!))
    if (!grant || (grant.capAmount === null && grant.capEnergyWh === null)) return false
    const earlier = (await usageThisMonth(db, [grant], clock(), s.id)).get(grant.id) ?? { energyWh: 0, amount: 0 }
    const energyMargin = Math.ceil((now.powerW * settings.meterIntervalSeconds) / 3600)
    const amountMargin = intervalWorth(s.tariff, now.powerW, settings.meterIntervalSeconds)
    if (grant.capEnergyWh !== null && earlier.energyWh + now.energyWh + energyMargin >= grant.capEnergyWh) return true
    return grant.capAmount !== null && reachesHoldLimit(earlier.amount + now.amount, grant.capAmount, amountMargin)
  }

  /** Charging ended: the energy is fixed from the charger's final reading, then settlement. */
  async chargingStopped(tx: ChargingStopped): Promise<void> {
    const { db } = this.core
    const session = await this.core.find(tx.sessionId)
    if (!session) return
    const [connector] = await db
      .select()
      .from(connectors)
      .where(and(eq(connectors.chargerId, session.chargerId), eq(connectors.connectorId, session.connectorId)))
    const seenAt = tx.receivedAt
    const ceiling = plausibleEnergyWh(connector?.maxPowerW ?? 0, (seenAt.getTime() - session.createdAt.getTime()) / 1000)
    const energyWh = Math.min(tx.energyWh, ceiling)
    await this.core.change(session.id, (s) => {
      if (s.state !== 'charging' && s.state !== 'stopping') return null
      const startedAt = s.startedAt ?? seenAt
      // The unplug may have reached us before the stop (reordered): then no idle time was ever observed.
      // An Available from before charging began says nothing.
      const freedWhileCharging = connector?.status === 'Available' && connector.statusAt !== null && connector.statusAt > startedAt
      const stoppedAt = tx.stoppedAt
        ? billingStop({ chargerAt: tx.stoppedAt, receivedAt: seenAt, startedAt, skewMs: s.clockSkewMs ?? 0, chargerClock: (s.clockSkewMs ?? 0) === 0 })
        : seenAt
      return {
        event: 'transaction_stopped',
        patch: {
          energyWh,
          powerW: 0,
          startedAt,
          stoppedAt,
          chargerStoppedAt: tx.stoppedAt,
          stopSeenAt: seenAt,
          unpluggedAt: tx.cause === 'unplugged' || freedWhileCharging ? seenAt : s.unpluggedAt,
          stopReason: s.stopReason ?? tx.cause,
          ...(tx.energyWh > ceiling ? { attention: 'implausible_energy' } : {}),
        },
        log: [
          { kind: 'charging_stopped', data: { energyWh: tx.energyWh, cause: tx.cause, chargerStoppedAt: tx.stoppedAt } },
          ...(tx.energyWh > ceiling ? [{ kind: 'implausible_energy', data: { reportedWh: tx.energyWh, billedWh: energyWh } }] : []),
        ],
      }
    })
    this.detach('settle', () => this.settlement.settleIfDue(session.id))
  }

  async connectorStatus(e: { chargerId: string; connectorId: number; status: string }): Promise<void> {
    if (e.status !== 'Available') return
    const waiting = await this.core.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.chargerId, e.chargerId), eq(sessions.connectorId, e.connectorId), eq(sessions.state, 'settling'), isNull(sessions.unpluggedAt)))
    for (const { id } of waiting) {
      // Our clock: StatusNotification's timestamp is optional and the charger's clock may be off.
      const seen = this.core.clock()
      await this.core.change(id, (s) => (s.unpluggedAt ? null : { patch: { unpluggedAt: seen }, log: [{ kind: 'unplugged' }] }))
      this.detach('settle', () => this.settlement.settleIfDue(id))
    }
  }

  /**
   * Connected: commands held back go out, and the charger is asked for its connectors' status, which
   * it may not resend by itself. Sessions still waiting for an unplug were not observed while we
   * were apart: they settle with idle time up to the last moment we saw the charger.
   */
  async chargerConnection(e: { chargerId: string; online: boolean; lastSeenAt: Date | null }): Promise<void> {
    const { db } = this.core
    const waiting = await db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.chargerId, e.chargerId), eq(sessions.state, 'settling'), isNull(sessions.unpluggedAt)))
    const observedUntil = e.online ? (e.lastSeenAt ?? new Date(0)) : this.core.clock()
    for (const { id } of waiting) this.detach('settle', () => this.settlement.settleIfDue(id, 'charger_offline', observedUntil))
    if (!e.online) return
    const held = await db
      .selectDistinct({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.chargerId, e.chargerId), inArray(sessions.state, ['starting', 'charging', 'stopping'])))
    for (const { id } of held) this.detach('intents', () => this.worker.runPending(id))
    this.detach('status request', () => this.core.chargers.askStatus(e.chargerId))
  }

  /**
   * What follows from a charger's event runs after the adapter has its answer: the adapter may be
   * handling that charger's messages one at a time, and a command back to the same charger from
   * inside would wait for itself. Whatever is lost here (a crash) the sweep does again.
   */
  private detach(what: string, work: () => Promise<unknown>): void {
    setImmediate(() => {
      work().catch((error) => this.core.logger.warn({ err: error, what }, 'follow-up of a charger event failed; the sweep retries'))
    })
  }
}
