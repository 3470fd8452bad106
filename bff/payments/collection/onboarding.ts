/**
 * How a site's owner chooses who collects: the platform (a Stripe Connect account the owner
 * onboards on Stripe through an account link) or the owner's own Stripe account (keys checked with
 * a test call, then stored sealed). Every write lands in site_collections before anyone uses it.
 */
import { eq } from 'drizzle-orm'
import type { Db } from '../../store/db'
import { sites } from '../../store/schema'
import { AppError } from '../../errors'
import { PaymentError } from '../provider'
import { siteCollections, type CollectionMode, type Seller } from './schema'
import type { SitePayments } from './router'
import type { Payout } from './accounts'

type SiteRow = typeof sites.$inferSelect

export interface CollectionView {
  siteId: string
  /** No setup yet: the platform collects, the site sells, nothing is paid out (as before collection modes). */
  mode: CollectionMode | 'unset'
  /** Stripe runs (not the demo's simulated provider): onboarding and own keys need it. */
  stripe: boolean
  feeBp: number
  platformSeller: Seller | null
  connect: { accountId: string | null; ready: boolean }
  own: { accountId: string | null; publishableKey: string | null; webhookUrl: string }
  /** Card payments at the site can start now. */
  ready: boolean
}

export async function collectionView(db: Db, payments: SitePayments, site: SiteRow, publicUrl: string): Promise<CollectionView> {
  const [setup] = await db.select().from(siteCollections).where(eq(siteCollections.siteId, site.id))
  const mode: CollectionView['mode'] = setup?.mode ?? 'unset'
  const connectReady = Boolean(setup?.connectedAccountId && setup.accountReady)
  return {
    siteId: site.id,
    mode,
    stripe: payments.accounts !== null,
    feeBp: setup?.feeBp ?? payments.defaultFeeBp,
    platformSeller: payments.platformSeller,
    connect: { accountId: setup?.connectedAccountId ?? null, ready: connectReady },
    own: { accountId: setup?.ownAccountId ?? null, publishableKey: setup?.ownPublishableKey ?? null, webhookUrl: `${publicUrl}/webhooks/stripe/sites/${encodeURIComponent(site.id)}` },
    ready: !setup || (setup.mode === 'platform' ? !payments.connect || connectReady : !payments.connect || Boolean(setup.ownSecretKey)),
  }
}

function stripeAccounts(payments: SitePayments) {
  if (!payments.accounts) throw new AppError(409, 'needs_stripe', 'Payments run on the simulated provider here: Stripe accounts can be set up only where Stripe is configured.')
  return payments.accounts
}

/**
 * Platform mode: the site's connected account (made once) and a fresh onboarding link to it. The
 * site collects through the platform from now on; card payments start once Stripe says the account is ready.
 */
export async function startConnectOnboarding(
  db: Db,
  payments: SitePayments,
  site: SiteRow,
  o: { email: string | null; returnUrl: string; refreshUrl: string; now: Date },
): Promise<{ url: string }> {
  const accounts = stripeAccounts(payments)
  if (!payments.platformSeller) throw new AppError(409, 'platform_seller_missing', 'The platform has no seller details configured (PLATFORM_LEGAL_NAME and the rest), so it cannot sell for this site.')
  const [setup] = await db.select().from(siteCollections).where(eq(siteCollections.siteId, site.id))
  const accountId =
    setup?.connectedAccountId ??
    (await payStep(() => accounts.createConnectedAccount({ siteId: site.id, country: site.country, email: o.email, businessName: site.legalName })))
  await db
    .insert(siteCollections)
    .values({ siteId: site.id, mode: 'platform', connectedAccountId: accountId, feeBp: payments.defaultFeeBp, updatedAt: o.now })
    .onConflictDoUpdate({
      target: siteCollections.siteId,
      // A new account is not ready until Stripe says so.
      set: { mode: 'platform', connectedAccountId: accountId, accountReady: setup?.connectedAccountId === accountId && setup.accountReady, updatedAt: o.now },
    })
  return { url: await payStep(() => accounts.onboardingLink(accountId, o.returnUrl, o.refreshUrl)) }
}

/** What Stripe says of the connected account now (after the owner comes back, or on `account.updated`). */
export async function refreshConnectedAccount(db: Db, payments: SitePayments, accountId: string, now: Date): Promise<void> {
  const state = await payStep(() => stripeAccounts(payments).connectedAccount(accountId))
  await db.update(siteCollections).set({ accountReady: state.ready, updatedAt: now }).where(eq(siteCollections.connectedAccountId, accountId))
}

/** Own mode: the keys are checked with a test call on Stripe before anything is stored. */
export async function useOwnKeys(
  db: Db,
  payments: SitePayments,
  site: SiteRow,
  keys: { secretKey: string; publishableKey: string; webhookSecret: string },
  now: Date,
): Promise<void> {
  const accounts = stripeAccounts(payments)
  const account = await payStep(() => accounts.ownAccount(keys.secretKey))
  const sealed = {
    mode: 'own' as const,
    ownSecretKey: await payments.sealer.seal(keys.secretKey),
    ownPublishableKey: keys.publishableKey,
    ownWebhookSecret: await payments.sealer.seal(keys.webhookSecret),
    ownAccountId: account.id,
    updatedAt: now,
  }
  await db
    .insert(siteCollections)
    .values({ siteId: site.id, feeBp: payments.defaultFeeBp, ...sealed })
    .onConflictDoUpdate({ target: siteCollections.siteId, set: sealed })
}

/** The payouts Stripe reports for the site's account (connected, or its own); none before one is set up. */
export async function sitePayouts(db: Db, payments: SitePayments, siteId: string): Promise<Payout[]> {
  const [setup] = await db.select().from(siteCollections).where(eq(siteCollections.siteId, siteId))
  if (!payments.accounts || !setup) return []
  const accounts = payments.accounts
  if (setup.mode === 'platform' && setup.connectedAccountId) return payStep(() => accounts.connectedPayouts(setup.connectedAccountId!))
  if (setup.mode === 'own' && setup.ownSecretKey) {
    const secretKey = await payments.sealer.open(setup.ownSecretKey)
    return payStep(() => accounts.ownPayouts(secretKey))
  }
  return []
}

/** Stripe's refusals are the owner's to fix (a wrong key): 400 with Stripe's reason; outages stay 5xx. */
async function payStep<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof PaymentError) throw new AppError(400, error.code, error.message)
    throw error
  }
}
