/**
 * The intent worker: carries out the side effects a session change wrote down (remote start and
 * stop, capture, release), each with its idempotency key, any number of times until done. A
 * transient failure is retried with backoff; a refusal is checked against the provider's own state
 * before anything is concluded about the money.
 */
import { and, asc, eq, isNull, lte, or, sql, type SQL } from 'drizzle-orm'
import { prepared } from '../store/prepared'
import { intents } from '../store/schema'
import { ChargerOfflineError } from '../charging/gateway'
import { PaymentError, type Hold } from '../payments/provider'
import { canApply } from '../domain/session'
import type { Change, IntentRow, SessionCore, SessionRow } from './core'

type Outcome = 'done' | 'failed' | 'retry'

/** An intent held back because the charger is away: it has certainly not reached the charger yet. */
export const notSentYet = 'not sent: the charger is away'

/** Backoff after the n-th failed attempt: 2, 4, 8 … seconds, at most 5 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(2 ** Math.max(1, attempts), 300) * 1000
}

/**
 * A session's intents are carried out by one process at a time, under a lease on the session; a
 * process that dies with the lease loses it after this long (or when it is found dead), and any
 * other process carries the intents on with the same keys.
 */
export const intentLeaseMs = 120_000

/** A session's pending intents in order, those `due` only if given (they run after every session change). */
function pendingIntents(name: string, due?: SQL) {
  return prepared((db) =>
    db
      .select()
      .from(intents)
      .where(and(eq(intents.sessionId, sql.placeholder('sessionId')), eq(intents.status, 'pending'), due))
      .orderBy(asc(intents.id))
      .prepare(name),
  )
}

const allPending = pendingIntents('intents_pending')
/** The sweep's retries: those whose backoff is over. */
const duePending = pendingIntents('intents_due', or(isNull(intents.notBefore), lte(intents.notBefore, sql.placeholder('now'))))

export class IntentWorker {
  /** Sessions whose intents a call in this process is carrying out (it also takes those added meanwhile). */
  private readonly active = new Set<string>()
  /** Sessions asked for again while their call was under way. */
  private readonly again = new Set<string>()

  constructor(
    private readonly core: SessionCore,
    private readonly afterMoney: (sessionId: string) => Promise<void>,
  ) {}

  /**
   * Carries out a session's pending intents in order. Safe to call at any time, any number of
   * times, from any process: while one call holds the session's lease, the others return at once
   * and the holder takes the intents written meanwhile too (the sweep retries any it missed).
   */
  async runPending(sessionId: string, o: { dueOnly?: boolean } = {}): Promise<void> {
    if (this.active.has(sessionId)) {
      this.again.add(sessionId) // the call under way goes round once more
      return
    }
    do {
      this.again.delete(sessionId)
      this.active.add(sessionId)
      try {
        await this.core.leases.with(`intents:${sessionId}`, intentLeaseMs, () => this.runLeased(sessionId, o))
      } finally {
        this.active.delete(sessionId)
      }
    } while (this.again.has(sessionId))
  }

  private async runLeased(sessionId: string, o: { dueOnly?: boolean }): Promise<void> {
    const tried = new Set<number>()
    let leaseTakenAt = Date.now()
    const { db, clock } = this.core
    for (;;) {
      const pending = o.dueOnly ? await duePending(db).execute({ sessionId, now: clock() }) : await allPending(db).execute({ sessionId })
      const next = pending.filter((i) => !tried.has(i.id))
      if (next.length === 0) return
      for (const intent of next) {
        tried.add(intent.id)
        // Renewed once a quarter of it has passed; lost (we stalled past it, another process took over): stop here.
        if (Date.now() - leaseTakenAt > intentLeaseMs / 4) {
          if (!(await this.core.leases.take(`intents:${sessionId}`, intentLeaseMs))) return
          leaseTakenAt = Date.now()
        }
        await this.run(intent)
      }
    }
  }

  /** Sessions with intents due now. */
  async dueSessions(): Promise<string[]> {
    const rows = await this.core.db
      .selectDistinct({ id: intents.sessionId })
      .from(intents)
      .where(and(eq(intents.status, 'pending'), or(isNull(intents.notBefore), lte(intents.notBefore, this.core.clock()))))
    return rows.map((r) => r.id)
  }

  private async run(intent: IntentRow): Promise<void> {
    const { db, clock } = this.core
    try {
      await db.update(intents).set({ attempts: sql`${intents.attempts} + 1` }).where(eq(intents.id, intent.id))
      const session = await this.core.get(intent.sessionId)
      const outcome = await this.carryOut({ ...intent, attempts: intent.attempts + 1 }, session)
      if (outcome === 'retry') {
        await db
          .update(intents)
          .set({ lastError: notSentYet, notBefore: new Date(clock().getTime() + retryDelayMs(intent.attempts + 1)) })
          .where(eq(intents.id, intent.id))
        return
      }
      await db.update(intents).set({ status: outcome, doneAt: clock() }).where(eq(intents.id, intent.id))
    } catch (error) {
      // Transient (network, provider 5xx, charger timeout): stays pending, retried with the same key.
      this.core.logger.warn({ err: error, intent: intent.key }, 'intent failed, will retry')
      await db
        .update(intents)
        .set({ lastError: String((error as Error).message ?? error).slice(0, 500), notBefore: new Date(clock().getTime() + retryDelayMs(intent.attempts + 1)) })
        .where(eq(intents.id, intent.id))
    }
  }

  private async carryOut(intent: IntentRow, s: SessionRow): Promise<Outcome> {
    switch (intent.action) {
      case 'remote_start':
        return this.remoteStart(intent, s)
      case 'remote_stop': {
        // Nothing to stop before the charger reported the start; that report asks again.
        if (s.startedAt === null || (s.state !== 'stopping' && s.state !== 'settling')) return 'done'
        try {
          const result = await this.core.chargers.stopCharging(s.chargerId, s.id)
          await this.core.log(s.id, 'remote_stop', { result })
          return 'done'
        } catch (error) {
          if (error instanceof ChargerOfflineError) return 'retry' // sent again when the charger is back
          throw error
        }
      }
      case 'capture':
        return this.capture(intent, s)
      case 'release':
        return this.release(intent, s)
      case 'refund':
        return 'failed'
    }
  }

  /**
   * A charger that is away, or did not answer, may still have started: the session stays `starting`
   * (the sweep bounds it) and the command goes again when the charger is back. Only a charger that
   * answers "Rejected" to the first attempt fails the start at once; a later attempt's rejection may
   * just mean the first one worked.
   */
  private async remoteStart(intent: IntentRow, s: SessionRow): Promise<Outcome> {
    if (s.state !== 'starting') return 'done'
    let result
    try {
      result = await this.core.chargers.startCharging(s.chargerId, { sessionId: s.id, connectorId: s.connectorId, token: s.idTag })
    } catch (error) {
      if (error instanceof ChargerOfflineError) return 'retry'
      throw error
    }
    await this.core.log(s.id, 'remote_start', { result, attempt: intent.attempts })
    if (result === 'Accepted' || intent.attempts > 1) return 'done'
    await this.core.change(s.id, (now) =>
      canApply(now.state, 'start_failed')
        ? { event: 'start_failed', patch: { failureReason: 'charger_rejected' }, intents: this.core.releaseIntents(now), log: [{ kind: 'failed', data: { reason: 'charger_rejected' } }] }
        : null,
    )
    await this.runPending(s.id)
    return 'failed'
  }

  private async capture(intent: IntentRow, s: SessionRow): Promise<Outcome> {
    const amount = Number(intent.payload.amount)
    if (!s.paymentId) return 'failed'
    try {
      const hold = await this.core.holdsOf(s).capture(s.paymentId, amount, intent.key)
      await this.recordHold(s, hold, 'captured')
      return 'done'
    } catch (error) {
      if (!(error instanceof PaymentError)) throw error
      // Refused: find out what the provider actually holds before concluding anything.
      const hold = await this.core.holdsOf(s).getHold(s.paymentId)
      await this.recordHold(s, hold, 'capture_refused', { code: error.code, message: error.message })
      return hold.status === 'succeeded' ? 'done' : 'failed'
    }
  }

  private async release(intent: IntentRow, s: SessionRow): Promise<Outcome> {
    if (!s.paymentId) {
      await this.core.change(s.id, () => ({ patch: { holdStatus: 'released', releasedAmount: 0 }, log: [{ kind: 'released', data: { amount: 0 } }] }))
      await this.afterMoney(s.id)
      return 'done'
    }
    let hold: Hold
    try {
      hold = await this.core.holdsOf(s).release(s.paymentId, intent.key)
    } catch (error) {
      if (!(error instanceof PaymentError)) throw error
      hold = await this.core.holdsOf(s).getHold(s.paymentId)
      await this.core.log(s.id, 'release_refused', { code: error.code, message: error.message, status: hold.status })
    }
    await this.recordHold(s, hold, 'released')
    return 'done'
  }

  /**
   * Writes down what the provider says about the hold: captured (how much), released, or still
   * open after a refusal — which support must see.
   */
  private async recordHold(s: SessionRow, hold: Hold, kind: 'captured' | 'released' | 'capture_refused', refusal?: Record<string, unknown>): Promise<void> {
    await this.core.change(s.id, (now): Change => {
      if (hold.status === 'succeeded') {
        const captured = hold.amountCaptured
        return {
          patch: { holdStatus: 'captured', capturedAmount: captured, releasedAmount: Math.max(0, now.holdAmount - captured) },
          log: [{ kind: 'captured', data: { amount: captured, released: now.holdAmount - captured, ...(refusal ? { afterRefusal: refusal } : {}) } }],
        }
      }
      if (hold.status === 'canceled') {
        // Released by us, or lapsed at the provider before we captured: then nothing could be charged.
        const lapsed = kind !== 'released'
        return {
          patch: { holdStatus: lapsed ? 'failed' : 'released', releasedAmount: now.holdAmount, ...(lapsed ? { attention: 'hold_lapsed' } : {}) },
          log: [{ kind: lapsed ? 'capture_failed' : 'released', data: { amount: now.holdAmount, status: hold.status, ...refusal } }],
        }
      }
      return {
        patch: { holdStatus: 'failed', attention: kind === 'released' ? 'release_refused' : 'capture_refused' },
        log: [{ kind: kind === 'released' ? 'release_failed' : 'capture_failed', data: { status: hold.status, ...refusal } }],
      }
    })
    await this.afterMoney(s.id)
  }
}
