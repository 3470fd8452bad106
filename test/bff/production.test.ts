/**
 * Production is what runs unless the embedded demo is asked for: no sign-in codes for anyone, no
 * simulated payments, no start without real mail and Stripe. And what an operator relies on there:
 * a readiness check that proves writes, one access log line per request with its id.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import pino from 'pino'
import { readEnv } from '../../bff/env'
import { startSystem } from '../../bff/system'
import { SimulatedPayments } from '../../bff/payments/simulated'
import { parseTrustProxy } from '../../bff/http/client-address'
import { openStore } from '../../bff/store/db'
import { openDemoStore } from '../support/store'
import { http, silent, startTestSystem, startWithStripe, until } from '../support/system'

vi.setConfig({ testTimeout: 60_000 })
const root = join(import.meta.dirname, '..', '..')
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const stripeKeys = { STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_PUBLISHABLE_KEY: 'pk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' }
const production = { SMTP_URL: 'smtp://mail.example.com', ...stripeKeys }

/** pino writing into an array: what the operator's log collector would get. */
function capturedLogger() {
  const lines: Record<string, any>[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  return { logger: pino({ level: 'info' }, sink), lines }
}

describe('the configuration', () => {
  it('is production unless the demo is asked for, whatever NODE_ENV says', () => {
    for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }]) {
      expect(() => readEnv(env)).toThrow(/^Bad configuration: SMTP_URL is missing.*LADDPUNKT_MODE=demo/)
    }
    expect(() => readEnv({ SMTP_URL: 'smtp://mail.example.com' })).toThrow(/STRIPE_SECRET_KEY.*missing.*Stripe/)
    expect(() => readEnv({ ...production, SIM_CHARGERS: '1' })).toThrow(/SIM_CHARGERS/)
    const env = readEnv(production)
    expect(env).toMatchObject({ demo: false, SIM_CHARGERS: false, TRUST_PROXY: { kind: 'none' } })
  })

  it('runs the demo only on its own database and never with live Stripe keys', () => {
    expect(readEnv({ LADDPUNKT_MODE: 'demo' })).toMatchObject({ demo: true, SIM_CHARGERS: true })
    expect(() => readEnv({ LADDPUNKT_MODE: 'demo', DATABASE_URL: 'postgres://db/laddpunkt' })).toThrow(/DATABASE_URL is set: the demo runs only on its embedded database/)
    expect(() => readEnv({ LADDPUNKT_MODE: 'demo', STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_PUBLISHABLE_KEY: 'pk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' })).toThrow(
      /STRIPE_SECRET_KEY is a live key/,
    )
    expect(() => readEnv({ LADDPUNKT_MODE: 'demo', NODE_ENV: 'production' })).toThrow(/LADDPUNKT_MODE demo contradicts NODE_ENV=production/)
    expect(() => readEnv({ LADDPUNKT_MODE: 'yes' })).toThrow(/^Bad configuration: LADDPUNKT_MODE/)
  })

  it('reads TRUST_PROXY as a hop count or a list of proxy addresses, and refuses anything else', () => {
    expect(readEnv({ ...production, TRUST_PROXY: '1' }).TRUST_PROXY).toEqual({ kind: 'hops', hops: 1 })
    expect(readEnv({ ...production, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, fd00::/8' }).TRUST_PROXY.kind).toBe('addresses')
    for (const bad of ['yes', '10.0.0.0/33', '10.0.0.0/8/1', 'proxy.example.com', '999']) {
      expect(() => readEnv({ ...production, TRUST_PROXY: bad })).toThrow(/^Bad configuration: TRUST_PROXY/)
    }
  })

  it('stops the real server with one clear line when production lacks mail and Stripe', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'laddpunkt-prod-'))
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }))
    const env: Record<string, string> = { ...process.env, DATA_DIR: dataDir, PORT: '0', DATABASE_URL: '' } as Record<string, string>
    for (const name of ['LADDPUNKT_MODE', 'NODE_ENV', 'SMTP_URL', 'STRIPE_SECRET_KEY', 'STRIPE_PUBLISHABLE_KEY', 'STRIPE_WEBHOOK_SECRET']) delete env[name]
    const child = spawn(process.execPath, ['--import', 'tsx', 'bff/index.ts'], { cwd: root, env })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(1)
    expect(err.trim()).toMatch(/^laddpunkt: Bad configuration: SMTP_URL is missing/)
  })
})

describe('a production system', () => {
  it('has no development outbox and no simulated card form, even without SMTP', async () => {
    const { sys, fake, cp, store } = await startWithStripe({ demo: false })
    cleanups.push(() => fake.close(), () => store.close(), () => sys.close(), () => cp.close())
    await http(sys.url, 'POST', '/api/auth/email/start', { body: { email: 'support@example.com' } })
    const outbox = await http(sys.url, 'GET', '/api/dev/outbox')
    expect(outbox.status).toBe(404)
    expect(JSON.stringify(outbox.body)).not.toMatch(/\d{6}/)
    const confirm = await http(sys.url, 'POST', '/api/payments/simulated/confirm', {
      body: { clientSecret: 'pi_x_secret_y', card: { number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123' } },
    })
    expect(confirm.status).toBe(404)
  })

  it('refuses to run the simulated payment provider', async () => {
    const store = await openDemoStore()
    cleanups.push(() => store.close())
    const payments = new SimulatedPayments({ db: store.db, env: 'test' })
    await expect(startSystem({ store, payments, logger: silent, sweepSeconds: 0 })).rejects.toThrow(/simulated payment provider runs only in the demo/)
  })
})

describe('readiness', () => {
  it('is 503 when the database answers but refuses writes (a full disk), and 200 again once it writes', async () => {
    const sys = await startTestSystem()
    cleanups.push(() => sys.close())
    expect((await http(sys.url, 'GET', '/readyz')).status).toBe(200)
    // The database keeps answering selects but every write of the check fails, as with a full disk.
    await sys.store.db.execute(
      sql.raw(`create function refuse_writes() returns trigger language plpgsql as $$
        begin raise exception 'could not extend file: No space left on device' using errcode = '53100'; end $$`),
    )
    await sys.store.db.execute(sql.raw('create trigger disk_full before insert or update on health_checks for each row execute function refuse_writes()'))
    expect(await sys.store.ping()).toBe(true)
    const full = await http(sys.url, 'GET', '/readyz')
    expect(full.status).toBe(503)
    expect(full.body).toMatchObject({ ok: false, storage: false })
    await sys.store.db.execute(sql.raw('drop trigger disk_full on health_checks'))
    expect((await http(sys.url, 'GET', '/readyz')).status).toBe(200)
  })
})

describe('the access log', () => {
  it('has one line per request with method, path without the query, status, duration, request id and the client behind the proxy', async () => {
    const { logger, lines } = capturedLogger()
    const sys = await startTestSystem({ logger, trustProxy: parseTrustProxy('127.0.0.1') })
    cleanups.push(() => sys.close())
    const res = await http(sys.url, 'GET', '/api/receipts/LP-2026-000001?t=share-secret-123', {
      headers: { 'x-request-id': 'lb-7f3a9', 'x-forwarded-for': '203.0.113.9' },
    })
    expect(res.status).toBe(404)
    expect(res.headers.get('x-request-id')).toBe('lb-7f3a9')
    const line = await until('the access log line', () => lines.find((l) => l.msg === 'request' && l.requestId === 'lb-7f3a9'))
    expect(line).toMatchObject({ method: 'GET', path: '/api/receipts/LP-2026-000001', status: 404, ip: '203.0.113.9', level: 30 })
    expect(typeof line.ms).toBe('number')
    expect(JSON.stringify(lines)).not.toContain('share-secret-123')

    // No usable id from outside: a fresh one, answered and logged alike.
    const fresh = await http(sys.url, 'GET', '/healthz', { headers: { 'x-request-id': 'has spaces; and more' } })
    const id = fresh.headers.get('x-request-id')!
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await until('the healthz line', () => lines.find((l) => l.requestId === id))).toMatchObject({ path: '/healthz', status: 200, ip: '127.0.0.1' })
  })
})

describe.skipIf(!process.env.DATABASE_URL)('PostgreSQL', () => {
  it('logs a pooled connection the server dropped, instead of swallowing it', async () => {
    const { logger, lines } = capturedLogger()
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await admin.connect()
    const name = `laddpunkt_pool_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
    await admin.query(`create database ${name}`)
    cleanups.push(async () => {
      await admin.query(`drop database if exists ${name} with (force)`)
      await admin.end()
    })
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = `/${name}`
    const store = await openStore({ databaseUrl: url.toString(), logger })
    cleanups.push(() => store.close())
    // The pool's idle connections, ended by the server (a restart or failover does the same).
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [name])
    const line = await until('the pool error in the log', () => lines.find((l) => l.component === 'postgres'))
    expect(line).toMatchObject({ level: 50, msg: 'PostgreSQL connection lost while idle in the pool' })
    expect(await store.ping()).toBe(true)
  })
})
