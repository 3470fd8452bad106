/**
 * What chargers tell us, applied to sessions: starts (also resent ones), meter readings, stops, the
 * connector's status and the charger's connection. The charger's StopTransaction is the source of
 * truth for energy; times go through the session's billing clock.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import { chargers, connectors, grants, rfidTags, sessionEvents, sessions, tariffs } from '../store/schema'
import type { IdTagStatus, MeterSample, TransactionEvent } from '../charging/gateway'
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

/** Why a charger ended a transaction, in the driver's words (OCPP 1.6 Reason). */
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

  async authorizeIdTag(e: { chargerId: string; idTag: string }): Promise<IdTagStatus> {
    const [session] = await this.core.db.select().from(sessions).where(eq(sessions.idTag, e.idTag))
    if (session) return session.chargerId === e.chargerId && (liveStates as readonly string[]).includes(session.state) ? 'Accepted' : 'Invalid'
    return (await this.rfidDecision(e.chargerId, e.idTag)).status
  }

  /**
   * A driver's own RFID tag: accepted where one of the tag owner's grants lets them start now.
   * A revoked or expired grant answers Blocked, so the charger can say so; anything else Invalid.
   */
  private async rfidDecision(chargerId: string, idTag: string) {
    const { db, clock } = this.core
    const refused = (status: IdTagStatus) => ({ status, userId: null, grant: null })
    const [tag] = await db.select().from(rfidTags).where(eq(rfidTags.idTag, idTag.toUpperCase()))
    if (!tag) return refused('Invalid')
    const [charger] = await db.select({ siteId: chargers.siteId }).from(chargers).where(eq(chargers.id, chargerId))
    if (!charger) return refused('Invalid')
    const decision = await decideStart(db, { userId: tag.userId, siteId: charger.siteId, chargerId, now: clock() })
    if (decision.ok) return { status: 'Accepted' as IdTagStatus, userId: tag.userId, grant: decision.grant }
    return refused(decision.code === 'grant_revoked' || decision.code === 'grant_expired' ? 'Blocked' : 'Invalid')
  }

  /**
   * A transaction the charger started with a driver's RFID tag (no phone involved): a grant session
   * bound to it from the start. Its idTag column is longer than any idTag (CiString20) a charger can
   * send, so no charger can ever present it; the tag itself stays in the transaction.
   */
  private async startFromRfid(tx: TransactionEvent): Promise<void> {
    const { db } = this.core
    const decision = await this.rfidDecision(tx.chargerId, tx.idTag)
    if (decision.status !== 'Accepted' || !decision.grant) return
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
        idTag: `rfid-transaction-no-${tx.transactionId}:${tx.idTag.toUpperCase()}`,
        tariff,
        currency: tariff.currency,
        holdAmount: 0,
        stopTokenHash: hashToken(stopToken),
        receiptTokenHash: hashToken(receiptTokenFor(stopToken)),
        transactionId: tx.transactionId,
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
    if (!created) return
    await db.insert(sessionEvents).values([
      { sessionId: id, at: now, kind: 'created', data: { method: 'grant', rfid: true, grantId: grant.id, tariff } },
      { sessionId: id, at: now, kind: 'transaction_started', data: { transactionId: tx.transactionId, meterStartWh: tx.meterStartWh, chargerClockMs: start.skewMs } },
    ])
    this.core.publish(id)
  }

  async transactionStarted(tx: TransactionEvent): Promise<void> {
    const [found] = await this.core.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.idTag, tx.idTag))
    if (!found) return this.startFromRfid(tx)
    const tolerance = this.core.settings.clockToleranceMs
    await this.core.change(found.id, (s) => {
      if (s.transactionId !== null) {
        if (s.transactionId === tx.transactionId) return null
        return { patch: {}, log: [{ kind: 'second_transaction_ignored', data: { transactionId: tx.transactionId, bound: s.transactionId } }] }
      }
      if (s.state !== 'starting' && s.state !== 'stopping') return null
      const start = billingStart({ chargerAt: tx.startedAt, receivedAt: tx.receivedAt, createdAt: s.createdAt, toleranceMs: tolerance })
      const patch = { transactionId: tx.transactionId, startedAt: start.startedAt, chargerStartedAt: tx.startedAt, clockSkewMs: start.chargerClock ? 0 : start.skewMs }
      const log = [{ kind: 'transaction_started', data: { transactionId: tx.transactionId, meterStartWh: tx.meterStartWh, skewMs: start.skewMs, chargerClock: start.chargerClock } }]
      // Stopped before the charger reported the start: bind, then stop it for real.
      if (s.state === 'stopping') return { patch, log, intents: [{ action: 'remote_stop' }] }
      return { event: 'transaction_started', patch, log }
    })
    await this.worker.runPending(found.id)
  }

  async meterValues(tx: TransactionEvent, sample: MeterSample): Promise<void> {
    const { db, clock, settings } = this.core
    const [session] = await db.select().from(sessions).where(eq(sessions.transactionId, tx.transactionId))
    if (!session || (session.state !== 'charging' && session.state !== 'stopping')) return
    const energyWh = sample.energyWh !== null ? Math.max(0, sample.energyWh - tx.meterStartWh) : session.energyWh
    const powerW = sample.powerW ?? session.powerW
    const cost = this.settlement.costNow({ ...session, energyWh })
    await db
      .update(sessions)
      .set({ energyWh, powerW, costTotal: cost.total, updatedAt: clock(), version: sql`${sessions.version} + 1` })
      .where(and(eq(sessions.id, session.id), inArray(sessions.state, ['charging', 'stopping'])))
    this.core.publish(session.id)
    if (session.state === 'charging' && session.method === 'card') {
      const margin = intervalWorth(session.tariff, powerW, settings.meterIntervalSeconds)
      if (reachesHoldLimit(cost.total, session.holdAmount, margin)) await this.commands.stop(session.id, 'hold_limit')
    }
    if (session.state === 'charging' && session.grantId && (await this.reachesGrantCap(session, { energyWh, amount: cost.total, powerW }))) {
      await this.commands.stop(session.id, 'grant_cap')
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

  async transactionStopped(tx: TransactionEvent): Promise<void> {
    const { db } = this.core
    const [session] = await db
      .select()
      .from(sessions)
      .where(sql`${sessions.transactionId} = ${tx.transactionId} or (${sessions.idTag} = ${tx.idTag} and ${sessions.transactionId} is null)`)
    if (!session) return
    const [connector] = await db
      .select()
      .from(connectors)
      .where(and(eq(connectors.chargerId, session.chargerId), eq(connectors.connectorId, session.connectorId)))
    const seenAt = tx.stopReceivedAt ?? this.core.clock()
    const reported = Math.max(0, (tx.meterStopWh ?? tx.meterStartWh) - tx.meterStartWh)
    const ceiling = plausibleEnergyWh(connector?.maxPowerW ?? 0, (seenAt.getTime() - session.createdAt.getTime()) / 1000)
    const energyWh = Math.min(reported, ceiling)
    // The unplug may have reached us before the stop (reordered): then no idle time was ever observed.
    // An Available from before this transaction began says nothing.
    const freedDuringTx = connector?.status === 'Available' && connector.statusAt !== null && connector.statusAt >= tx.receivedAt
    const unplugged = tx.stopReason === 'EVDisconnected' || freedDuringTx
    await this.core.change(session.id, (s) => {
      if (s.state !== 'charging' && s.state !== 'stopping') return null
      const startedAt = s.startedAt ?? tx.receivedAt
      const stoppedAt = tx.stoppedAt
        ? billingStop({ chargerAt: tx.stoppedAt, receivedAt: seenAt, startedAt, skewMs: s.clockSkewMs ?? 0, chargerClock: (s.clockSkewMs ?? 0) === 0 })
        : seenAt
      return {
        event: 'transaction_stopped',
        patch: {
          transactionId: tx.transactionId,
          energyWh,
          powerW: 0,
          startedAt,
          stoppedAt,
          chargerStoppedAt: tx.stoppedAt,
          stopSeenAt: seenAt,
          unpluggedAt: unplugged ? seenAt : s.unpluggedAt,
          stopReason: s.stopReason ?? stopReasons[tx.stopReason ?? 'Local'] ?? 'charger',
          ...(reported > ceiling ? { attention: 'implausible_energy' } : {}),
        },
        log: [
          { kind: 'transaction_stopped', data: { transactionId: tx.transactionId, meterStopWh: tx.meterStopWh, reason: tx.stopReason, chargerStoppedAt: tx.stoppedAt } },
          ...(reported > ceiling ? [{ kind: 'implausible_energy', data: { reportedWh: reported, billedWh: energyWh } }] : []),
        ],
      }
    })
    await this.settlement.settleIfDue(session.id)
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
      await this.settlement.settleIfDue(id)
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
    for (const { id } of waiting) await this.settlement.settleIfDue(id, 'charger_offline', observedUntil)
    if (!e.online) return
    const held = await db
      .selectDistinct({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.chargerId, e.chargerId), inArray(sessions.state, ['starting', 'charging', 'stopping'])))
    for (const { id } of held) await this.worker.runPending(id)
    await this.core.chargers.askStatus(e.chargerId).catch((error) => this.core.logger.warn({ err: error, chargerId: e.chargerId }, 'status request failed'))
  }
}
