/**
 * This process among the BFF processes on one database:
 * - membership: a heartbeat row per process; a process whose heartbeat is 10 s old is dead, and
 *   one process (the reaper's lease) clears what it held: its chargers, its leases;
 * - the charger registry: which process holds each charger's connection (`charger_links`), kept
 *   in memory from presence signals, checked in the database before a command is sent;
 * - commands to the process that holds a charger, and their answers, as signals.
 * With one process (the embedded database) all of it runs the same, with nobody else to meet.
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { and, eq, gt, inArray, lt, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../store/db'
import { chargerLinks, leases, processes } from './schema'
import { Leases } from './leases'
import type { Signal, Signals } from './signals'

const presenceChannel = 'laddpunkt_presence'
const commandChannel = 'laddpunkt_command'

/** A command for the process that holds the charger's connection. */
export interface Command {
  op: string
  chargerId: string
  args: unknown[]
}

/** The answer to a command that failed, with what the caller needs to tell failures apart. */
export class CommandFailed extends Error {
  constructor(
    message: string,
    readonly kind: string,
  ) {
    super(message)
  }
}

export interface ClusterOptions {
  db: Db
  signals: Signals
  logger: Logger
  /** Heartbeat period; a process is dead after `deadAfterMs` without one. */
  heartbeatMs?: number
  deadAfterMs?: number
  /** How long a command waits for the holder's answer. */
  commandTimeoutMs?: number
}

export class Cluster {
  readonly processId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  readonly leases: Leases
  private readonly db: Db
  private readonly signals: Signals
  private readonly log: Logger
  private readonly heartbeatMs: number
  private readonly deadAfterMs: number
  private readonly commandTimeoutMs: number
  /** Processes with a fresh heartbeat, this one included. */
  private alive = new Set<string>()
  /** Chargers held by other processes, as presence signals and the last reload said. */
  private readonly held = new Map<string, string>()
  private readonly waiting = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>()
  private answerer: ((command: Command) => Promise<unknown>) | null = null
  private dropAll: (() => Promise<void>) | null = null
  private moved: ((chargerId: string) => void) | null = null
  private timer: NodeJS.Timeout | undefined
  private readonly unsubscribe: (() => void)[] = []

  constructor(o: ClusterOptions) {
    this.db = o.db
    this.signals = o.signals
    this.log = o.logger.child({ component: 'cluster', process: this.processId })
    this.heartbeatMs = o.heartbeatMs ?? 2000
    this.deadAfterMs = o.deadAfterMs ?? 10_000
    this.commandTimeoutMs = o.commandTimeoutMs ?? 30_000
    this.leases = new Leases(this.db, this.processId)
  }

  /** Joins: the process row, the signals, who holds which charger. */
  async start(): Promise<void> {
    this.unsubscribe.push(this.signals.on(presenceChannel, (m) => this.presence(m)))
    this.unsubscribe.push(this.signals.on(commandChannel, (m) => void this.command(m)))
    this.signals.onResume(() => void this.reload().catch((error) => this.log.warn({ err: error }, 'reloading the charger registry failed')))
    if ('listen' in this.signals) {
      const listen = (this.signals as { listen(c: string): Promise<void> }).listen.bind(this.signals)
      await Promise.all([listen(presenceChannel), listen(commandChannel)])
    }
    await this.register()
    await this.reload()
    const beat = async () => {
      try {
        await this.heartbeat()
      } catch (error) {
        this.log.warn({ err: error }, 'heartbeat failed')
      }
      this.timer = setTimeout(beat, this.heartbeatMs)
      this.timer.unref()
    }
    this.timer = setTimeout(beat, this.heartbeatMs)
    this.timer.unref()
  }

  /** Leaves: its chargers are free to be found elsewhere, its leases free to take. */
  async stop(): Promise<void> {
    clearTimeout(this.timer)
    for (const off of this.unsubscribe) off()
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer)
      w.reject(new CommandFailed('this process is shutting down', 'closed'))
    }
    this.waiting.clear()
    await this.db.delete(leases).where(eq(leases.holder, this.processId)).catch(() => {})
    await this.db.delete(processes).where(eq(processes.id, this.processId)).catch(() => {})
  }

  /** Carries out commands other processes send for chargers connected here. */
  answerWith(answerer: (command: Command) => Promise<unknown>): void {
    this.answerer = answerer
  }

  /** How to let go of every charger connected here (when the others took this process for dead). */
  onDeclaredDead(drop: () => Promise<void>): void {
    this.dropAll = drop
  }

  /** A charger connected to another process: a connection to it here is stale. */
  onMoved(handler: (chargerId: string) => void): void {
    this.moved = handler
  }

  // ——— the registry ———

  /** This process holds the charger's connection now. */
  async link(chargerId: string): Promise<void> {
    const now = new Date()
    await this.db
      .insert(chargerLinks)
      .values({ chargerId, processId: this.processId, connectedAt: now })
      .onConflictDoUpdate({ target: chargerLinks.chargerId, set: { processId: this.processId, connectedAt: now } })
    this.held.delete(chargerId)
    await this.signals.send(presenceChannel, { c: chargerId, p: this.processId })
  }

  /** The connection here closed: true when it was still the charger's (not taken over by another process). */
  async unlink(chargerId: string): Promise<boolean> {
    const gone = await this.db
      .delete(chargerLinks)
      .where(and(eq(chargerLinks.chargerId, chargerId), eq(chargerLinks.processId, this.processId)))
      .returning({ chargerId: chargerLinks.chargerId })
    if (gone.length === 0) return false
    await this.signals.send(presenceChannel, { c: chargerId, p: null, from: this.processId })
    return true
  }

  /** Another live process holds the charger's connection (from memory: may lag by a signal). */
  isHeldElsewhere(chargerId: string): boolean {
    const holder = this.held.get(chargerId)
    return holder !== undefined && this.alive.has(holder)
  }

  /** The live process holding the charger's connection, as the database says now. */
  async holderOf(chargerId: string): Promise<string | null> {
    const [row] = await this.db
      .select({ processId: chargerLinks.processId })
      .from(chargerLinks)
      .innerJoin(processes, eq(processes.id, chargerLinks.processId))
      .where(and(eq(chargerLinks.chargerId, chargerId), gt(processes.heartbeatAt, this.staleBefore())))
    return row?.processId ?? null
  }

  // ——— commands ———

  /** Sends a command to the process that holds the charger and waits for its answer. */
  ask(processId: string, command: Command): Promise<unknown> {
    const id = randomUUID()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new CommandFailed(`no answer from process ${processId} within ${this.commandTimeoutMs} ms`, 'timeout'))
      }, this.commandTimeoutMs)
      this.waiting.set(id, { resolve, reject, timer })
      this.signals.send(commandChannel, { type: 'ask', id, from: this.processId, to: processId, ...command }).catch((error: Error) => {
        clearTimeout(timer)
        this.waiting.delete(id)
        reject(error)
      })
    })
  }

  private async command(m: Signal): Promise<void> {
    if (m.type === 'answer') {
      const w = m.to === this.processId ? this.waiting.get(String(m.id)) : undefined
      if (!w) return
      clearTimeout(w.timer)
      this.waiting.delete(String(m.id))
      if (m.ok) w.resolve(m.value)
      else w.reject(new CommandFailed(String(m.message), String(m.kind)))
      return
    }
    if (m.type !== 'ask' || m.to !== this.processId || !this.answerer) return
    let answer: Signal
    try {
      const value = await this.answerer({ op: String(m.op), chargerId: String(m.chargerId), args: Array.isArray(m.args) ? m.args : [] })
      answer = { ok: true, value: value ?? null }
    } catch (error) {
      answer = { ok: false, message: String((error as Error).message ?? error).slice(0, 1000), kind: (error as Error).name ?? 'Error' }
    }
    await this.signals.send(commandChannel, { type: 'answer', id: m.id, to: m.from, ...answer }).catch((error: Error) =>
      this.log.error({ err: error }, 'answering a command failed'),
    )
  }

  // ——— membership ———

  private staleBefore(): ReturnType<typeof sql> {
    return sql`now() - ${`${this.deadAfterMs} milliseconds`}::interval`
  }

  private async register(): Promise<void> {
    await this.db
      .insert(processes)
      .values({ id: this.processId, host: hostname(), pid: process.pid, startedAt: sql`now()` as never, heartbeatAt: sql`now()` as never })
      .onConflictDoUpdate({ target: processes.id, set: { heartbeatAt: sql`now()` } })
  }

  private async heartbeat(): Promise<void> {
    const [me] = await this.db
      .update(processes)
      .set({ heartbeatAt: sql`now()` })
      .where(eq(processes.id, this.processId))
      .returning({ id: processes.id })
    if (!me) {
      // The others took us for dead (a long pause) and let our chargers go: drop their connections
      // too, so each reconnects and is registered again, here or elsewhere.
      this.log.warn('this process was declared dead: dropping its charger connections')
      await this.register()
      await this.dropAll?.()
    }
    await this.refreshAlive()
  }

  private async refreshAlive(): Promise<void> {
    const rows = await this.db.select({ id: processes.id }).from(processes).where(gt(processes.heartbeatAt, this.staleBefore()))
    this.alive = new Set(rows.map((r) => r.id))
    this.alive.add(this.processId)
  }

  private async reload(): Promise<void> {
    await this.refreshAlive()
    const rows = await this.db.select({ chargerId: chargerLinks.chargerId, processId: chargerLinks.processId }).from(chargerLinks)
    this.held.clear()
    for (const r of rows) if (r.processId !== this.processId) this.held.set(r.chargerId, r.processId)
  }

  private presence(m: Signal): void {
    const chargerId = String(m.c)
    if (typeof m.p === 'string') {
      if (m.p === this.processId) return
      this.held.set(chargerId, m.p)
      this.alive.add(m.p)
      this.moved?.(chargerId)
    } else if (this.held.get(chargerId) === m.from) {
      this.held.delete(chargerId)
    }
  }

  /** Looks for dead processes every `ms`, in one process at a time (the reaper's lease). */
  reapEvery(ms: number, lost: (chargerIds: string[]) => Promise<void>): NodeJS.Timeout {
    let running = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      this.leases
        .take('reaper', ms * 5)
        .then((mine) => (mine ? this.reap(lost) : undefined))
        .catch((error) => this.log.warn({ err: error }, 'looking for dead processes failed'))
        .finally(() => (running = false))
    }, ms)
    timer.unref()
    return timer
  }

  /**
   * Clears what dead processes held (run under the reaper's lease): their leases go, and each
   * charger they held that no other process took meanwhile is handed to `lost`.
   */
  async reap(lost: (chargerIds: string[]) => Promise<void>): Promise<string[]> {
    const dead = await this.db.select({ id: processes.id }).from(processes).where(lt(processes.heartbeatAt, this.staleBefore()))
    if (dead.length === 0) return []
    const ids = dead.map((d) => d.id)
    const freed = await this.db
      .delete(chargerLinks)
      .where(inArray(chargerLinks.processId, ids))
      .returning({ chargerId: chargerLinks.chargerId, processId: chargerLinks.processId })
    await this.db.delete(leases).where(inArray(leases.holder, ids))
    await this.db.delete(processes).where(inArray(processes.id, ids))
    this.log.warn({ dead: ids, chargers: freed.length }, 'processes stopped answering: their chargers are offline until they reconnect')
    for (const f of freed) await this.signals.send(presenceChannel, { c: f.chargerId, p: null, from: f.processId }).catch(() => {})
    if (freed.length) await lost(freed.map((f) => f.chargerId))
    return ids
  }
}
