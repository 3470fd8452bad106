/**
 * The meter path of live sessions, built for throughput: each charging session is read once and
 * kept in memory until it changes (SessionCore.change forgets it), its energy, power and cost are
 * worked out there, and readings are stored by group commit — one statement inserts the meter samples
 * and updates the sessions' totals for everything that arrived meanwhile (a write every 10 ms at
 * most). A reading is answered once it is in the buffer, not once written: a crash loses at most the
 * readings of the last few milliseconds, and as a reading is the meter's register, not an
 * increment, the next one carries the energy on; only a charger that never reports again (no reading,
 * no StopTransaction) leaves its session one reading short, in the driver's favour. Past
 * `answerAheadReadings` unwritten readings (a slow database) the answers wait for the writes, so the
 * chargers are slowed instead of the buffer growing. Nothing here decides money on its own: the
 * charger's StopTransaction fixes the energy, state changes wait for the session's readings to be
 * written, and the write never touches a session past `stopping`. Viewers are told once per session
 * per write.
 */
import { sql } from 'drizzle-orm'
import type { Db } from '../store/db'
import { sessions } from '../store/schema'
import { GroupCommit, meterWriteGapMs } from '../store/group-commit'
import type { Logger } from 'pino'
import type { MeterReading } from '../charging/gateway'

/** Unwritten readings past which a charger's answer waits for the write (back-pressure instead of an unbounded buffer). */
export const answerAheadReadings = 2000

type SessionRow = typeof sessions.$inferSelect

/** What a reading makes of its session: the running totals the write stores. */
export interface LiveTotals {
  energyWh: number
  powerW: number
  costTotal: number
}

type Stored = MeterReading & { totals: LiveTotals }

export class MeterBuffer {
  private readonly rows = new Map<string, Promise<SessionRow | null>>()
  /** Readings per session added and not yet written. */
  private readonly unwritten = new Map<string, number>()
  private readonly commit: GroupCommit<Stored>

  constructor(
    private readonly db: Db,
    private readonly clock: () => Date,
    private readonly read: (sessionId: string) => Promise<SessionRow | null>,
    private readonly publish: (sessionId: string) => void,
    private readonly logger: Logger,
    private readonly answerAhead = answerAheadReadings,
  ) {
    this.commit = new GroupCommit((batch) => this.write(batch), { gapMs: meterWriteGapMs })
  }

  /**
   * The session as the meter path knows it, with the totals of the readings taken so far. Read
   * once (callers arriving meanwhile share the read, so readings keep their order) and kept.
   */
  session(id: string): Promise<SessionRow | null> {
    let row = this.rows.get(id)
    if (!row) {
      row = this.read(id)
      this.rows.set(id, row)
      row.catch(() => this.rows.delete(id))
    }
    return row
  }

  /** The session changed elsewhere: the next reading reads it again. */
  forget(id: string): void {
    this.rows.delete(id)
  }

  /**
   * Stores a reading with the totals it brought its session to: settles at once while the buffer
   * is short, once written when it is not.
   */
  record(reading: MeterReading, totals: LiveTotals): Promise<void> {
    this.unwritten.set(reading.sessionId, (this.unwritten.get(reading.sessionId) ?? 0) + 1)
    const stored = this.commit.add({ ...reading, totals })
    if (this.commit.size > this.answerAhead) return stored
    stored.catch(() => {}) // answered already; a failed write is logged once for its batch
    return Promise.resolve()
  }

  /** Waits until this session's readings taken so far are written (a state change reads what they wrote). */
  async written(id: string): Promise<void> {
    if (this.unwritten.has(id)) await this.commit.flushed()
  }

  private async write(batch: Stored[]): Promise<void> {
    const latest = new Map<string, LiveTotals>()
    for (const r of batch) latest.set(r.sessionId, r.totals)
    // One statement, two parameters whatever the batch size: JSON rows, no per-row query building.
    const samples = batch.map((r) => ({ session_id: r.sessionId, at: r.at.toISOString(), energy_wh: r.energyWh, power_w: r.powerW, soc_percent: r.socPercent }))
    const totals = [...latest].map(([id, t]) => ({ id, energy_wh: t.energyWh, power_w: t.powerW, cost_total: t.costTotal }))
    try {
      await this.db.execute(sql`
        with stored as (
          insert into meter_samples (session_id, at, energy_wh, power_w, soc_percent)
          select session_id, at, energy_wh, power_w, soc_percent
          from json_to_recordset(${JSON.stringify(samples)}::json) as r(session_id text, at timestamptz, energy_wh bigint, power_w integer, soc_percent integer)
        )
        update sessions
        set energy_wh = v.energy_wh, power_w = v.power_w, cost_total = v.cost_total, updated_at = ${this.clock().toISOString()}::timestamptz, version = sessions.version + 1
        from json_to_recordset(${JSON.stringify(totals)}::json) as v(id text, energy_wh bigint, power_w integer, cost_total bigint)
        where sessions.id = v.id and sessions.state in ('charging', 'stopping')`)
    } catch (error) {
      // Once per batch, not per reading: an outage would otherwise log thousands of lines a second.
      this.logger.error({ err: error, readings: batch.length, sessions: latest.size }, 'meter readings not stored (the next reading of each session carries its register on)')
      throw error
    } finally {
      for (const r of batch) {
        const left = (this.unwritten.get(r.sessionId) ?? 1) - 1
        if (left > 0) this.unwritten.set(r.sessionId, left)
        else this.unwritten.delete(r.sessionId)
      }
    }
    for (const id of latest.keys()) this.publish(id)
  }
}
