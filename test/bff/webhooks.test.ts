import { afterEach, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import Stripe from 'stripe'
import { http, startWithStripe, until, type TestSystem } from '../support/system'
import type { FakeStripe } from '../support/fake-stripe'
import { sessionEvents, sessions } from '../../bff/store/schema'
import type { Store } from '../../bff/store/db'
import type { SimChargePoint } from '../../bff/sim/charge-point'

const secret = 'whsec_test_secret'
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

async function boot() {
  ;({ fake, store, sys, cp } = await startWithStripe({}, secret))
}

function signed(event: object) {
  const payload = JSON.stringify(event)
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret })
  return { payload, header }
}

const post = (payload: string, signature?: string) =>
  fetch(`${sys.url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
    body: payload,
  })

describe('POST /webhooks/stripe', () => {
  it('starts the charger from amount_capturable_updated when the phone lost its signal after paying, once', async () => {
    await boot()
    const created = await http(sys.url, 'POST', '/api/sessions', {
      body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' },
      headers: { 'idempotency-key': randomUUID() },
    })
    const [row] = await store.db.select().from(sessions).where(eq(sessions.id, created.body.session.id))
    fake.confirm(row.paymentId!, { card: { brand: 'visa', last4: '4242', fingerprint: 'fp1' } })
    const event = { id: 'evt_1', object: 'event', type: 'payment_intent.amount_capturable_updated', data: { object: { id: row.paymentId, object: 'payment_intent' } } }
    const { payload, header } = signed(event)
    expect((await post(payload, header)).status).toBe(200)
    expect((await post(payload, header)).status).toBe(200) // a replay changes nothing
    const [after] = await store.db.select().from(sessions).where(eq(sessions.id, row.id))
    expect(after.state).toBe('starting')
    const logged = await store.db.select().from(sessionEvents).where(eq(sessionEvents.sessionId, row.id))
    expect(logged.filter((e) => e.kind === 'webhook')).toHaveLength(1)
    expect(logged.filter((e) => e.kind === 'remote_start')).toHaveLength(1)
    await cp.plugIn(1)
    await until('charging', async () => (await store.db.select().from(sessions).where(eq(sessions.id, row.id)))[0].state === 'charging')
  })

  it('a late, out-of-order event for a finished session moves nothing back', async () => {
    await boot()
    const created = await http(sys.url, 'POST', '/api/sessions', {
      body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' },
      headers: { 'idempotency-key': randomUUID() },
    })
    const { session, stopToken } = created.body
    await http(sys.url, 'POST', `/api/sessions/${session.id}/cancel`, { token: stopToken })
    const [row] = await store.db.select().from(sessions).where(eq(sessions.id, session.id))
    const { payload, header } = signed({ id: 'evt_2', object: 'event', type: 'payment_intent.amount_capturable_updated', data: { object: { id: row.paymentId, object: 'payment_intent' } } })
    expect((await post(payload, header)).status).toBe(200)
    const [after] = await store.db.select().from(sessions).where(eq(sessions.id, session.id))
    expect(after.state).toBe('cancelled')
    expect(after.holdStatus).toBe('released')
  })

  it('refuses a bad or missing signature and changes nothing', async () => {
    await boot()
    const { payload, header } = signed({ id: 'evt_3', object: 'event', type: 'payment_intent.canceled', data: { object: { id: 'pi_x' } } })
    const tampered = await post(payload.replace('pi_x', 'pi_y'), header)
    expect(tampered.status).toBe(400)
    expect((await tampered.json()).error.code).toBe('bad_signature')
    expect((await post(payload)).status).toBe(400)
  })
})
