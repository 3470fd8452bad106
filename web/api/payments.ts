import { request } from './http'

export interface TestCard {
  number: string
  expMonth: number
  expYear: number
  cvc: string
}

/** The simulated provider's stand-in for Stripe.js: places the hold for `clientSecret`. */
export const confirmSimulatedCard = (clientSecret: string, card: TestCard) =>
  request<{ status: string }>('/api/payments/simulated/confirm', { method: 'POST', body: { clientSecret, card } })

export const createSimulatedPaymentMethod = (card: TestCard) =>
  request<{ id: string }>('/api/payments/simulated/payment-methods', { method: 'POST', body: { card } })
