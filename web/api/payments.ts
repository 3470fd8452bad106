import { api } from './client'
import { call } from './http'

export interface TestCard {
  number: string
  expMonth: number
  expYear: number
  cvc: string
}

/** The simulated provider's stand-in for Stripe.js: places the hold for `clientSecret`. */
export const confirmSimulatedCard = (clientSecret: string, card: TestCard) =>
  call(api.payments.simulated.confirm.$post({ json: { clientSecret, card } }))

export const createSimulatedPaymentMethod = (card: TestCard) => call(api.payments.simulated['payment-methods'].$post({ json: { card } }))
