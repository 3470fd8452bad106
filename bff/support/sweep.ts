/**
 * The scheduled support sweep: puts right what sessions left over, and says what it decided.
 * - a hold still open long after its session ended is released;
 * - a settled session whose capture the provider refused is flagged for support, never captured blindly;
 * - a refund the provider did not answer is asked again with its own idempotency key.
 * Every decision goes into the audit log (actor: none, i.e. the sweep).
 */
import { and, eq, inArray, isNotNull, lt, notExists } from 'drizzle-orm'
import type { Leases } from '../cluster/leases'
import { auditLog, refunds, sessions } from '../store/schema'
import { audit } from './audit'
import type { DeskDeps, SupportDesk } from './desk'

export interface SweepDecision {
  sessionId: string
  decision: 'released' | 'flagged' | 'refund_retried' | 'failed'
  detail: string
}

export interface SweepOptions extends DeskDeps {
  desk: SupportDesk
  /** A hold on an ended session older than this is released (default 24). */
  staleHoldHours?: number
  /** One process at a time runs the sweep: the one holding its lease. */
  leases: Leases
}

/** A refund younger than this may still be in flight from its own request. */
const refundGraceMs = 60_000

export class SupportSweep {
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly o: SweepOptions) {}

  async run(): Promise<SweepDecision[]> {
    const { db, clock, desk, logger } = this.o
    const now = clock()
    const hours = this.o.staleHoldHours ?? 24
    const decisions: SweepDecision[] = []

    const stale = await db
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        and(
          eq(sessions.method, 'card'),
          isNotNull(sessions.paymentId),
          inArray(sessions.holdStatus, ['held', 'pending']),
          inArray(sessions.state, ['completed', 'failed', 'cancelled']),
          lt(sessions.createdAt, new Date(now.getTime() - hours * 3_600_000)),
        ),
      )
    for (const { id } of stale) {
      try {
        const reason = `Hold still open more than ${hours} h after the session began, and the session has ended`
        const result = await desk.releaseHold(null, id, reason, 'sweep_release')
        decisions.push({ sessionId: id, decision: 'released', detail: result.holdStatus })
      } catch (error) {
        decisions.push({ sessionId: id, decision: 'failed', detail: (error as Error).message })
      }
    }

    const refused = await db
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        and(
          eq(sessions.holdStatus, 'failed'),
          notExists(db.select().from(auditLog).where(and(eq(auditLog.sessionId, sessions.id), eq(auditLog.action, 'sweep_flag')))),
        ),
      )
    for (const { id } of refused) {
      await audit(db, {
        actorId: null,
        action: 'sweep_flag',
        sessionId: id,
        reason: 'The provider refused the capture: support decides (release the hold, or contact the driver). Not captured automatically.',
        at: now,
      })
      decisions.push({ sessionId: id, decision: 'flagged', detail: 'capture refused' })
    }

    const unanswered = await db
      .select({ r: refunds, paymentId: sessions.paymentId })
      .from(refunds)
      .innerJoin(sessions, eq(sessions.id, refunds.sessionId))
      .where(and(eq(refunds.status, 'pending'), lt(refunds.createdAt, new Date(now.getTime() - refundGraceMs))))
    for (const { r, paymentId } of unanswered) {
      try {
        const done = await desk.carryOutRefund(r, paymentId!)
        await audit(db, { actorId: null, action: 'sweep_refund_retry', sessionId: r.sessionId, reason: 'Refund not answered by the provider: asked again', data: { refundId: r.id, status: done.status }, at: now })
        decisions.push({ sessionId: r.sessionId, decision: 'refund_retried', detail: done.status })
      } catch (error) {
        decisions.push({ sessionId: r.sessionId, decision: 'failed', detail: (error as Error).message })
      }
    }

    if (decisions.length) logger.info({ decisions }, 'support sweep')
    return decisions
  }

  /** Runs every `seconds` (the first run after one interval: the session sweep does recovery first), in one process at a time. */
  start(seconds: number): void {
    const loop = async () => {
      try {
        if (await this.o.leases.take('support-sweep', seconds * 2000)) await this.run()
      } catch (error) {
        this.o.logger.error({ err: error }, 'support sweep failed')
      }
      this.timer = setTimeout(loop, seconds * 1000)
      this.timer.unref()
    }
    this.timer = setTimeout(loop, seconds * 1000)
    this.timer.unref()
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}
