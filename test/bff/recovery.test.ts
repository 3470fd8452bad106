/**
 * Crash safety: the BFF is stopped at each step of a paid session and started again on the same
 * database. Every session must end completed (captured exactly once, never above the hold) or
 * failed with the hold released. Payments go through the real `stripe` package to a local fake of
 * Stripe's API, which records every request and counts the captures it actually executed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { http, startWithStripe, testClock, until, type TestSystem } from '../support/system'
import type { FakeStripe } from '../support/fake-stripe'
import { intents, sessions } from '../../bff/store/schema'
import type { Store } from '../../bff/store/db'
import type { SimChargePoint } from '../../bff/sim/charge-point'

const card = { brand: 'visa', last4: '4242', fingerprint: 'fp_visa_4242' }

let fake: FakeStripe
let store: Store
let sys: TestSystem
let cp: SimChargePoint
afterEach(async () => {
  await cp?.close()
  await sys?.close()
  await store?.close()
  await fake?.close()
})

async function boot(options: { clock?: () => Date } = {}) {
  ;({ fake, store, sys, cp } = await startWithStripe(options))
}

/** As after a crash: a new BFF on the same database and port; the charger reconnects to it. */
async function crashAndRestart() {
  sys = await sys.restart()
  await until('charger reconnected', async () => {
    if (!cp.isConnected()) await cp.reconnect().catch(() => {})
    return sys.central.isOnline('DEMO-1')
  })
  await sys.sessions.tick() // recovery: carries out what the crashed process left undone
}

async function paidSession() {
  const created = await http(sys.url, 'POST', '/api/sessions', {
    body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })
  expect(created.status).toBe(201)
  const { session, stopToken } = created.body
  const [row] = await store.db.select().from(sessions).where(eq(sessions.id, session.id))
  fake.confirm(row.paymentId!, { card })
  return { id: session.id as string, stopToken: stopToken as string, paymentId: row.paymentId! }
}

const snapshot = async (id: string, token: string) => (await http(sys.url, 'GET', `/api/sessions/${id}`, { token })).body
const authorize = (id: string, token: string) => http(sys.url, 'POST', `/api/sessions/${id}/authorize`, { token })
const captures = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/capture'))

async function chargeStopAndSettle(id: string, token: string) {
  await until('energy', async () => (await snapshot(id, token)).energyWh > 700)
  await http(sys.url, 'POST', `/api/sessions/${id}/stop`, { token })
  await until('settling', async () => (await snapshot(id, token)).state === 'settling')
  await cp.unplug(1)
  return until('completed', async () => {
    const s = await snapshot(id, token)
    return s.state === 'completed' ? s : null
  })
}

/**
 * Captured once as the provider saw it: one capture executed (not one key sent), of the amount the
 * session shows, on the session's only PaymentIntent.
 */
function expectCapturedOnce(paymentId: string, done: { id: string; cost: { total: number }; hold: { captured: number; amount: number; status: string } }) {
  expect(done.hold.status).toBe('captured')
  expect(done.hold.captured).toBe(Math.min(done.cost.total, done.hold.amount))
  expect(fake.intentsOf(done.id)).toEqual([paymentId])
  expect(fake.executed(paymentId).captures).toEqual([done.hold.captured])
  expect(fake.peek(paymentId)).toMatchObject({ status: 'succeeded', amount_received: done.hold.captured })
}

describe('a crash at each step of a paid session', () => {
  it('after the hold, before the charger was started: the driver can still start', async () => {
    await boot()
    const { id, stopToken, paymentId } = await paidSession()
    await crashAndRestart()
    expect((await authorize(id, stopToken)).body.session.state).toBe('starting')
    await cp.plugIn(1)
    expectCapturedOnce(paymentId, await chargeStopAndSettle(id, stopToken))
  })

  it('after RemoteStart: the start that was under way is bound when the car arrives', async () => {
    await boot()
    const { id, stopToken, paymentId } = await paidSession()
    await authorize(id, stopToken)
    await crashAndRestart()
    await cp.plugIn(1)
    await until('charging', async () => (await snapshot(id, stopToken)).state === 'charging')
    expectCapturedOnce(paymentId, await chargeStopAndSettle(id, stopToken))
  })

  it('mid-charging: metering and stopping go on after the restart', async () => {
    await boot()
    const { id, stopToken, paymentId } = await paidSession()
    await authorize(id, stopToken)
    await cp.plugIn(1)
    await until('charging', async () => (await snapshot(id, stopToken)).state === 'charging')
    await crashAndRestart()
    expectCapturedOnce(paymentId, await chargeStopAndSettle(id, stopToken))
  })

  it('after StopTransaction, with the provider down at capture: captured once after the restart', async () => {
    await boot()
    const { id, stopToken, paymentId } = await paidSession()
    await authorize(id, stopToken)
    await cp.plugIn(1)
    await until('energy', async () => (await snapshot(id, stopToken)).energyWh > 700)
    fake.failNext(3, 503) // the SDK's own retries (same key) all fail: the intent stays pending
    await cp.unplug(1)
    await until('capture attempted', () => captures().length >= 3)
    expect((await snapshot(id, stopToken)).state).toBe('settling')
    const [pending] = await store.db.select().from(intents).where(eq(intents.action, 'capture'))
    expect(pending.status).toBe('pending')
    await crashAndRestart()
    const done = await until('completed', async () => {
      const s = await snapshot(id, stopToken)
      return s.state === 'completed' ? s : null
    })
    expectCapturedOnce(paymentId, done)
    expect(captures().every((r) => r.idempotencyKey === `${id}:capture`)).toBe(true)
  })

  it('after the provider captured but before we recorded it: the retry does not capture twice', async () => {
    await boot()
    const { id, stopToken, paymentId } = await paidSession()
    await authorize(id, stopToken)
    await cp.plugIn(1)
    await until('energy', async () => (await snapshot(id, stopToken)).energyWh > 700)
    fake.failNext(3, 503)
    await cp.unplug(1)
    await until('capture attempted', () => captures().length >= 3)
    // The crashed process's call reached Stripe after all: same key, as the intent would send it.
    const [intent] = await store.db.select().from(intents).where(eq(intents.action, 'capture'))
    await fake.client().paymentIntents.capture(paymentId, { amount_to_capture: Number(intent.payload.amount), expand: ['latest_charge', 'payment_method'] }, { idempotencyKey: intent.key })
    await crashAndRestart()
    const done = await until('completed', async () => {
      const s = await snapshot(id, stopToken)
      return s.state === 'completed' ? s : null
    })
    expectCapturedOnce(paymentId, done)
    const intentAtStripe = await fake.client().paymentIntents.retrieve(paymentId)
    expect(intentAtStripe.amount_received).toBe(done.hold.captured)
  })

  it('a start whose charger stays away: kept past the start timeout for a while, then failed and the hold released', async () => {
    const clock = testClock()
    await boot({ clock: clock.now })
    const { id, stopToken, paymentId } = await paidSession()
    await authorize(id, stopToken)
    await cp.goOffline()
    sys = await sys.restart()
    await until('the new BFF answers', async () => (await fetch(`${sys.url}/healthz`).catch(() => null))?.ok)
    // the charger may have started before it went away: not failed as soon as the start timeout passes
    clock.advance(2 * 60_000)
    await sys.sessions.tick()
    expect(await snapshot(id, stopToken)).toMatchObject({ state: 'starting', hold: { status: 'held' } })
    clock.advance(10 * 60_000)
    await sys.sessions.tick()
    expect(await snapshot(id, stopToken)).toMatchObject({ state: 'failed', failureReason: 'charger_offline', hold: { status: 'released' } })
    const intentAtStripe = await fake.client().paymentIntents.retrieve(paymentId)
    expect(intentAtStripe.status).toBe('canceled')
    expect(captures()).toHaveLength(0)
  })
})
