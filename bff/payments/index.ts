import Stripe from 'stripe'
import type { Env } from '../env'
import type { Db } from '../store/db'
import type { PaymentProvider } from './provider'
import { SimulatedPayments } from './simulated'
import { StripePayments } from './stripe'
import { SitePayments } from './collection/router'
import { StripeAccounts } from './collection/accounts'
import type { Seller } from './collection/schema'

/**
 * Stripe when STRIPE_SECRET_KEY is set (readEnv guarantees the other two keys then), else simulated;
 * either way behind SitePayments, which sends each site's holds to whoever collects for it.
 */
export function createPaymentProvider(env: Env, db: Db, clock?: () => Date): SitePayments {
  const { STRIPE_SECRET_KEY: secretKey, STRIPE_PUBLISHABLE_KEY: publishableKey, STRIPE_WEBHOOK_SECRET: webhookSecret } = env
  const platformSeller = platformSellerOf(env)
  const defaultFeeBp = env.PLATFORM_FEE_BP
  if (secretKey) {
    if (!publishableKey || !webhookSecret) {
      throw new Error('Bad configuration: set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET together')
    }
    const clientFor = (key: string) => stripeClient(key, env.STRIPE_API_BASE)
    const connectSecret = env.STRIPE_CONNECT_WEBHOOK_SECRET
    return new SitePayments({
      db,
      platform: new StripePayments({ secretKey, publishableKey, webhookSecret, stripe: clientFor(secretKey) }),
      connectEvents: connectSecret ? new StripePayments({ secretKey, publishableKey, webhookSecret: connectSecret, stripe: clientFor(secretKey) }) : undefined,
      platformSeller,
      defaultFeeBp,
      accounts: new StripeAccounts(clientFor(secretKey), clientFor),
      ownAccount: (keys) => new StripePayments({ ...keys, stripe: clientFor(keys.secretKey) }),
    })
  }
  const simulated = new SimulatedPayments({ db, clock, env: env.NODE_ENV })
  // The demo has no Stripe accounts: the simulated provider keeps every site's holds, whoever sells.
  return new SitePayments({ db, platform: simulated, platformSeller, defaultFeeBp, accounts: null })
}

/** The simulated provider behind the app's payments, if that is what runs (its card form is mounted then). */
export function simulatedPaymentsOf(payments: PaymentProvider): SimulatedPayments | undefined {
  if (payments instanceof SimulatedPayments) return payments
  if (payments instanceof SitePayments && payments.platform instanceof SimulatedPayments) return payments.platform
  return undefined
}

/** The seller on receipts in platform mode: PLATFORM_* in production, the demo company in the demo. */
function platformSellerOf(env: Env): Seller | null {
  if (env.PLATFORM_LEGAL_NAME && env.PLATFORM_ORG_NUMBER && env.PLATFORM_VAT_NUMBER && env.PLATFORM_ADDRESS) {
    return { legalName: env.PLATFORM_LEGAL_NAME, orgNumber: env.PLATFORM_ORG_NUMBER, vatNumber: env.PLATFORM_VAT_NUMBER, address: env.PLATFORM_ADDRESS }
  }
  return env.demo ? demoPlatformSeller : null
}

/** The demo platform: the company the demo site has always named on its receipts. */
export const demoPlatformSeller: Seller = {
  legalName: 'Laddpunkt Demo AB',
  orgNumber: '559123-4567',
  vatNumber: 'SE559123456701',
  address: 'Sveavägen 44, 111 34 Stockholm',
}

/** A Stripe client; STRIPE_API_BASE points it elsewhere (stripe-mock, a test fake), for testing only. */
export function stripeClient(secretKey: string, base?: string): Stripe {
  if (!base) return new Stripe(secretKey, { maxNetworkRetries: 2, timeout: 20_000 })
  const url = new URL(base)
  const protocol = url.protocol === 'http:' ? 'http' : 'https'
  return new Stripe(secretKey, { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol, maxNetworkRetries: 2, timeout: 20_000 })
}
