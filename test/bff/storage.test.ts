/** Storage: the same schema and migrations on PGlite and (with DATABASE_URL, in CI) PostgreSQL. */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { openDemoStore, openTestStore } from '../support/store'
import { openStore, StoreLockedError, type Store } from '../../bff/store/db'
import { seedDemo } from '../../bff/store/seed'
import { chargers, connectors, receiptCounters, sites, tariffs } from '../../bff/store/schema'
import { verifyPassword } from '../../bff/secrets'

let store: Store | undefined
afterEach(async () => {
  await store?.close()
  store = undefined
})

describe('storage', () => {
  it('migrates an empty database and seeds the demo site once', async () => {
    store = await openTestStore()
    expect(await seedDemo(store.db)).toBe(true)
    expect(await seedDemo(store.db)).toBe(false)
    const [site] = await store.db.select().from(sites)
    expect(site).toMatchObject({ id: 'demo', name: 'Demo Garage', currency: 'SEK', orgNumber: '559123-4567', accessMode: 'paid' })
    const rows = await store.db.select().from(connectors)
    expect(rows).toHaveLength(8)
    expect(new Set(rows.map((r) => r.maxPowerW))).toEqual(new Set([11_000, 22_000, 50_000]))
    const [dc] = await store.db.select().from(connectors).where(eq(connectors.chargerId, 'DEMO-4'))
    expect(dc.plug).toBe('CCS2')
    const tariffRows = await store.db.select().from(tariffs)
    for (const t of tariffRows) {
      expect(t.components.map((c) => c.type)).toEqual(['energy', 'time', 'session', 'idle'])
      expect(t.vatRateBp).toBe(2500)
    }
    const [charger] = await store.db.select().from(chargers).where(eq(chargers.id, 'DEMO-1'))
    expect(await verifyPassword('demo-demo-1-password', charger.passwordHash!)).toBe(true)
    expect(await verifyPassword('wrong', charger.passwordHash!)).toBe(false)
  })

  it('keeps EVSE ids unique and connectors tied to a charger', async () => {
    store = await openDemoStore()
    await expect(
      store.db.insert(connectors).values({ chargerId: 'DEMO-2', connectorId: 9, evseId: 'SE*LDP*EDEMO1*1', plug: 'Type2', maxPowerW: 1 }),
    ).rejects.toThrow()
    await expect(
      store.db.insert(connectors).values({ chargerId: 'NOPE', connectorId: 1, evseId: 'SE*LDP*ENOPE*1', plug: 'Type2', maxPowerW: 1 }),
    ).rejects.toThrow()
  })

  it('rolls a failed transaction back completely', async () => {
    store = await openDemoStore()
    await expect(
      store.db.transaction(async (tx) => {
        await tx.update(sites).set({ name: 'Changed' }).where(eq(sites.id, 'demo'))
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    const [site] = await store.db.select().from(sites)
    expect(site.name).toBe('Demo Garage')
  })

  it('numbers receipts without gaps under concurrent issuing', async () => {
    store = await openDemoStore()
    const db = store.db
    const next = () =>
      db.transaction(async (tx) => {
        const [row] = await tx
          .insert(receiptCounters)
          .values({ orgNumber: '559123-4567', lastSequence: 1 })
          .onConflictDoUpdate({ target: receiptCounters.orgNumber, set: { lastSequence: sql`${receiptCounters.lastSequence} + 1` } })
          .returning()
        return row.lastSequence
      })
    const numbers = await Promise.all(Array.from({ length: 20 }, next))
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
  })
})

describe.skipIf(!!process.env.DATABASE_URL)('the embedded data directory', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

  it('is held by one process at a time and keeps its data across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laddpunkt-store-'))
    dirs.push(dir)
    const first = await openStore({ dataDir: dir })
    await seedDemo(first.db)
    await expect(openStore({ dataDir: dir })).rejects.toBeInstanceOf(StoreLockedError)
    await first.close()
    store = await openStore({ dataDir: dir })
    const [site] = await store.db.select().from(sites)
    expect(site.id).toBe('demo')
  })

  it('takes over a lock left by a process that died', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laddpunkt-store-'))
    dirs.push(dir)
    // What a process killed while holding the lock leaves behind (see data-dir-lock.test.ts for the real thing).
    mkdirSync(join(dir, 'lock.1'))
    writeFileSync(join(dir, 'lock.1.owner'), JSON.stringify({ pid: 2147483646, host: hostname() }))
    store = await openStore({ dataDir: dir })
    expect(await store.ping()).toBe(true)
  })
})
