/**
 * The periodic sweep, also the recovery after a restart (its first run): start timeouts, starts a
 * crash interrupted, abandoned payments, stops the charger never confirmed, holds about to lapse,
 * settlements waiting for an unplug, and intents to retry. Every step runs per session and on its
 * own: one session that fails is marked for support and cannot hold up the others.
 */
import { and, eq, inArray, lt, sql } from 'drizzle-orm'
import { chargers, intents, sessions } from '../store/schema'
import { canApply } from '../domain/session'
import type { SessionCore } from './core'
import type { DriverCommands } from './commands'
import { notSentYet, type IntentWorker } from './intents'
import type { Settlement } from './settlement'

/** A RemoteStop the charger accepted but never followed with StopTransaction is given this long. */
const stopWaitMs = 15 * 60 * 1000

export class SessionSweep {
  private timer: NodeJS.Timeout | undefined
  /** When each charger was last asked for its connector status (per process: asking twice is harmless). */
  private readonly asked = new Map<string, number>()

  constructor(
    private readonly core: SessionCore,
    private readonly commands: DriverCommands,
    private readonly worker: IntentWorker,
    private readonly settlement: Settlement,
  ) {}

  /** One pass over everything that may be due. Never throws for one session's sake. */
  async tick(): Promise<void> {
    const { db, clock, settings } = this.core
    const now = clock()
    const ids = async (query: Promise<{ id: string }[]>) => (await query).map((r) => r.id)

    // What a charger reported but a crash kept us from taking: its gateway tells us again.
    await this.core.chargers.recover?.().catch((error) => this.core.logger.error({ err: error }, 'gateway recovery failed'))

    const starting = await db
      .select({ id: sessions.id, chargerId: sessions.chargerId, deadline: sessions.startDeadline })
      .from(sessions)
      .where(and(eq(sessions.state, 'starting'), lt(sessions.startDeadline, now)))
    for (const s of starting) {
      // A charger that went away after our RemoteStart may have started: give it time to come back and tell.
      const online = this.core.chargers.isOnline(s.chargerId)
      const [start] = await db.select().from(intents).where(and(eq(intents.sessionId, s.id), eq(intents.action, 'remote_start')))
      const mayHaveStarted = !!start && start.attempts > 0 && start.lastError !== notSentYet
      const giveUpAt = s.deadline!.getTime() + (online || !mayHaveStarted ? 0 : settings.offlineStartGraceSeconds * 1000)
      if (now.getTime() >= giveUpAt) await this.step(s.id, 'start_timeout', () => this.commands.fail(s.id, online ? 'start_timeout' : 'charger_offline'))
    }

    // A verified hold on a session that never began to start (a crash between the two, at a terminal): it started nothing.
    const interruptedBefore = new Date(now.getTime() - settings.startTimeoutSeconds * 1000)
    for (const id of await ids(db.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.state, 'pending'), eq(sessions.holdStatus, 'held'), lt(sessions.createdAt, interruptedBefore))))) {
      await this.step(id, 'start_interrupted', () => this.commands.fail(id, 'start_interrupted'))
    }

    const abandonedBefore = new Date(now.getTime() - settings.pendingTimeoutSeconds * 1000)
    for (const id of await ids(db.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.state, 'pending'), lt(sessions.createdAt, abandonedBefore))))) {
      await this.step(id, 'abandoned', async () => {
        await this.core.change(id, (s) =>
          canApply(s.state, 'cancel')
            ? { event: 'cancel', patch: { failureReason: 'payment_abandoned' }, intents: this.core.releaseIntents(s), log: [{ kind: 'cancelled', data: { reason: 'payment_abandoned' } }] }
            : null,
        )
        await this.worker.runPending(id)
      })
    }

    // Holds about to lapse: stop charging, or end a stop the charger never confirmed.
    const lapsing = await db
      .select({ id: sessions.id, state: sessions.state })
      .from(sessions)
      .where(and(inArray(sessions.state, ['charging', 'stopping']), lt(sessions.captureBy, now)))
    for (const s of lapsing) {
      await this.step(s.id, 'capture_deadline', () => (s.state === 'charging' ? this.commands.stop(s.id, 'hold_lapsing') : this.commands.end(s.id, 'capture deadline reached')))
    }
    const unconfirmed = await db
      .selectDistinct({ id: sessions.id })
      .from(sessions)
      .innerJoin(intents, and(eq(intents.sessionId, sessions.id), eq(intents.action, 'remote_stop')))
      .where(and(eq(sessions.state, 'stopping'), lt(intents.createdAt, new Date(now.getTime() - stopWaitMs))))
    for (const { id } of unconfirmed) {
      await this.step(id, 'stop_unconfirmed', async () => {
        await this.core.change(id, () => ({ patch: { attention: 'no_stop_from_charger' }, log: [{ kind: 'stop_unconfirmed' }] }))
        await this.commands.end(id, 'the charger never confirmed the stop')
      })
    }

    const settling = await db
      .select({ id: sessions.id, chargerId: sessions.chargerId, unpluggedAt: sessions.unpluggedAt, finalCost: sessions.finalCost, lastSeenAt: chargers.lastSeenAt })
      .from(sessions)
      .innerJoin(chargers, eq(chargers.id, sessions.chargerId))
      .where(eq(sessions.state, 'settling'))
    for (const s of settling) {
      await this.step(s.id, 'settle', async () => {
        const waiting = !s.finalCost && !s.unpluggedAt
        if (waiting && !this.core.chargers.isOnline(s.chargerId)) {
          // Not observed since the charger went away (we were down): idle time ends where we last saw it.
          await this.settlement.settleIfDue(s.id, 'charger_offline', s.lastSeenAt ?? new Date(0))
          return
        }
        await this.settlement.settleIfDue(s.id)
        await this.settlement.completeIfSettled(s.id)
        if (waiting) await this.askStatus(s.chargerId, now)
      })
    }

    for (const id of await this.worker.dueSessions()) await this.step(id, 'intents', () => this.worker.runPending(id, { dueOnly: true }))
  }

  /** Runs one session's step; a failure is logged and shown to support on the session, once per distinct reason. */
  private async step(sessionId: string, what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work()
    } catch (error) {
      const message = `${what}: ${String((error as Error).message ?? error)}`.slice(0, 500)
      this.core.logger.error({ err: error, session: sessionId, step: what }, 'session sweep step failed')
      await this.core.db
        .update(sessions)
        .set({ attention: message })
        .where(and(eq(sessions.id, sessionId), sql`${sessions.attention} is distinct from ${message}`))
        .catch(() => {})
    }
  }

  /** Asks a charger for its connector status, at most once per poll interval. */
  private async askStatus(chargerId: string, now: Date): Promise<void> {
    const last = this.asked.get(chargerId) ?? 0
    if (now.getTime() - last < this.core.settings.statusPollSeconds * 1000) return
    this.asked.set(chargerId, now.getTime())
    await this.core.chargers.askStatus(chargerId).catch((error) => this.core.logger.debug({ err: error, chargerId }, 'status request failed'))
  }

  /**
   * Runs tick() now (recovery) and then every `seconds`, in one process at a time: the one holding
   * the sweep's lease, taken over by another within a few ticks when that process is gone.
   */
  start(seconds = 2): void {
    const leaseMs = Math.max(seconds * 5000, 10_000)
    const loop = async () => {
      try {
        if (await this.core.leases.take('session-sweep', leaseMs)) await this.tick()
      } catch (error) {
        this.core.logger.error({ err: error }, 'session sweep failed')
      }
      this.timer = setTimeout(loop, seconds * 1000)
      this.timer.unref()
    }
    void loop()
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}
