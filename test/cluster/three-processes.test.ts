/**
 * Three BFF processes on one PostgreSQL behind a load balancer, as an operator scales out: the
 * charger's WebSocket lands on A, the driver's HTTP on B, the live view (SSE) on C. Then A is
 * killed (SIGKILL) mid-session: the charger reconnects through the balancer to B, the session goes
 * on and ends captured exactly once, counted at the payment provider (a fake Stripe through the
 * real `stripe` package), with every other process seeing it. Then B is killed while its capture
 * hangs at the provider: C takes the session's intents over and captures once, with the same key.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { SMTPServer } from 'smtp-server'
import { CampaignChargePoint } from '../campaign/charge-point'
import { demoChargerPassword } from '../../bff/store/seed'
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe'
import { http, until } from '../support/system'
import { demoDatabase, startBalancer, startBff, type Balancer, type BffProcess } from '../support/cluster'

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 })

const card = { brand: 'visa', last4: '4242', fingerprint: 'fp_visa_4242' }
let db: Awaited<ReturnType<typeof demoDatabase>>
let fake: FakeStripe
let smtp: SMTPServer
let smtpPort = 0
const bffs: BffProcess[] = []
let balancer: Balancer
let cp: CampaignChargePoint

beforeAll(async () => {
  db = await demoDatabase('laddpunkt_cluster')
  fake = await startFakeStripe()
  smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], onData: (stream, _s, done) => stream.resume().on('end', () => done()) })
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r))
  smtpPort = (smtp.server.address() as { port: number }).port
  const env = {
    DATABASE_URL: db.url,
    STRIPE_SECRET_KEY: 'sk_test_cluster',
    STRIPE_PUBLISHABLE_KEY: 'pk_test_cluster',
    STRIPE_WEBHOOK_SECRET: 'whsec_cluster',
    STRIPE_API_BASE: `http://127.0.0.1:${fake.port}`,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    PLATFORM_LEGAL_NAME: 'Laddpunkt Cluster AB',
    PLATFORM_ORG_NUMBER: '559123-4567',
    PLATFORM_VAT_NUMBER: 'SE559123456701',
    PLATFORM_ADDRESS: 'Sveavägen 44, 111 34 Stockholm',
    METER_INTERVAL_SECONDS: '1',
    UNPLUG_WAIT_MINUTES: '1',
  }
  // Started at once: the migrations take turns under their advisory lock.
  bffs.push(...(await Promise.all(['A', 'B', 'C'].map((name) => startBff(name, env)))))
  // The charger's balancer prefers A, then B, then C (as a sticky balancer would, until A is gone).
  balancer = await startBalancer(() => bffs.map((b) => b.port))
})

afterAll(async () => {
  await cp?.close()
  await balancer?.close()
  await Promise.all(bffs.map((b) => b.stop()))
  await fake?.close()
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()))
  await db?.drop()
})

const [A, B, C] = [0, 1, 2]

async function processRows(): Promise<{ id: string; pid: number }[]> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    return (await client.query('select id, pid from processes')).rows
  } finally {
    await client.end()
  }
}

/** Reads SSE from one process: every session snapshot, in order. */
function watch(base: string, id: string, ticket: string) {
  const controller = new AbortController()
  const snapshots: any[] = []
  const done = (async () => {
    const response = await fetch(`${base}/api/sessions/${id}/events?ticket=${encodeURIComponent(ticket)}`, { signal: controller.signal })
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const reader = response.body!.getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += new TextDecoder().decode(value)
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('')
        buffer = buffer.slice(end + 2)
        if (data) snapshots.push(JSON.parse(data))
      }
    }
  })().catch(() => {})
  return { snapshots, stop: () => controller.abort(), done }
}

describe('three BFF processes on one PostgreSQL', () => {
  it('charger on A, driver on B, live view on C; A killed mid-session: the session ends, captured exactly once', async () => {
    const [a, b, c] = [bffs[A], bffs[B], bffs[C]]
    expect((await processRows()).map((r) => r.pid).sort()).toEqual(bffs.map((p) => p.child.pid).sort())

    cp = new CampaignChargePoint({ endpoint: `ws://127.0.0.1:${balancer.port}/ocpp`, id: 'DEMO-1', password: demoChargerPassword('DEMO-1'), connectors: 2 })
    cp.energySpeed = 100 // a time-lapse car: well past the minimum charge within seconds
    await cp.connect()
    expect(balancer.routed.at(-1)).toBe(a.port)
    // B and C know the charger is online, held by A.
    for (const other of [b, c]) await until(`${other.name} sees DEMO-1 online`, async () => (await http(other.url, 'GET', '/api/chargers/DEMO-1')).body.online === true, 15_000)

    // The driver, on B: hold, confirm, start. The RemoteStart goes from B to A, and from A to the charger.
    const created = await http(b.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' }, headers: { 'idempotency-key': randomUUID() } })
    expect(created.status).toBe(201)
    const { session, stopToken: token } = created.body
    const [intentId] = fake.intentsOf(session.id)
    fake.confirm(intentId, { card })
    const authorized = await http(b.url, 'POST', `/api/sessions/${session.id}/authorize`, { token })
    expect(authorized.body.session.state).toBe('starting')
    await cp.plugIn(1, 11_000)

    // The live view, on C.
    const ticket = (await http(c.url, 'POST', `/api/sessions/${session.id}/events-ticket`, { token })).body.ticket
    const live = watch(c.url, session.id, ticket)
    await until('C streams charging with energy', () => live.snapshots.some((s) => s.state === 'charging' && s.energyWh > 0), 60_000)

    // A dies without a word. The charger reconnects through the balancer, to B.
    const energyBefore = live.snapshots.at(-1).energyWh
    await a.kill()
    await until('the charger is back, on B', () => cp.isOnline() && balancer.routed.at(-1) === b.port, 60_000)
    await until('C streams readings that reached B', () => live.snapshots.some((s) => s.energyWh > energyBefore + 5), 60_000)
    // A is found dead and cleared from the registry.
    await until('A is reaped', async () => !(await processRows()).some((r) => r.pid === a.child.pid), 60_000)

    // The driver stops on C: the RemoteStop goes from C to B, which now holds the charger.
    const stopped = await http(c.url, 'POST', `/api/sessions/${session.id}/stop`, { token })
    expect(stopped.status).toBe(200)
    await until('settling', async () => (await http(b.url, 'GET', `/api/sessions/${session.id}`, { token })).body.state === 'settling', 60_000)
    expect(cp.transaction(1)?.stopReason).toBe('Remote')
    await cp.unplug(1)
    const final = await until('completed on B', async () => {
      const s = (await http(b.url, 'GET', `/api/sessions/${session.id}`, { token })).body
      return s.state === 'completed' ? s : null
    }, 60_000)
    await until('C streams the completed session', () => live.snapshots.some((s) => s.state === 'completed'), 30_000)
    live.stop()

    // Exactly once, as the provider executed it: one PaymentIntent, one capture of the session's cost, within its hold.
    expect(fake.intentsOf(session.id)).toHaveLength(1)
    const executed = fake.executed(intentId)
    expect(final.charge).toMatchObject({ basis: 'card', amount: final.cost.total })
    expect(executed.captures).toEqual([final.cost.total])
    expect(final.hold).toMatchObject({ status: 'captured', captured: final.cost.total, released: final.hold.amount - final.cost.total })
    expect(executed.cancels).toBe(0)
    expect(fake.peek(intentId)?.status).toBe('succeeded')
  })

  it('B killed while its capture hangs at the provider: C takes the intent over after the lease, captured exactly once', async () => {
    const [b, c] = [bffs[B], bffs[C]]
    expect(balancer.routed.at(-1)).toBe(b.port) // the charger is on B since A died
    const created = await http(c.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-1', connectorId: 2, method: 'card' }, headers: { 'idempotency-key': randomUUID() } })
    expect(created.status).toBe(201)
    const { session, stopToken: token } = created.body
    const [intentId] = fake.intentsOf(session.id)
    fake.confirm(intentId, { card })
    await http(c.url, 'POST', `/api/sessions/${session.id}/authorize`, { token })
    await cp.plugIn(2, 11_000)
    await until('charging with energy', async () => (await http(c.url, 'GET', `/api/sessions/${session.id}`, { token })).body.energyWh > 1000, 60_000)

    // The capture will hang at the provider, without being carried out; B runs it (the charger's stop reaches B).
    fake.injectFault(intentId, { op: 'capture', kind: 'hang', ms: 120_000, count: 1 })
    await http(c.url, 'POST', `/api/sessions/${session.id}/stop`, { token })
    await until('settling', async () => (await http(c.url, 'GET', `/api/sessions/${session.id}`, { token })).body.state === 'settling', 60_000)
    await cp.unplug(2)
    const captureCalls = () => fake.requests.filter((r) => r.path === `/v1/payment_intents/${intentId}/capture`).length
    await until('the capture is in flight at the provider', () => captureCalls() > 0, 60_000)
    await b.kill()

    // C finds B dead, takes its lease, and captures with the same idempotency key.
    const final = await until('completed on C', async () => {
      const s = (await http(c.url, 'GET', `/api/sessions/${session.id}`, { token })).body
      return s.state === 'completed' ? s : null
    }, 120_000)
    expect(captureCalls()).toBeGreaterThan(1)
    const executed = fake.executed(intentId)
    expect(executed.captures).toEqual([final.cost.total])
    expect(final.hold).toMatchObject({ status: 'captured', captured: final.cost.total })
    expect(new Set(fake.requests.filter((r) => r.path === `/v1/payment_intents/${intentId}/capture`).map((r) => r.idempotencyKey)).size).toBe(1)
    await until('the charger is back, on C', () => cp.isOnline() && balancer.routed.at(-1) === c.port, 60_000)
  })
})
