/**
 * The Stripe calls about accounts rather than payments: the owner's connected account and its
 * onboarding link (platform mode), checking an owner's own keys with a test call (own mode), and
 * the payouts as Stripe reports them (on the connected account through the `Stripe-Account`
 * header, or on the owner's own account with its key).
 */
import Stripe from 'stripe'
import { PaymentError } from '../provider'

export interface Payout {
  id: string
  amount: number
  currency: string
  status: string
  arrivalDate: string
  createdAt: string
}

export interface AccountState {
  id: string
  /** Stripe lets the account take charges and receive payouts. */
  ready: boolean
  detailsSubmitted: boolean
}

export class StripeAccounts {
  constructor(
    private readonly platform: Stripe,
    /** A client with another account's secret key (an owner's own), pointed where the platform's is. */
    readonly clientFor: (secretKey: string) => Stripe,
  ) {}

  /** The owner's Express account, made once per site (the site id keys the call). */
  async createConnectedAccount(input: { siteId: string; country: string; email: string | null; businessName: string }): Promise<string> {
    const account = await refusals(() =>
      this.platform.accounts.create(
        {
          type: 'express',
          country: input.country,
          ...(input.email ? { email: input.email } : {}),
          business_profile: { name: input.businessName },
          capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
          metadata: { site_id: input.siteId },
        },
        { idempotencyKey: `connected-account:${input.siteId}` },
      ),
    )
    return account.id
  }

  /** A single-use onboarding link on Stripe; it expires within minutes, so it is never stored. */
  async onboardingLink(account: string, returnUrl: string, refreshUrl: string): Promise<string> {
    const link = await refusals(() =>
      this.platform.accountLinks.create({ account, type: 'account_onboarding', return_url: returnUrl, refresh_url: refreshUrl }),
    )
    return link.url
  }

  async connectedAccount(account: string): Promise<AccountState> {
    return accountState(await refusals(() => this.platform.accounts.retrieve(account)))
  }

  /** The test call for an owner's own keys: the account the secret key belongs to. */
  async ownAccount(secretKey: string): Promise<AccountState> {
    return accountState(await refusals(() => this.clientFor(secretKey).accounts.retrieveCurrent()))
  }

  async connectedPayouts(account: string): Promise<Payout[]> {
    const list = await refusals(() => this.platform.payouts.list({ limit: 24 }, { stripeAccount: account }))
    return list.data.map(payout)
  }

  async ownPayouts(secretKey: string): Promise<Payout[]> {
    const list = await refusals(() => this.clientFor(secretKey).payouts.list({ limit: 24 }))
    return list.data.map(payout)
  }
}

function accountState(account: Stripe.Account): AccountState {
  return { id: account.id, ready: Boolean(account.charges_enabled && account.payouts_enabled), detailsSubmitted: Boolean(account.details_submitted) }
}

function payout(p: Stripe.Payout): Payout {
  return {
    id: p.id,
    amount: p.amount,
    currency: p.currency.toUpperCase(),
    status: p.status,
    arrivalDate: new Date(p.arrival_date * 1000).toISOString(),
    createdAt: new Date(p.created * 1000).toISOString(),
  }
}

/** A refused key or request becomes PaymentError (the owner's to fix); outages pass through. */
async function refusals<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof Stripe.errors.StripeAuthenticationError) throw new PaymentError('Stripe did not accept the key.', 'key_refused')
    if (error instanceof Stripe.errors.StripePermissionError) throw new PaymentError('The key may not do this on Stripe.', 'key_refused')
    if (error instanceof Stripe.errors.StripeInvalidRequestError) throw new PaymentError(error.message, error.code ?? 'invalid_request')
    throw error
  }
}
