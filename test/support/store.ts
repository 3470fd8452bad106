import pg from 'pg'
import { openStore, type Store } from '../../bff/store/db'
import { seedDemo } from '../../bff/store/seed'

/**
 * A fresh, empty database for one test file: in-memory PGlite, or, when DATABASE_URL is set
 * (the PostgreSQL run in CI), a new database on that server that is dropped on close.
 */
export async function openTestStore(): Promise<Store> {
  const url = process.env.DATABASE_URL
  if (!url) return openStore({ memory: true })
  const name = `laddpunkt_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const testUrl = new URL(url)
  testUrl.pathname = `/${name}`
  const store = await openStore({ databaseUrl: testUrl.toString() })
  return {
    ...store,
    close: async () => {
      await store.close()
      const again = new pg.Client({ connectionString: url })
      await again.connect()
      await again.query(`drop database if exists ${name} with (force)`)
      await again.end()
    },
  }
}

/** A fresh database with the demo seed (site `demo`, chargers DEMO-1 … DEMO-4). */
export async function openDemoStore(): Promise<Store> {
  const store = await openTestStore()
  await seedDemo(store.db)
  return store
}
