import { randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimulatedPayments } from '../../bff/payments/simulated'
import { simulatedPaymentRoutes } from '../../bff/routes/payments'
import type { Store } from '../../bff/store/db'
import { openTestStore } from '../support/store'

const visa = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2030, cvc: '123' }

let store: Store
let payments: SimulatedPayments
let app: Hono

beforeAll(async () => {
  store = await openTestStore()
  payments = new SimulatedPayments({ db: store.db, env: 'test' })
  app = new Hono().route('/api/payments/simulated', simulatedPaymentRoutes(payments))
})

afterAll(async () => {
  await store.close()
})

function post(path: string, body: unknown, contentType = 'application/json') {
  return app.request(`/api/payments/simulated${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

async function newHold() {
  return payments.createHold({ amount: 30000, currency: 'SEK', sessionId: 's', description: 'd', idempotencyKey: randomUUID() })
}

describe('POST /api/payments/simulated/confirm', () => {
  it('places the hold with a card number typed with spaces', async () => {
    const { hold, clientSecret } = await newHold()
    const res = await post('/confirm', { clientSecret, card: visa })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'requires_capture', card: { brand: 'visa', last4: '4242' } })
    expect((await payments.getHold(hold.id)).status).toBe('requires_capture')
  })

  it('answers a decline with 402 and the issuer reason', async () => {
    const { hold, clientSecret } = await newHold()
    const res = await post('/confirm', { clientSecret, card: { ...visa, number: '4000000000000002' } })
    expect(res.status).toBe(402)
    expect(await res.json()).toEqual({ error: { code: 'card_declined', message: 'Your card was declined.' } })
    expect((await payments.getHold(hold.id)).status).toBe('requires_payment_method')
  })

  it('answers insufficient funds with 402', async () => {
    const { clientSecret } = await newHold()
    const res = await post('/confirm', { clientSecret, card: { ...visa, number: '4000 0000 0000 9995' } })
    expect(res.status).toBe(402)
    expect(await res.json()).toEqual({ error: { code: 'insufficient_funds', message: 'Your card has insufficient funds.' } })
  })

  it('answers a bad body with 400 invalid_request naming the field', async () => {
    const { clientSecret } = await newHold()
    const res = await post('/confirm', { clientSecret, card: { ...visa, expMonth: 'twelve' } })
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body.error.code).toBe('invalid_request')
    expect(body.error.message).toMatch(/^card\.expMonth: /)
  })

  it('answers malformed JSON and a missing JSON body with 400 invalid_request', async () => {
    const malformed = await post('/confirm', '{"clientSecret":')
    expect(malformed.status).toBe(400)
    expect((await malformed.json()).error.code).toBe('invalid_request')
    const notJson = await post('/confirm', 'clientSecret=x', 'application/x-www-form-urlencoded')
    expect(notJson.status).toBe(400)
    expect((await notJson.json()).error.code).toBe('invalid_request')
  })

  it('answers an unknown client secret with 404', async () => {
    const res = await post('/confirm', { clientSecret: 'pi_sim_nope_secret_nope', card: visa })
    expect(res.status).toBe(404)
    expect((await res.json()).error.code).toBe('resource_missing')
  })

  it('answers a second confirmation with 409', async () => {
    const { clientSecret } = await newHold()
    expect((await post('/confirm', { clientSecret, card: visa })).status).toBe(200)
    const again = await post('/confirm', { clientSecret, card: visa })
    expect(again.status).toBe(409)
    expect((await again.json()).error.code).toBe('payment_intent_unexpected_state')
  })
})

describe('POST /api/payments/simulated/payment-methods', () => {
  it('creates a payment method whose fingerprint matches the same card on a hold', async () => {
    const { clientSecret } = await newHold()
    await post('/confirm', { clientSecret, card: visa })
    const res = await post('/payment-methods', { card: { ...visa, number: '4242424242424242' } })
    expect(res.status).toBe(201)
    const { id } = await res.json()
    expect(id).toMatch(/^pm_sim_/)
    const held = await payments.getHold(clientSecret.split('_secret_')[0])
    expect(await payments.cardFingerprint(id)).toBe(held.card?.fingerprint)
  })

  it('refuses an invalid card number with 402', async () => {
    const res = await post('/payment-methods', { card: { ...visa, number: '4242 4242 4242 4241' } })
    expect(res.status).toBe(402)
    expect(await res.json()).toEqual({ error: { code: 'incorrect_number', message: 'Your card number is incorrect.' } })
  })

  it('refuses a body without a card with 400', async () => {
    const res = await post('/payment-methods', {})
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringMatching(/^card: /) } })
  })
})
