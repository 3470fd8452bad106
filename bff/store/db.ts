import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import pg from 'pg'
import * as schema from './schema'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>

export interface Store {
  db: Db
  kind: 'pglite' | 'postgres'
  /** Readiness: true when the database answers. */
  ping(): Promise<boolean>
  close(): Promise<void>
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url))

/** Another process holds the embedded data directory. */
export class StoreLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`The embedded database in ${dir} is in use by process ${pid}. Stop it first, or use the running server.`)
  }
}

export type StoreOptions = { databaseUrl: string } | { dataDir: string } | { memory: true }

/** Opens the database and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if ('databaseUrl' in options) return openPostgres(options.databaseUrl)
  if ('dataDir' in options) return openPglite(options.dataDir)
  return openPglite(undefined)
}

async function openPostgres(url: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  pool.on('error', () => {}) // an idle client losing its connection is not fatal; the next query reconnects
  try {
    await pool.query('select 1')
  } catch (error) {
    await pool.end().catch(() => {})
    throw new Error(`Cannot reach PostgreSQL at DATABASE_URL: ${(error as Error).message}`)
  }
  const db = drizzlePg(pool, { schema }) as unknown as Db
  await migratePg(db as never, { migrationsFolder })
  return {
    db,
    kind: 'postgres',
    ping: () => pool.query('select 1').then(() => true, () => false),
    close: () => pool.end(),
  }
}

async function openPglite(dataDir: string | undefined): Promise<Store> {
  const unlock = dataDir ? lockDataDir(dataDir) : () => {}
  let client: PGlite
  try {
    // A smaller buffer pool than PostgreSQL's default: the embedded database serves one small site.
    const options = { postgresqlconf: ['shared_buffers=16MB'] } as ConstructorParameters<typeof PGlite>[0]
    client = dataDir ? new PGlite(join(dataDir, 'pglite'), options) : new PGlite(options)
    await client.waitReady
  } catch (error) {
    unlock()
    throw error
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db
  await migratePglite(db as never, { migrationsFolder })
  return {
    db,
    kind: 'pglite',
    ping: () => client.query('select 1').then(() => true, () => false),
    close: async () => {
      await client.close()
      unlock()
    },
  }
}

/** PGlite is single-process: a lock file keeps a second process (e.g. the CLI) out. */
function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true })
  const lockPath = join(dir, 'lock.pid')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(lockPath, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const pid = Number(readFileSync(lockPath, 'utf8'))
      if (pid && pid !== process.pid && isAlive(pid)) throw new StoreLockedError(dir, pid)
      rmSync(lockPath, { force: true }) // stale lock from a process that died
    }
  }
  throw new Error(`Cannot lock ${dir}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The handle inside `db.transaction(async (tx) => …)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
