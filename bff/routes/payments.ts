/**
 * The simulated provider's card form endpoints: what Stripe.js does against Stripe, done against
 * ourselves. Mounted at /api/payments/simulated only when the simulated provider runs.
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { z } from 'zod'
import { PaymentError } from '../payments/provider'
import type { SimulatedPayments } from '../payments/simulated'
import { json } from './validation'

const card = z.object({
  /** Spaces and dashes as typed are fine: "4242 4242 4242 4242". */
  number: z.string().min(1).max(40),
  expMonth: z.number().int(),
  expYear: z.number().int(),
  cvc: z.string().max(8),
})

/** Card refusals are 402 as with Stripe; an unknown hold 404; a hold in the wrong state 409. */
function statusOf(error: PaymentError): 400 | 402 | 404 | 409 {
  if (error.code === 'resource_missing') return 404
  if (error.code === 'payment_intent_unexpected_state') return 409
  if (cardRefusals.has(error.code)) return 402
  return 400
}

const cardRefusals = new Set([
  'card_declined',
  'insufficient_funds',
  'expired_card',
  'incorrect_cvc',
  'incorrect_number',
  'invalid_cvc',
  'invalid_expiry_month',
  'lost_card',
  'stolen_card',
  'processing_error',
  'card_velocity_exceeded',
])

export function simulatedPaymentRoutes(payments: SimulatedPayments) {
  return new Hono()
    .post('/confirm', json(z.object({ clientSecret: z.string().min(1).max(255), card })), async (c) => {
      const { clientSecret, card } = c.req.valid('json')
      try {
        const hold = await payments.confirm(clientSecret, card)
        return c.json({ status: hold.status, card: hold.card && { brand: hold.card.brand, last4: hold.card.last4 } }, 200)
      } catch (error) {
        if (!(error instanceof PaymentError)) throw error
        return c.json({ error: { code: error.code, message: error.message } }, statusOf(error))
      }
    })
    .post('/payment-methods', json(z.object({ card })), async (c) => {
      try {
        return c.json(await payments.createPaymentMethod(c.req.valid('json').card), 201)
      } catch (error) {
        if (!(error instanceof PaymentError)) throw error
        return c.json({ error: { code: error.code, message: error.message } }, statusOf(error))
      }
    })
    .onError((error, c) => {
      // Malformed JSON never reaches the validator's hook; it gets the same answer as a bad body.
      if (error instanceof HTTPException && error.status === 400) {
        return c.json({ error: { code: 'invalid_request', message: error.message } }, 400)
      }
      throw error
    })
}
