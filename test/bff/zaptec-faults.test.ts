/**
 * The money rules on a Zaptec charger when Zaptec's cloud misbehaves: a duplicated or lost session
 * end, the API failing (5xx, 429) or refusing the stop command. Each session must end, captured at
 * most once (counted at the provider: the simulated provider stores one row per executed call), never
 * above its hold, with the page and the provider agreeing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { http, startTestSystem, testClock, until, type TestSystem } from '../support/system'
import { demoZaptec, seedZaptecDemo, startZaptecDemo } from '../../bff/sim/zaptec-demo'
import { sessions, simulatedIdempotency, simulatedPayments } from '../../bff/store/schema'
import { quietLogger } from '../support/zaptec'

const visa = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2034, cvc: '123' }
const clock = testClock()
let sys: TestSystem
let demo: Awaited<ReturnType<typeof startZaptecDemo>>

beforeAll(async () => {
  demo = await startZaptecDemo({ logger: quietLogger, plugInDelayMs: 30, unplugAfterStopMs: 30, timeScale: 600 })
  sys = await startTestSystem({ zaptecApiUrl: demo.url, startTimeoutSeconds: 60, clock: clock.now })
  await seedZaptecDemo(sys.store.db)
  await sys.zaptec.start()
  demo.connect(sys.url, sys.zaptec)
})

afterAll(async () => {
  await sys?.close()
  await demo?.close()
})

type Fault = 'none' | 'duplicate_session_end' | 'lost_session_end' | 'api_5xx' | 'api_429' | 'stop_refused'

/** A paid session on ZAPTEC-1 under one fault; the driver stops from the phone (or unplugs when the stop is refused). */
async function paidSessionUnder(fault: Fault) {
  const created = await http(sys.url, 'POST', '/api/sessions', {
    body: { chargerId: demoZaptec.chargerId, connectorId: 1, method: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })
  expect(created.status).toBe(201)
  const { session, payment, stopToken } = created.body
  await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
  await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
  const snapshot = async () => (await http(sys.url, 'GET', `/api/sessions/${session.id}`, { token: stopToken })).body
  await until('charging', async () => (await snapshot()).state === 'charging', 20_000)
  await until('energy', () => demo.cloud.charger(demoZaptec.zaptecChargerId).energyKWh > 0.4)

  const deliveredBefore = demo.cloud.deliveries.length
  if (fault === 'duplicate_session_end') demo.cloud.faults.duplicateSessionEnds = 1
  if (fault === 'lost_session_end') demo.cloud.faults.loseSessionEnds = 1
  if (fault === 'api_5xx') demo.cloud.faults.apiFailures.push(503, 500)
  if (fault === 'api_429') demo.cloud.faults.apiFailures.push(429, 429)
  if (fault === 'stop_refused') demo.cloud.faults.rejectCommands = true

  await http(sys.url, 'POST', `/api/sessions/${session.id}/stop`, { token: stopToken })
  if (fault === 'stop_refused') {
    // Zaptec would not stop it: the driver unplugs, as a driver at a Zaptec charger does
    demo.cloud.faults.rejectCommands = false
    await demo.cloud.unplug(demoZaptec.zaptecChargerId)
  }
  // the sweep and the API poll run as they would on their timers; a lost session end is settled from Zaptec's history
  const done = await until('final', async () => {
    clock.advance(30_000)
    await sys.zaptec.poll().catch(() => {})
    await sys.sessions.tick()
    const s = await snapshot()
    return ['completed', 'failed', 'cancelled'].includes(s.state) ? s : null
  }, 30_000)
  if (demo.cloud.charger(demoZaptec.zaptecChargerId).mode !== 1) await demo.cloud.unplug(demoZaptec.zaptecChargerId)
  // the session ends Zaptec actually sent for this session (first tries; a duplicate is two), once they are all out
  const expected = fault === 'lost_session_end' ? 0 : fault === 'duplicate_session_end' ? 2 : 1
  const sessionEnds = () => demo.cloud.deliveries.slice(deliveredBefore).filter((d) => d.kind === 'session_end' && d.attempt === 0).length
  await until('session ends sent', () => sessionEnds() >= expected, 5_000)
  await new Promise((r) => setTimeout(r, 100))
  return { id: session.id as string, done, sessionEnds: sessionEnds(), expected }
}

/** Captures the simulated provider executed for the session's hold: one row per executed call. */
async function executedCaptures(sessionId: string) {
  const [s] = await sys.store.db.select().from(sessions).where(eq(sessions.id, sessionId))
  const calls = await sys.store.db.select({ request: simulatedIdempotency.request }).from(simulatedIdempotency)
  const captures = calls.map((c) => JSON.parse(c.request)).filter((r) => r.op === 'capture' && r.id === s.paymentId)
  const [ledger] = await sys.store.db.select().from(simulatedPayments).where(eq(simulatedPayments.id, s.paymentId!))
  return { captures, ledger }
}

describe('Zaptec faults: every session ends with the right amount', () => {
  it.each<Fault>(['none', 'duplicate_session_end', 'lost_session_end', 'api_5xx', 'api_429', 'stop_refused'])('%s', async (fault) => {
    const { id, done, sessionEnds, expected } = await paidSessionUnder(fault)
    // the fault really happened: a lost session end was settled from Zaptec's history, a duplicate was sent twice
    expect(sessionEnds).toBe(expected)
    expect(done.state).toBe('completed')
    expect(done.energyWh).toBeGreaterThan(400)
    const { captures, ledger } = await executedCaptures(id)
    expect(captures.length).toBeLessThanOrEqual(1)
    expect(done.hold.captured).toBeLessThanOrEqual(done.hold.amount)
    expect(done.hold.captured).toBe(done.charge.amount)
    expect(ledger.amountCaptured).toBe(done.hold.captured)
    expect(captures.map((c) => c.amount)).toEqual(done.hold.captured > 0 ? [done.hold.captured] : [])
    expect(done.hold.captured + done.hold.released).toBe(done.hold.amount)
  })
})
