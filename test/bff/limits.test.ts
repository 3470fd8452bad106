/**
 * Bounded input and limits that hold: body and frame sizes, the OCPP subprotocol, per-message work,
 * rate limits per client behind a trusted proxy and shared by every process, sign-in limits nobody
 * can turn against someone else, and Idempotency-Key bound to its request.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { eq } from 'drizzle-orm'
import WebSocket from 'ws'
import { RPCClient } from 'ocpp-rpc'
import { connectCharger, http, startTestSystem, type TestSystem } from '../support/system'
import { latestCode } from '../support/auth'
import { openDemoStore } from '../support/store'
import { parseTrustProxy } from '../../bff/http/client-address'
import { demoChargerPassword } from '../../bff/store/seed'
import { transactions, users } from '../../bff/store/schema'
import { boundedTransactionData, maxFrameBytes, maxMeterValues, maxTransactionData } from '../../bff/charging/ocpp/limits'
import type { SimChargePoint } from '../../bff/sim/charge-point'

vi.setConfig({ testTimeout: 60_000 })
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function system(options: Parameters<typeof startTestSystem>[0] = {}): Promise<TestSystem> {
  const sys = await startTestSystem(options)
  cleanups.push(() => sys.close())
  return sys
}

async function charger(sys: TestSystem, id = 'DEMO-1'): Promise<SimChargePoint> {
  const cp = await connectCharger(sys, id)
  cleanups.push(() => cp.close())
  return cp
}

/** A charger speaking raw OCPP (no client-side schema checks, so it can send what a bad charger sends). */
async function rawCharger(sys: TestSystem, id = 'DEMO-3') {
  const client = new RPCClient({
    endpoint: `ws://127.0.0.1:${sys.port}/ocpp`,
    identity: id,
    password: demoChargerPassword(id),
    protocols: ['ocpp1.6'],
    strictMode: false,
    reconnect: false,
  } as ConstructorParameters<typeof RPCClient>[0])
  await client.connect()
  cleanups.push(() => client.close({ force: true }))
  return client
}

const reading = (at: Date, wh: number) => ({
  timestamp: at.toISOString(),
  sampledValue: [{ value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' }],
})

describe('request bodies', () => {
  it('are refused past the limit on /webhooks/stripe while streaming, before Stripe signature checks', async () => {
    const sys = await system()
    const megabyte = 'x'.repeat(1024 * 1024)
    const declared = await fetch(`${sys.url}/webhooks/stripe`, { method: 'POST', headers: { 'stripe-signature': 't=1,v1=x' }, body: megabyte })
    expect(declared.status).toBe(413)
    // No Content-Length: the limit counts what streams in.
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 64; i++) controller.enqueue(new TextEncoder().encode(megabyte.slice(0, 16 * 1024)))
        controller.close()
      },
    })
    const streamed = await fetch(`${sys.url}/webhooks/stripe`, { method: 'POST', body: chunks, duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(413)
    expect((await streamed.json()).error.code).toBe('body_too_large')
  })

  it('are refused past the limit on the API', async () => {
    const sys = await system()
    const res = await http(sys.url, 'POST', '/api/auth/email/start', { body: { email: 'a@example.com', padding: 'x'.repeat(100_000) } })
    expect(res.status).toBe(413)
  })
})

describe('OCPP', () => {
  it('refuses a WebSocket upgrade without the ocpp1.6 subprotocol', async () => {
    const sys = await system()
    const auth = { authorization: `Basic ${Buffer.from(`DEMO-2:${demoChargerPassword('DEMO-2')}`).toString('base64')}` }
    for (const protocols of [[], ['ocpp2.0.1']]) {
      const ws = new WebSocket(`ws://127.0.0.1:${sys.port}/ocpp/DEMO-2`, protocols, { headers: auth })
      ws.on('error', () => {})
      const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }]
      expect(response.statusCode).toBe(400)
    }
    const ok = new WebSocket(`ws://127.0.0.1:${sys.port}/ocpp/DEMO-2`, ['ocpp1.6'], { headers: auth })
    await once(ok, 'open')
    expect(ok.protocol).toBe('ocpp1.6')
    ok.terminate()
  })

  it('closes the connection on a frame larger than the limit (1009), and the charger can come back', async () => {
    const sys = await system()
    const auth = { authorization: `Basic ${Buffer.from(`DEMO-2:${demoChargerPassword('DEMO-2')}`).toString('base64')}` }
    const ws = new WebSocket(`ws://127.0.0.1:${sys.port}/ocpp/DEMO-2`, ['ocpp1.6'], { headers: auth })
    await once(ws, 'open')
    ws.send(JSON.stringify([2, 'big-1', 'DataTransfer', { vendorId: 'x', data: 'y'.repeat(maxFrameBytes + 1) }]))
    const [code] = (await once(ws, 'close')) as [number]
    expect(code).toBe(1009)
    const client = await rawCharger(sys, 'DEMO-2')
    expect(await client.call('Heartbeat', {})).toHaveProperty('currentTime')
  })

  it('answers a MeterValues with too many readings with a CALLERROR, and takes one within bounds', async () => {
    const sys = await system()
    const client = await rawCharger(sys)
    const start = Date.now() - 3_600_000
    const many = Array.from({ length: maxMeterValues + 1 }, (_, i) => reading(new Date(start + i * 1000), i))
    const error = await client.call('MeterValues', { connectorId: 1, meterValue: many }).then(() => null, (e: { rpcErrorCode?: string }) => e)
    expect(error?.rpcErrorCode).toMatch(/^Occurr?enceConstraintViolation$/)
    const wide = [{ timestamp: new Date().toISOString(), sampledValue: Array.from({ length: 200 }, () => ({ value: '1' })) }]
    const wideError = await client.call('MeterValues', { connectorId: 1, meterValue: wide }).then(() => null, (e: { rpcErrorCode?: string }) => e)
    expect(wideError?.rpcErrorCode).toMatch(/^Occurr?enceConstraintViolation$/)
    expect(await client.call('MeterValues', { connectorId: 1, meterValue: many.slice(0, maxMeterValues) })).toEqual({})
  })

  it('settles a StopTransaction with a huge transactionData, keeping only the newest readings', async () => {
    const sys = await system()
    const client = await rawCharger(sys)
    const started = new Date(Date.now() - 3_600_000)
    const { transactionId } = (await client.call('StartTransaction', { connectorId: 2, idTag: 'STRANGER', meterStart: 0, timestamp: started.toISOString() })) as {
      transactionId: number
    }
    const data = Array.from({ length: 600 }, (_, i) => reading(new Date(started.getTime() + i * 5000), i * 10))
    const reply = await client.call('StopTransaction', { transactionId, meterStop: 6000, timestamp: new Date().toISOString(), reason: 'Local', transactionData: data })
    expect(reply).toEqual({})
    const [stopped] = await sys.store.db.select().from(transactions).where(eq(transactions.id, transactionId))
    expect(stopped).toMatchObject({ meterStopWh: 6000, stopReason: 'Local' })
    // the newest readings are the ones kept
    const kept = boundedTransactionData(data)!
    expect(kept).toHaveLength(maxTransactionData)
    expect(kept.at(-1)).toEqual(data.at(-1))
  })
})

describe('rate limits', () => {
  const start = (sys: TestSystem, forwardedFor?: string) =>
    http(sys.url, 'POST', '/api/sessions', {
      body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' },
      headers: { 'idempotency-key': randomUUID(), ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
    })

  it('count each client behind the trusted proxy on its own', async () => {
    const sys = await system({ limits: { sessionsPerMinute: 2 }, trustProxy: parseTrustProxy('1') })
    await charger(sys)
    const a = [await start(sys, '198.51.100.1'), await start(sys, '198.51.100.1'), await start(sys, '198.51.100.1')]
    expect(a.map((r) => r.status)).toEqual([201, 201, 429])
    // Another driver behind the same proxy is not held up by the first.
    expect((await start(sys, '198.51.100.2')).status).toBe(201)
    // A client cannot pick its own address: only what the trusted proxy appended counts.
    expect((await start(sys, '198.51.100.9, 198.51.100.1')).status).toBe(429)
  })

  it('ignore X-Forwarded-For when no proxy is trusted', async () => {
    const sys = await system({ limits: { sessionsPerMinute: 2 } })
    await charger(sys)
    const statuses = [(await start(sys, '198.51.100.1')).status, (await start(sys, '198.51.100.2')).status, (await start(sys, '198.51.100.3')).status]
    expect(statuses).toEqual([201, 201, 429])
  })

  it('are shared by every process on the database', async () => {
    const store = await openDemoStore()
    cleanups.push(() => store.close())
    const first = await system({ store, limits: { sessionsPerMinute: 3 } })
    const second = await system({ store, limits: { sessionsPerMinute: 3 } })
    // The limit is taken before the body is read: a refused body counts like any request.
    const post = (sys: TestSystem) => http(sys.url, 'POST', '/api/sessions', { body: {} })
    expect([(await post(first)).status, (await post(first)).status, (await post(second)).status]).toEqual([400, 400, 400])
    const fourth = await post(second)
    expect(fourth.status).toBe(429)
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0)
  })
})

describe('sign-in codes under attack', () => {
  const victim = '192.0.2.10'
  const verify = (sys: TestSystem, email: string, code: string, from: string) =>
    http(sys.url, 'POST', '/api/auth/email/verify', { body: { email, code }, headers: { 'x-forwarded-for': from } })
  const ask = (sys: TestSystem, email: string, from: string) =>
    http(sys.url, 'POST', '/api/auth/email/start', { body: { email }, headers: { 'x-forwarded-for': from } })
  const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000')

  it('wrong guesses from elsewhere neither kill the driver’s code nor lock the address', async () => {
    const sys = await system({ trustProxy: parseTrustProxy('1') })
    const email = 'victim@example.com'
    expect((await ask(sys, email, victim)).status).toBe(202)
    const code = await latestCode(sys.store.db, email)
    // Two attackers, ten wrong guesses at the address: each attacker is stopped after five.
    for (const attacker of ['203.0.113.1', '203.0.113.2']) {
      for (let i = 0; i < 5; i++) expect((await verify(sys, email, wrongFor(code), attacker)).status).toBe(400)
      const stopped = await verify(sys, email, code, attacker)
      expect(stopped.status).toBe(429)
      expect(stopped.headers.get('set-cookie')).toBeNull()
    }
    const signedIn = await verify(sys, email, code, victim)
    expect(signedIn.status).toBe(200)
    expect(signedIn.headers.get('set-cookie')).toContain('lp_session=')
    expect(await sys.store.db.select().from(users).where(eq(users.email, email))).toHaveLength(1)
  })

  it('a wrong guess made after the driver asked for a new code does not cost that code', async () => {
    const sys = await system({ trustProxy: parseTrustProxy('1') })
    const email = 'fresh@example.com'
    await ask(sys, email, victim)
    await ask(sys, email, victim)
    const fresh = await latestCode(sys.store.db, email)
    for (let i = 0; i < 4; i++) await verify(sys, email, wrongFor(fresh), `203.0.113.${10 + i}`)
    expect((await verify(sys, email, fresh, victim)).status).toBe(200)
  })

  it('asking for codes from one client cannot stop another client from getting one', async () => {
    const sys = await system({ trustProxy: parseTrustProxy('1') })
    const email = 'mailbox@example.com'
    for (let i = 0; i < 5; i++) expect((await ask(sys, email, '203.0.113.50')).status).toBe(202)
    expect((await ask(sys, email, '203.0.113.50')).status).toBe(429)
    expect((await ask(sys, email, victim)).status).toBe(202)
  })
})

describe('Idempotency-Key', () => {
  it('with the same body repeats the answer; with another body it is refused with 422', async () => {
    const sys = await system()
    await charger(sys)
    const key = randomUUID()
    const create = (connectorId: number, idempotencyKey = key) =>
      http(sys.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-1', connectorId, method: 'card' }, headers: { 'idempotency-key': idempotencyKey } })
    const first = await create(1)
    expect(first.status).toBe(201)
    const again = await create(1)
    expect(again.status).toBe(201)
    expect(again.body.session.id).toBe(first.body.session.id)
    const reused = await create(2)
    expect(reused.status).toBe(422)
    expect(reused.body.error).toMatchObject({ code: 'idempotency_key_reused', message: expect.stringContaining('different request') })

    // At the same moment with two bodies: one is created, the other refused.
    const racing = randomUUID()
    const both = await Promise.all([create(1, racing), create(2, racing)])
    expect(both.filter((r) => r.status === 422)).toHaveLength(1)
    expect(both.filter((r) => r.status === 201)).toHaveLength(1)
  })
})
