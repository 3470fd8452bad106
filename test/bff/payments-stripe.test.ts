import { randomUUID } from 'node:crypto'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PaymentError } from '../../bff/payments/provider'
import { StripePayments } from '../../bff/payments/stripe'
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe'

const webhookSecret = 'whsec_test_secret'
const card = { brand: 'visa', last4: '4242', fingerprint: 'fp_visa_4242' }

let fake: FakeStripe
let payments: StripePayments

beforeAll(async () => {
  fake = await startFakeStripe()
  payments = new StripePayments({
    secretKey: 'sk_test_fake',
    publishableKey: 'pk_test_fake',
    webhookSecret,
    stripe: fake.client(),
  })
})

afterAll(async () => {
  await fake.close()
})

const key = () => randomUUID()

function newHold(idempotencyKey = key(), amount = 30000) {
  return payments.createHold({ amount, currency: 'SEK', sessionId: 'sess_1', description: 'Charging at DEMO-1', idempotencyKey })
}

async function heldHold(wallet?: string) {
  const { hold } = await newHold()
  fake.confirm(hold.id, { card, wallet })
  return hold.id
}

const requestsTo = (path: string) => fake.requests.filter((r) => r.path === path)

async function refusal(call: Promise<unknown>): Promise<PaymentError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PaymentError)
  return error as PaymentError
}

describe('StripePayments against a fake Stripe through the stripe package', () => {
  it('creates a manual-capture PaymentIntent with the idempotency key', async () => {
    const idempotencyKey = key()
    const { hold, clientSecret } = await newHold(idempotencyKey)
    expect(hold).toMatchObject({ status: 'requires_payment_method', amount: 30000, currency: 'SEK', card: null })
    expect(clientSecret).toMatch(new RegExp(`^${hold.id}_secret_`))
    const [request] = requestsTo('/v1/payment_intents').filter((r) => r.idempotencyKey === idempotencyKey)
    expect(request.method).toBe('POST')
    expect(request.params).toEqual({
      amount: '30000',
      currency: 'sek',
      capture_method: 'manual',
      automatic_payment_methods: { enabled: 'true' },
      description: 'Charging at DEMO-1',
      metadata: { session_id: 'sess_1' },
      payment_method_options: { card: { request_three_d_secure: 'automatic' } },
    })
  })

  it('gets the same PaymentIntent back for a repeated key', async () => {
    const idempotencyKey = key()
    const first = await newHold(idempotencyKey)
    const again = await newHold(idempotencyKey)
    expect(again.hold.id).toBe(first.hold.id)
    expect((await refusal(newHold(idempotencyKey, 20000))).code).toBe('idempotency_key_reused')
  })

  it('reads the placed hold with card, wallet and capture deadline', async () => {
    const id = await heldHold('apple_pay')
    const hold = await payments.getHold(id)
    expect(hold).toMatchObject({
      status: 'requires_capture',
      amountCapturable: 30000,
      card: { brand: 'visa', last4: '4242', fingerprint: 'fp_visa_4242', wallet: 'apple_pay' },
      failureMessage: null,
    })
    expect(hold.captureBefore!.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000)
    const retrieve = requestsTo(`/v1/payment_intents/${id}`).at(-1)!
    expect(retrieve.method).toBe('GET')
    expect(retrieve.params.expand).toEqual(['latest_charge', 'payment_method'])
  })

  it("shows the issuer's reason when confirmation failed", async () => {
    const { hold } = await newHold()
    fake.decline(hold.id, 'Your card has insufficient funds.', 'insufficient_funds')
    expect(await payments.getHold(hold.id)).toMatchObject({
      status: 'requires_payment_method',
      failureMessage: 'Your card has insufficient funds.',
    })
  })

  it('captures with the key, once, and not above the hold', async () => {
    const id = await heldHold()
    expect((await refusal(payments.capture(id, 30001, key()))).code).toBe('amount_too_large')
    const captureKey = key()
    const captured = await payments.capture(id, 1234, captureKey)
    expect(captured).toMatchObject({ status: 'succeeded', amountCaptured: 1234, amountCapturable: 0, card: { last4: '4242' } })
    expect(await payments.capture(id, 1234, captureKey)).toEqual(captured)
    expect((await refusal(payments.capture(id, 1234, key()))).code).toBe('payment_intent_unexpected_state')
    const sent = requestsTo(`/v1/payment_intents/${id}/capture`).filter((r) => r.idempotencyKey === captureKey)
    expect(sent.map((r) => r.params.amount_to_capture)).toEqual(['1234', '1234'])
  })

  it('releases with the key, and treats a second release as done', async () => {
    const id = await heldHold()
    const releaseKey = key()
    expect(await payments.release(id, releaseKey)).toMatchObject({ status: 'canceled', amountCapturable: 0 })
    expect(requestsTo(`/v1/payment_intents/${id}/cancel`)[0].idempotencyKey).toBe(releaseKey)
    expect((await payments.release(id, key())).status).toBe('canceled')
  })

  it('refuses to release a captured payment', async () => {
    const id = await heldHold()
    await payments.capture(id, 1000, key())
    expect((await refusal(payments.release(id, key()))).code).toBe('payment_intent_unexpected_state')
  })

  it('refunds with the key, up to the captured amount', async () => {
    const id = await heldHold()
    await payments.capture(id, 1000, key())
    const refundKey = key()
    const refund = await payments.refund(id, 600, refundKey)
    expect(refund.refundId).toMatch(/^re_/)
    expect(refund.amount).toBe(600)
    const sent = requestsTo('/v1/refunds').find((r) => r.idempotencyKey === refundKey)!
    expect(sent.params).toEqual({ payment_intent: id, amount: '600' })
    expect(await payments.refund(id, 600, refundKey)).toEqual(refund)
    expect((await refusal(payments.refund(id, 401, key()))).code).toBe('amount_too_large')
    expect((await payments.getHold(id)).amountRefunded).toBe(600)
  })

  it('retries a 500 with the same idempotency key and captures once', async () => {
    const id = await heldHold()
    const captureKey = key()
    fake.failNext(1)
    const captured = await payments.capture(id, 500, captureKey)
    expect(captured.amountCaptured).toBe(500)
    const sent = requestsTo(`/v1/payment_intents/${id}/capture`)
    expect(sent).toHaveLength(2)
    expect(sent.map((r) => r.idempotencyKey)).toEqual([captureKey, captureKey])
  })

  it('rethrows what still fails after the retries, and the same key then succeeds', async () => {
    const idempotencyKey = key()
    fake.failNext(3)
    const error = await newHold(idempotencyKey).catch((e: unknown) => e)
    expect(error).not.toBeInstanceOf(PaymentError)
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError)
    const sent = requestsTo('/v1/payment_intents').filter((r) => r.idempotencyKey === idempotencyKey)
    expect(sent).toHaveLength(3)
    expect((await newHold(idempotencyKey)).hold.status).toBe('requires_payment_method')
  })

  it('turns a card error into a PaymentError with the decline reason', async () => {
    fake.failNext(1, 402, {
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    })
    const error = await refusal(newHold())
    expect(error.code).toBe('insufficient_funds')
    expect(error.message).toBe('Your card has insufficient funds.')
    fake.failNext(1, 402, { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' })
    expect((await refusal(newHold())).code).toBe('card_declined')
  })

  it('turns an unknown PaymentIntent into resource_missing', async () => {
    expect((await refusal(payments.getHold('pi_missing'))).code).toBe('resource_missing')
  })

  it("reads a presented card's fingerprint", async () => {
    const method = fake.addPaymentMethod({ brand: 'mastercard', last4: '4444', fingerprint: 'fp_mc' })
    expect(await payments.cardFingerprint(method)).toBe('fp_mc')
    expect(await payments.cardFingerprint('pm_unknown')).toBeNull()
  })

  it('tells the client to use Stripe.js with the publishable key', () => {
    expect(payments.publicConfig()).toEqual({ provider: 'stripe', publishableKey: 'pk_test_fake' })
    expect(payments.minimumCharge('SEK')).toBe(300)
    expect(payments.minimumCharge('eur')).toBe(50)
  })
})

describe('StripePayments webhooks', () => {
  const stripe = new Stripe('sk_test_fake')

  function signed(type: string, object: Record<string, unknown>, secret = webhookSecret) {
    const payload = JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event', type, data: { object } })
    return { payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret }) }
  }

  it.each([
    ['payment_intent.amount_capturable_updated', 'hold_placed'],
    ['payment_intent.payment_failed', 'hold_failed'],
    ['payment_intent.succeeded', 'captured'],
    ['payment_intent.canceled', 'released'],
    ['payment_intent.created', 'other'],
  ])('maps %s to %s', async (type, mapped) => {
    const { payload, signature } = signed(type, { id: 'pi_123', object: 'payment_intent' })
    const event = await payments.parseWebhook(payload, signature)
    expect(event).toEqual({ id: JSON.parse(payload).id, type: mapped, providerType: type, holdId: 'pi_123' })
  })

  it.each([
    ['charge.refunded', 'refunded'],
    ['charge.expired', 'released'],
  ])("maps %s to %s on the charge's PaymentIntent", async (type, mapped) => {
    const { payload, signature } = signed(type, { id: 'ch_1', object: 'charge', payment_intent: 'pi_456' })
    expect(await payments.parseWebhook(payload, signature)).toMatchObject({ type: mapped, holdId: 'pi_456' })
  })

  it('has no hold for events about other things', async () => {
    const { payload, signature } = signed('customer.created', { id: 'cus_1', object: 'customer' })
    expect(await payments.parseWebhook(payload, signature)).toMatchObject({ type: 'other', holdId: null })
  })

  it('refuses a tampered body, another secret or no signature', async () => {
    const { payload, signature } = signed('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent' })
    const tampered = payload.replace('pi_1', 'pi_2')
    expect((await refusal(payments.parseWebhook(tampered, signature))).code).toBe('bad_signature')
    const other = signed('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent' }, 'whsec_other')
    expect((await refusal(payments.parseWebhook(other.payload, other.signature))).code).toBe('bad_signature')
    expect((await refusal(payments.parseWebhook(payload, undefined))).code).toBe('bad_signature')
    expect((await refusal(payments.parseWebhook(payload, 'garbage'))).code).toBe('bad_signature')
  })
})
