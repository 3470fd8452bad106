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
    return new StripePayments({ secretKey, publishableKey, webhookSecret })
  }
  return new SimulatedPayments({ db, clock, env: env.NODE_ENV })
}
