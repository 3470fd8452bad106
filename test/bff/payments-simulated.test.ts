import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readEnv } from '../../bff/env'
import { createPaymentProvider } from '../../bff/payments/index'
import { PaymentError } from '../../bff/payments/provider'
import { SimulatedPayments } from '../../bff/payments/simulated'
import { StripePayments } from '../../bff/payments/stripe'
import { minimumCharge } from '../../bff/payments/minimums'
import type { Store } from '../../bff/store/db'
import { simulatedPayments } from '../../bff/store/schema'
import { openTestStore } from '../support/store'

const start = new Date('2026-03-01T10:00:00.000Z')
const sevenDays = 7 * 24 * 60 * 60 * 1000
const visa = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' }

let store: Store
let now: Date
let payments: SimulatedPayments

beforeAll(async () => {
  store = await openTestStore()
  now = start
  payments = new SimulatedPayments({ db: store.db, clock: () => now, env: 'test' })
})

afterAll(async () => {
  await store.close()
})

const key = () => randomUUID()

function newHold(amount = 30000, idempotencyKey = key()) {
  return payments.createHold({ amount, currency: 'SEK', sessionId: 's1', description: 'Charging at DEMO-1', idempotencyKey })
}

async function heldHold(amount = 30000) {
  const { hold, clientSecret } = await newHold(amount)
  await payments.confirm(clientSecret, visa)
  return hold.id
}

async function capturedHold(amount: number) {
  const id = await heldHold()
  await payments.capture(id, amount, key())
  return id
}

/** The PaymentError code a call is refused with. */
async function refusal(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PaymentError)
  return (error as PaymentError).code
}

describe('SimulatedPayments holds', () => {
  it('creates a hold waiting for a card, like a new PaymentIntent', async () => {
    const { hold, clientSecret } = await newHold(30000)
    expect(hold).toMatchObject({
      status: 'requires_payment_method',
      amount: 30000,
      currency: 'SEK',
      amountCapturable: 0,
      amountCaptured: 0,
      card: null,
      captureBefore: null,
    })
    expect(hold.id).toMatch(/^pi_sim_[0-9a-f]+$/)
    expect(clientSecret).toMatch(new RegExp(`^${hold.id}_secret_[0-9a-f]+$`))
  })

  it('answers a repeated create with the same key with the same hold', async () => {
    const idempotencyKey = key()
    const first = await newHold(30000, idempotencyKey)
    const again = await newHold(30000, idempotencyKey)
    expect(again).toEqual(first)
    const rows = await store.db.select().from(simulatedPayments).where(eq(simulatedPayments.id, first.hold.id))
    expect(rows).toHaveLength(1)
  })

  it('makes two concurrent creates with one key place one hold', async () => {
    const idempotencyKey = key()
    const [a, b] = await Promise.all([newHold(30000, idempotencyKey), newHold(30000, idempotencyKey)])
    expect(a.hold.id).toBe(b.hold.id)
  })

  it('refuses a key reused with other parameters', async () => {
    const idempotencyKey = key()
    await newHold(30000, idempotencyKey)
    expect(await refusal(newHold(20000, idempotencyKey))).toBe('idempotency_key_reused')
  })

  it('refuses a hold under the minimum charge', async () => {
    expect(await refusal(newHold(299))).toBe('amount_too_small')
  })

  it('places the hold with the visa test card for 7 days', async () => {
    const { hold, clientSecret } = await newHold(25000)
    const held = await payments.confirm(clientSecret, { ...visa, number: '4242 4242 4242 4242' })
    expect(held).toMatchObject({ status: 'requires_capture', amountCapturable: 25000, failureMessage: null })
    expect(held.card).toMatchObject({ brand: 'visa', last4: '4242', wallet: null })
    expect(held.card?.fingerprint).toMatch(/^[A-Za-z0-9_-]{16}$/)
    expect(held.captureBefore?.getTime()).toBe(start.getTime() + sevenDays)
    expect(await payments.getHold(hold.id)).toEqual(held)
  })

  it('stores brand, last four and fingerprint but never the number or CVC', async () => {
    const { hold, clientSecret } = await newHold()
    await payments.confirm(clientSecret, { ...visa, cvc: '987' })
    const [row] = await store.db.select().from(simulatedPayments).where(eq(simulatedPayments.id, hold.id))
    expect(row.cardLast4).toBe('4242')
    // Random ids may hold any digits by chance; everything else must not hold the number or the CVC.
    const { id: _id, clientSecret: _secret, cardFingerprint: _fingerprint, ...rest } = row
    const stored = JSON.stringify(rest)
    expect(JSON.stringify(row)).not.toContain('4242424242424242')
    expect(stored).not.toContain('987')
  })

  it('places the hold with the mastercard test card', async () => {
    const { clientSecret } = await newHold()
    const held = await payments.confirm(clientSecret, { ...visa, number: '5555555555554444' })
    expect(held.status).toBe('requires_capture')
    expect(held.card).toMatchObject({ brand: 'mastercard', last4: '4444' })
  })

  it.each([
    ['4000000000000002', 'card_declined', 'Your card was declined.'],
    ['4000000000009995', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['4000000000000069', 'expired_card', 'Your card has expired.'],
    ['4000000000000127', 'incorrect_cvc', "Your card's security code is incorrect."],
  ])('declines test card %s with %s and waits for another card', async (number, code, message) => {
    const { hold, clientSecret } = await newHold()
    const error = await payments.confirm(clientSecret, { ...visa, number }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PaymentError)
    expect(error).toMatchObject({ code, message })
    expect(await payments.getHold(hold.id)).toMatchObject({
      status: 'requires_payment_method',
      amountCapturable: 0,
      failureMessage: message,
      card: null,
    })
    const retried = await payments.confirm(clientSecret, visa)
    expect(retried).toMatchObject({ status: 'requires_capture', failureMessage: null })
  })

  it.each([
    ['a number failing the Luhn check', { number: '4242424242424241' }, 'incorrect_number'],
    ['letters in the number', { number: '4242abcd42424242' }, 'incorrect_number'],
    ['an expiry in the past', { expMonth: 2, expYear: 2026 }, 'expired_card'],
    ['a two-digit past expiry', { expMonth: 12, expYear: 25 }, 'expired_card'],
    ['month 13', { expMonth: 13 }, 'invalid_expiry_month'],
    ['a two-digit CVC', { cvc: '12' }, 'invalid_cvc'],
    ['a five-digit CVC', { cvc: '12345' }, 'invalid_cvc'],
  ])('refuses %s', async (_, change, code) => {
    const { hold, clientSecret } = await newHold()
    expect(await refusal(payments.confirm(clientSecret, { ...visa, ...change }))).toBe(code)
    expect((await payments.getHold(hold.id)).status).toBe('requires_payment_method')
  })

  it.each([
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['2223003122003222', 'mastercard'],
    ['4000056655665556', 'visa'],
  ])('accepts other valid number %s as %s', async (number, brand) => {
    const { clientSecret } = await newHold()
    const held = await payments.confirm(clientSecret, { ...visa, number, cvc: brand === 'amex' ? '1234' : '123' })
    expect(held).toMatchObject({ status: 'requires_capture', card: { brand, last4: number.slice(-4) } })
  })

  it('accepts an expiry in the current month', async () => {
    const { clientSecret } = await newHold()
    expect((await payments.confirm(clientSecret, { ...visa, expMonth: 3, expYear: 2026 })).status).toBe('requires_capture')
  })

  it('refuses to confirm a hold twice', async () => {
    const { clientSecret } = await newHold()
    await payments.confirm(clientSecret, visa)
    expect(await refusal(payments.confirm(clientSecret, visa))).toBe('payment_intent_unexpected_state')
  })

  it('does not know a made-up or altered client secret', async () => {
    const { clientSecret } = await newHold()
    expect(await refusal(payments.confirm('pi_sim_nope_secret_nope', visa))).toBe('resource_missing')
    expect(await refusal(payments.confirm(`${clientSecret}x`, visa))).toBe('resource_missing')
    expect(await refusal(payments.getHold('pi_sim_unknown'))).toBe('resource_missing')
  })

  it('gives the same card number the same fingerprint, another number another', async () => {
    const fingerprints = []
    for (const number of ['4242424242424242', '4242 4242 4242 4242', '5555555555554444']) {
      const { clientSecret } = await newHold()
      fingerprints.push((await payments.confirm(clientSecret, { ...visa, number })).card?.fingerprint)
    }
    expect(fingerprints[0]).toBe(fingerprints[1])
    expect(fingerprints[2]).not.toBe(fingerprints[0])
  })

  it('matches a presented card to the hold by fingerprint', async () => {
    const { clientSecret } = await newHold()
    const held = await payments.confirm(clientSecret, visa)
    const presented = await payments.createPaymentMethod({ ...visa, number: '4242-4242-4242-4242', expYear: 2031 })
    expect(presented.id).toMatch(/^pm_sim_/)
    expect(await payments.cardFingerprint(presented.id)).toBe(held.card?.fingerprint)
    const other = await payments.createPaymentMethod({ ...visa, number: '5555555555554444' })
    expect(await payments.cardFingerprint(other.id)).not.toBe(held.card?.fingerprint)
    expect(await payments.cardFingerprint('pm_sim_unknown')).toBeNull()
  })

  it('refuses to make a payment method of an invalid card', async () => {
    expect(await refusal(payments.createPaymentMethod({ ...visa, number: '4242424242424241' }))).toBe('incorrect_number')
  })
})

describe('SimulatedPayments capture', () => {
  it('captures up to the held amount and releases the rest', async () => {
    const id = await heldHold(30000)
    expect(await refusal(payments.capture(id, 30001, key()))).toBe('amount_too_large')
    expect(await refusal(payments.capture(id, 0, key()))).toBe('amount_too_small')
    const captured = await payments.capture(id, 12345, key())
    expect(captured).toMatchObject({ status: 'succeeded', amountCaptured: 12345, amountCapturable: 0 })
  })

  it('captures the full hold', async () => {
    const id = await heldHold(30000)
    expect((await payments.capture(id, 30000, key())).amountCaptured).toBe(30000)
  })

  it('captures once when the same key is used twice, and refuses another key', async () => {
    const id = await heldHold()
    const captureKey = key()
    const first = await payments.capture(id, 5000, captureKey)
    const again = await payments.capture(id, 5000, captureKey)
    expect(again).toEqual(first)
    expect(await refusal(payments.capture(id, 5000, key()))).toBe('payment_intent_unexpected_state')
    expect((await payments.getHold(id)).amountCaptured).toBe(5000)
  })

  it('captures once when the same key arrives twice at the same time', async () => {
    const id = await heldHold()
    const captureKey = key()
    const [a, b] = await Promise.all([payments.capture(id, 7000, captureKey), payments.capture(id, 7000, captureKey)])
    expect(a).toEqual(b)
    expect(a.amountCaptured).toBe(7000)
  })

  it('refuses to capture a hold that has no card yet', async () => {
    const { hold } = await newHold()
    expect(await refusal(payments.capture(hold.id, 100, key()))).toBe('payment_intent_unexpected_state')
  })
})

describe('SimulatedPayments release', () => {
  it('releases a placed hold, and answers a second release with the released hold', async () => {
    const id = await heldHold()
    const released = await payments.release(id, key())
    expect(released).toMatchObject({ status: 'canceled', amountCapturable: 0, amountCaptured: 0 })
    expect(await payments.release(id, key())).toEqual(released)
    expect(await refusal(payments.capture(id, 100, key()))).toBe('payment_intent_unexpected_state')
  })

  it('releases a hold that never got a card', async () => {
    const { hold, clientSecret } = await newHold()
    expect((await payments.release(hold.id, key())).status).toBe('canceled')
    expect(await refusal(payments.confirm(clientSecret, visa))).toBe('payment_intent_unexpected_state')
  })

  it('refuses to release a captured payment', async () => {
    const id = await capturedHold(1000)
    expect(await refusal(payments.release(id, key()))).toBe('payment_intent_unexpected_state')
  })
})

describe('SimulatedPayments refund', () => {
  it('refunds up to the captured amount', async () => {
    const id = await capturedHold(12345)
    const first = await payments.refund(id, 5000, key())
    expect(first.refundId).toMatch(/^re_sim_/)
    expect(first.amount).toBe(5000)
    expect(await refusal(payments.refund(id, 7346, key()))).toBe('amount_too_large')
    expect((await payments.refund(id, 7345, key())).amount).toBe(7345)
    expect((await payments.getHold(id)).amountRefunded).toBe(12345)
    expect(await refusal(payments.refund(id, 1, key()))).toBe('amount_too_large')
  })

  it('refunds once per key', async () => {
    const id = await capturedHold(10000)
    const refundKey = key()
    const first = await payments.refund(id, 3000, refundKey)
    expect(await payments.refund(id, 3000, refundKey)).toEqual(first)
    expect((await payments.getHold(id)).amountRefunded).toBe(3000)
    expect(await refusal(payments.refund(id, 4000, refundKey))).toBe('idempotency_key_reused')
  })

  it('lets exactly one of two concurrent refunds through when together they exceed the capture', async () => {
    const id = await capturedHold(10000)
    const results = await Promise.allSettled([payments.refund(id, 6000, key()), payments.refund(id, 6000, key())])
    const fulfilled = results.filter((r) => r.status === 'fulfilled')
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(fulfilled).toHaveLength(1)
    expect(rejected).toHaveLength(1)
    expect((rejected[0].reason as PaymentError).code).toBe('amount_too_large')
    expect((await payments.getHold(id)).amountRefunded).toBe(6000)
  })

  it('refuses to refund a hold that was not captured', async () => {
    const id = await heldHold()
    expect(await refusal(payments.refund(id, 100, key()))).toBe('payment_intent_unexpected_state')
  })
})

describe('SimulatedPayments over time and restarts', () => {
  it('cancels an uncaptured hold once its capture deadline has passed', async () => {
    let clock = start
    const early = new SimulatedPayments({ db: store.db, clock: () => clock, env: 'test' })
    const { hold, clientSecret } = await early.createHold({
      amount: 30000, currency: 'SEK', sessionId: 's2', description: 'd', idempotencyKey: key(),
    })
    await early.confirm(clientSecret, visa)
    clock = new Date(start.getTime() + sevenDays - 1000)
    expect((await early.getHold(hold.id)).status).toBe('requires_capture')
    clock = new Date(start.getTime() + sevenDays)
    expect(await early.getHold(hold.id)).toMatchObject({ status: 'canceled', amountCapturable: 0 })
    expect(await refusal(early.capture(hold.id, 100, key()))).toBe('payment_intent_unexpected_state')
    // Persisted, not just computed: a provider whose clock is still before the deadline sees it too.
    const before = new SimulatedPayments({ db: store.db, clock: () => start, env: 'test' })
    expect((await before.getHold(hold.id)).status).toBe('canceled')
  })

  it('keeps holds and idempotency keys for a provider started later on the same database', async () => {
    const createKey = key()
    const captureKey = key()
    const created = await newHold(30000, createKey)
    await payments.confirm(created.clientSecret, visa)
    const captured = await payments.capture(created.hold.id, 2000, captureKey)

    const restarted = new SimulatedPayments({ db: store.db, clock: () => now, env: 'development' })
    expect(await restarted.getHold(created.hold.id)).toEqual(captured)
    expect((await restarted.createHold({
      amount: 30000, currency: 'SEK', sessionId: 's1', description: 'Charging at DEMO-1', idempotencyKey: createKey,
    })).hold.id).toBe(created.hold.id)
    expect(await restarted.capture(created.hold.id, 2000, captureKey)).toEqual(captured)
    expect((await restarted.refund(created.hold.id, 2000, key())).amount).toBe(2000)
  })

  it('refuses to run in production', () => {
    expect(() => new SimulatedPayments({ db: store.db, env: 'production' })).toThrow(
      'The simulated payment provider refuses to run in production',
    )
  })
})

describe('SimulatedPayments odds and ends', () => {
  it('knows the smallest chargeable amount per currency', () => {
    expect(['SEK', 'NOK', 'DKK', 'EUR', 'USD', 'sek'].map(minimumCharge)).toEqual([300, 300, 250, 50, 50, 300])
    expect(payments.minimumCharge('DKK')).toBe(250)
  })

  it('has no webhooks and tells the client it is simulated', async () => {
    expect(await refusal(payments.parseWebhook())).toBe('not_supported')
    expect(payments.publicConfig()).toEqual({ provider: 'simulated' })
    expect(payments.name).toBe('simulated')
  })
})

describe('createPaymentProvider', () => {
  it('runs the simulated provider without Stripe keys', () => {
    const provider = createPaymentProvider(readEnv({ LADDPUNKT_MODE: 'demo', NODE_ENV: 'test' }), store.db)
    expect(provider.platform).toBeInstanceOf(SimulatedPayments)
    expect(provider.name).toBe('simulated')
  })

  it('runs Stripe when its keys are set', () => {
    const env = readEnv({
      NODE_ENV: 'production',
      SMTP_URL: 'smtp://mail.example.com',
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
    })
    const provider = createPaymentProvider(env, store.db)
    expect(provider.platform).toBeInstanceOf(StripePayments)
    expect(provider.accounts).not.toBeNull()
    expect(provider.publicConfig()).toEqual({ provider: 'stripe', publishableKey: 'pk_test_x' })
  })
})
