import Stripe from 'stripe'
import type { Env } from '../env'
import type { Db } from '../store/db'
import type { PaymentProvider } from './provider'
import { SimulatedPayments } from './simulated'
import { StripePayments } from './stripe'

/** Stripe when STRIPE_SECRET_KEY is set (readEnv guarantees the other two keys then), else simulated. */
export function createPaymentProvider(env: Env, db: Db, clock?: () => Date): PaymentProvider {
  const { STRIPE_SECRET_KEY: secretKey, STRIPE_PUBLISHABLE_KEY: publishableKey, STRIPE_WEBHOOK_SECRET: webhookSecret } = env
  if (secretKey) {
    if (!publishableKey || !webhookSecret) {
      throw new Error('Bad configuration: set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET together')
    }
    return new StripePayments({ secretKey, publishableKey, webhookSecret, stripe: env.STRIPE_API_BASE ? stripeAt(env.STRIPE_API_BASE, secretKey) : undefined })
  }
  return new SimulatedPayments({ db, clock, env: env.NODE_ENV })
}

/** A Stripe client talking to another API base (stripe-mock, a test fake): STRIPE_API_BASE, for testing only. */
function stripeAt(base: string, secretKey: string): Stripe {
  const url = new URL(base)
  const protocol = url.protocol === 'http:' ? 'http' : 'https'
  return new Stripe(secretKey, { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol, maxNetworkRetries: 2, timeout: 20_000 })
}
