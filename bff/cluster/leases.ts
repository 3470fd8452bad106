/**
 * Leases: work only one process may do at a time (a session's intents, the sweeps), held until
 * released or until the lease runs out, after which any process may take it over. The database's
 * clock decides, so the processes' clocks need not agree.
 */
import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../store/db'
import { leases } from './schema'

export class Leases {
  constructor(
    private readonly db: Db,
    /** Who takes the leases: this process. */
    readonly holder: string,
  ) {}

  /** Takes the lease, or renews it when it is ours; false when another holder has it. */
  async take(name: string, ms: number): Promise<boolean> {
    const expiresAt = sql`now() + ${`${Math.ceil(ms)} milliseconds`}::interval`
    const rows = await this.db
      .insert(leases)
      .values({ name, holder: this.holder, expiresAt })
      .onConflictDoUpdate({
        target: leases.name,
        set: { holder: this.holder, expiresAt },
        setWhere: sql`${leases.holder} = ${this.holder} or ${leases.expiresAt} < now()`,
      })
      .returning({ name: leases.name })
    return rows.length > 0
  }

  async give(name: string): Promise<void> {
    await this.db.delete(leases).where(and(eq(leases.name, name), eq(leases.holder, this.holder)))
  }

  /** Runs `work` holding the lease; returns false (and does nothing) when another holder has it. */
  async with(name: string, ms: number, work: () => Promise<void>): Promise<boolean> {
    if (!(await this.take(name, ms))) return false
    try {
      await work()
    } finally {
      await this.give(name).catch(() => {})
    }
    return true
  }
}
