/**
 * Settlement: the energy is fixed when the charger reports the stop; a tariff with an idle fee then
 * waits for the unplug, but only so long (the idle fee's cap, the longest wait, the hold's capture
 * deadline), and bills only idle time we observed ourselves. Then capture or release, and the
 * receipt, issued in the same transaction that completes the session.
 */
import { eq, sql } from 'drizzle-orm'
import { sessionEvents, sessions } from '../store/schema'
import { nextState } from '../domain/session'
import { costOf, unplugWaitSeconds, usageTimes, type Cost } from '../domain/tariff'
import { chargeFor } from '../domain/charge'
import { issueReceipt } from '../receipts/issue'
import type { Change, SessionCore, SessionRow } from './core'

/** Why settlement stopped waiting for the unplug. */
export type SettleTrigger = 'no_idle_fee' | 'unplugged' | 'wait_over' | 'hold_used_up' | 'capture_deadline' | 'charger_offline' | 'support'

export class Settlement {
  constructor(
    private readonly core: SessionCore,
    private readonly runIntents: (sessionId: string) => Promise<void>,
  ) {}

  /** Cost right now: final once settled, else from the billing clock and, for idle time, ours. */
  costNow(s: Pick<SessionRow, 'tariff' | 'energyWh' | 'startedAt' | 'stoppedAt' | 'stopSeenAt' | 'unpluggedAt' | 'finalCost'>, now = this.core.clock()): Cost {
    if (s.finalCost) return s.finalCost
    const maxIdleSeconds = unplugWaitSeconds(s.tariff, this.core.settings.unplugWaitSeconds)
    const times = usageTimes({ startedAt: s.startedAt, stoppedAt: s.stoppedAt, stopSeenAt: s.stopSeenAt, unpluggedAt: s.unpluggedAt, now, maxIdleSeconds })
    return costOf(s.tariff, { energyWh: s.energyWh, ...times })
  }

  /** Why a settling session may settle now, or null while it still waits for the unplug. */
  trigger(s: SessionRow, now: Date, forced?: SettleTrigger): SettleTrigger | null {
    if (forced) return forced
    const wait = unplugWaitSeconds(s.tariff, this.core.settings.unplugWaitSeconds)
    if (wait === 0) return 'no_idle_fee'
    if (s.unpluggedAt) return 'unplugged'
    const seen = (s.stopSeenAt ?? s.updatedAt).getTime()
    if (now.getTime() >= seen + wait * 1000) return 'wait_over'
    if (s.captureBy && now >= s.captureBy) return 'capture_deadline'
    if (s.method === 'card' && this.costNow(s, now).total >= s.holdAmount) return 'hold_used_up'
    return null
  }

  /**
   * Settles a `settling` session when it is due (or `forced`): fixes the cost, then captures or
   * releases. `observedUntil` ends the idle time where our observation of the connector ended.
   */
  async settleIfDue(id: string, forced?: SettleTrigger, observedUntil?: Date): Promise<void> {
    const session = await this.core.get(id)
    if (session.state !== 'settling') return
    if (!session.finalCost) {
      const clock = this.core.clock()
      const seen = (session.stopSeenAt ?? clock).getTime()
      const now = observedUntil ? new Date(Math.max(seen, Math.min(clock.getTime(), observedUntil.getTime()))) : clock
      if (!this.trigger(session, now, forced)) return
      await this.core.change(id, (s) => {
        if (s.state !== 'settling' || s.finalCost) return null
        const why = this.trigger(s, now, forced)
        if (!why) return null
        const cost = this.costNow(s, now)
        const charge = chargeFor({ method: s.method, cost, energyWh: s.energyWh, holdAmount: s.holdAmount, minimumCharge: this.core.holdsOf(s).minimumCharge(s.currency) })
        const money: Change['intents'] =
          s.method !== 'card' ? [] : charge.basis === 'card' ? [{ action: 'capture', payload: { amount: charge.amount } }] : this.core.releaseIntents(s)
        return {
          patch: { finalCost: cost, costTotal: cost.total },
          intents: money,
          log: [{ kind: 'settling', data: { trigger: why, total: cost.total, charge: charge.amount, basis: charge.basis } }],
        }
      })
    }
    await this.runIntents(id)
    await this.completeIfSettled(id)
  }

  /** settling -> completed once the money is settled: the receipt is issued in the same transaction. */
  async completeIfSettled(id: string): Promise<void> {
    const settled = (s: SessionRow) => s.method !== 'card' || !s.paymentId || s.holdStatus === 'captured' || s.holdStatus === 'released' || s.holdStatus === 'failed'
    const session = await this.core.get(id)
    if (session.state !== 'settling' || !session.finalCost || !settled(session)) return
    const now = this.core.clock()
    const done = await this.core.db.transaction(async (tx) => {
      const [s] = await tx.select().from(sessions).where(eq(sessions.id, id)).for('update')
      if (s.state !== 'settling') return false
      const receipt = await issueReceipt(tx, s, now)
      await tx
        .update(sessions)
        .set({ state: nextState(s.state, 'settled'), receiptNumber: receipt.number, updatedAt: now, version: sql`${sessions.version} + 1` })
        .where(eq(sessions.id, id))
      await tx.insert(sessionEvents).values([
        { sessionId: id, at: now, kind: 'state', data: { from: 'settling', to: 'completed' } },
        { sessionId: id, at: now, kind: 'receipt_issued', data: { number: receipt.number } },
      ])
      return true
    })
    if (done) this.core.publish(id)
  }
}
