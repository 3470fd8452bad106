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
  const database = await createDatabase(url, 'laddpunkt_test')
  const store = await openStore({ databaseUrl: database.url })
  return {
    ...store,
    close: async () => {
      await store.close()
      await database.drop()
    },
  }
}

/** A new, empty database on the PostgreSQL server of `serverUrl`; `drop()` removes it. */
export async function createDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  await admin(`create database ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) }
}

/** A fresh database with the demo seed (site `demo`, chargers DEMO-1 … DEMO-4). */
export async function openDemoStore(): Promise<Store> {
  const store = await openTestStore()
  await seedDemo(store.db)
  return store
}
