import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import pg from 'pg'
import pino, { type Logger } from 'pino'
import lockfile from 'proper-lockfile'
import * as schema from './schema'
import { InProcessSignals, PostgresSignals, type Signals } from '../cluster/signals'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

export interface Store {
  db: Db
  kind: 'pglite' | 'postgres'
  /** Signals between the processes on this database (LISTEN/NOTIFY; one process on PGlite). */
  signals: Signals
  /** Readiness: true when the database answers. */
  ping(): Promise<boolean>
  close(): Promise<void>
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url))

/** Another process holds the embedded data directory. */
export class StoreLockedError extends Error {
  constructor(dir: string, pid: number | null) {
    super(`The embedded database in ${dir} is in use by ${pid ? `process ${pid}` : 'another process'}. Stop it first, or use the running server.`)
  }
}

/** `logger` hears about PostgreSQL connections lost while idle in the pool. */
export type StoreOptions = { databaseUrl: string; logger?: Logger } | { dataDir: string } | { memory: true }

/** Opens the database and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if ('databaseUrl' in options) return openPostgres(options.databaseUrl, options.logger ?? pino({ level: 'warn' }))
  if ('dataDir' in options) return openPglite(options.dataDir)
  return openPglite(undefined)
}

/** Readiness: the database commits a write (a full disk or a read-only database answers selects, not writes). */
export async function takesWrites(db: Db): Promise<boolean> {
  const now = new Date()
  try {
    await db
      .insert(schema.healthChecks)
      .values({ id: 'readyz', checkedAt: now })
      .onConflictDoUpdate({ target: schema.healthChecks.id, set: { checkedAt: now } })
    return true
  } catch {
    return false
  }
}

async function openPostgres(url: string, logger: Logger): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle client losing its connection (server restart, failover, network) is not fatal: the next
  // query takes a new connection. It is worth knowing about all the same.
  pool.on('error', (error) => logger.error({ err: error, component: 'postgres' }, 'PostgreSQL connection lost while idle in the pool'))
  try {
    await pool.query('select 1')
  } catch (error) {
    await pool.end().catch(() => {})
    throw new Error(`Cannot reach PostgreSQL at DATABASE_URL: ${(error as Error).message}`)
  }
  const db = drizzlePg(pool, { schema }) as unknown as Db
  await migrateLocked(pool)
  const signals = new PostgresSignals(url, pool, logger)
  return {
    db,
    kind: 'postgres',
    signals,
    ping: () => pool.query('select 1').then(() => true, () => false),
    close: async () => {
      await signals.close()
      await pool.end()
    },
  }
}

/** Any fixed number: the advisory lock that lets one process at a time migrate. */
const migrationLock = 7_241_530_113

/** Processes starting at once migrate one after the other; the later ones find nothing left to do. */
async function migrateLocked(pool: pg.Pool): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('select pg_advisory_lock($1)', [migrationLock])
    await migratePg(drizzlePg(client, { schema }) as never, { migrationsFolder })
  } finally {
    await client.query('select pg_advisory_unlock($1)', [migrationLock]).catch(() => {})
    client.release()
  }
}

async function openPglite(dataDir: string | undefined): Promise<Store> {
  const unlock = dataDir ? await lockDataDir(dataDir) : async () => {}
  let client: PGlite
  try {
    // A smaller buffer pool than PostgreSQL's default: the embedded database serves one small site.
    const options = { postgresqlconf: ['shared_buffers=16MB'] } as ConstructorParameters<typeof PGlite>[0]
    client = dataDir ? new PGlite(join(dataDir, 'pglite'), options) : new PGlite(options)
    await client.waitReady
  } catch (error) {
    await unlock()
    throw error
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db
  await migratePglite(db as never, { migrationsFolder })
  return {
    db,
    kind: 'pglite',
    signals: new InProcessSignals(),
    ping: () => client.query('select 1').then(() => true, () => false),
    close: async () => {
      await client.close()
      await unlock()
    },
  }
}

/** A lock nobody refreshed for this long belongs to a process that is gone (proper-lockfile refreshes every 5 s). */
const lockStaleMs = 10_000

/**
 * PGlite is single-process: a lock keeps a second process (e.g. the CLI) out. proper-lockfile takes it
 * with an atomic mkdir and keeps it fresh. Taking over a dead process's lock is atomic too: it is never
 * removed and re-made (two processes could both do that), each holder makes the next generation
 * (`lock.1`, `lock.2`, …), and of several processes after the same dead one only one can make it.
 * A lock is dead when its owner process is gone (same host) or nobody refreshed it for 10 s.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true })
  const generations = readdirSync(dir)
    .map((name) => /^lock\.(\d+)$/.exec(name))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
  const top = generations.at(-1)
  if (top !== undefined) {
    const holder = holderOf(join(dir, `lock.${top}`))
    if (holder.alive) throw new StoreLockedError(dir, holder.pid)
  }
  const path = join(dir, `lock.${(top ?? 0) + 1}`)
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: path,
      realpath: false,
      retries: 0,
      stale: lockStaleMs,
      onCompromised: (error) => {
        // Another process believes the database is free: stop before both write to it.
        throw new Error(`Lost the lock on the data directory ${dir} (${error.message}); stopping.`)
      },
    })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new StoreLockedError(dir, holderOf(path).pid)
    throw error
  }
  // Beside the lock, not in it: a file inside would change the lock's mtime, which proper-lockfile watches.
  writeFileSync(`${path}.owner`, JSON.stringify({ pid: process.pid, host: hostname() }))
  for (const old of generations) {
    rmSync(join(dir, `lock.${old}`), { recursive: true, force: true })
    rmSync(join(dir, `lock.${old}.owner`), { force: true })
  }
  return async () => {
    // Owner first: without it the lock still counts as held while fresh, so nobody mistakes it for free.
    rmSync(`${path}.owner`, { force: true })
    await release()
  }
}

function holderOf(lockPath: string): { alive: boolean; pid: number | null } {
  let owner: { pid?: unknown; host?: unknown } = {}
  try {
    owner = JSON.parse(readFileSync(`${lockPath}.owner`, 'utf8')) as typeof owner
  } catch {
    // no owner yet (being taken this moment) or unreadable: the refresh time decides
  }
  const pid = typeof owner.pid === 'number' ? owner.pid : null
  if (pid !== null && owner.host === hostname()) return { alive: isAlive(pid), pid }
  let refreshed: number
  try {
    refreshed = statSync(lockPath).mtimeMs
  } catch {
    return { alive: false, pid } // released meanwhile
  }
  return { alive: refreshed > Date.now() - lockStaleMs, pid }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The handle inside `db.transaction(async (tx) => …)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
