/**
 * What only PostgreSQL shows: processes starting at once on an empty database (migrations under an
 * advisory lock), and signals over LISTEN/NOTIFY between separate connections, within NOTIFY's
 * payload limit and after a lost LISTEN connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { openStore, type Store } from '../../bff/store/db'
import { LiveBus } from '../../bff/live'
import { adminUrl } from '../support/cluster'
import { createDatabase } from '../support/store'
import { silent, until } from '../support/system'

const journal = JSON.parse(readFileSync(join(import.meta.dirname, '../../bff/store/migrations/meta/_journal.json'), 'utf8')) as { entries: unknown[] }
let database: Awaited<ReturnType<typeof createDatabase>>
let url = ''

beforeAll(async () => {
  database = await createDatabase(adminUrl, 'laddpunkt_pgcluster')
  url = database.url
})

afterAll(async () => {
  await database?.drop()
})

describe('PostgreSQL shared by several processes', () => {
  let stores: Store[] = []
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()))
  })

  it('four processes opening an empty database at once: each migration runs once, every one starts', async () => {
    stores = await Promise.all([1, 2, 3, 4].map(() => openStore({ databaseUrl: url, logger: silent })))
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const applied = await client.query('select count(*)::int as n from drizzle.__drizzle_migrations')
    await client.end()
    expect(applied.rows[0].n).toBe(journal.entries.length)
  })

  it('a publication reaches the live bus of another process, batched below the NOTIFY limit', async () => {
    const [one, two] = stores
    const here = new LiveBus()
    const there = new LiveBus()
    here.connect(one.signals, 'one')
    there.connect(two.signals, 'two')
    await (two.signals as unknown as { listen(c: string): Promise<void> }).listen('laddpunkt_live')
    const seen = new Set<string>()
    for (let i = 0; i < 500; i++) there.subscribe(`charger:CHARGER-WITH-A-LONG-IDENTITY-${i}`, (p) => seen.add(String(p)))
    for (let i = 0; i < 500; i++) here.publish(`charger:CHARGER-WITH-A-LONG-IDENTITY-${i}`, `CHARGER-WITH-A-LONG-IDENTITY-${i}`)
    await until('all 500 relayed', () => seen.size === 500, 10_000)
  })

  it('signals resume after the LISTEN connection is killed', async () => {
    const [, , three, four] = stores
    const got: unknown[] = []
    let resumed = 0
    three.signals.onResume(() => resumed++)
    three.signals.on('laddpunkt_test', (m) => got.push(m.n))
    await (three.signals as unknown as { listen(c: string): Promise<void> }).listen('laddpunkt_test')
    await four.signals.send('laddpunkt_test', { n: 1 })
    await until('first signal', () => got.includes(1))
    // An operator's pg_terminate_backend, a failover: the listening connection is gone.
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and query ilike 'listen%'`, [new URL(url).pathname.slice(1)])
    await admin.end()
    expect(killed.rowCount).toBeGreaterThan(0)
    await until('resumed', () => resumed > 0, 20_000)
    await four.signals.send('laddpunkt_test', { n: 2 })
    await until('signal after the resume', () => got.includes(2), 10_000)
  })
})
