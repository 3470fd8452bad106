/**
 * The PaymentProvider port: card holds (manual-capture authorisations), capture, release, refund.
 * Stripe (stripe.ts) and the simulated provider (simulated.ts) behave the same way. Every mutating
 * call takes an idempotency key: a retry with the same key cannot act twice.
 */

export type HoldStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded'

export interface CardDetails {
  brand: string
  last4: string
  /** Same card number, same fingerprint. A wallet (Apple Pay, Google Pay) may present another. */
  fingerprint: string | null
  wallet: string | null
}

export interface Hold {
  /** Provider id: a PaymentIntent id for Stripe. */
  id: string
  status: HoldStatus
  amount: number
  currency: string
  amountCapturable: number
  amountCaptured: number
  amountRefunded: number
  card: CardDetails | null
  /** When the provider will cancel an uncaptured hold by itself. */
  captureBefore: Date | null
  /** Why the last confirmation failed, in the issuer's words (declined, insufficient funds). */
  failureMessage: string | null
}

export interface PaymentEvent {
  /** Provider event id, for replay protection. */
  id: string
  type: 'hold_placed' | 'hold_failed' | 'captured' | 'released' | 'refunded' | 'other'
  providerType: string
  holdId: string | null
  /** A Connect event's connected account (`account.updated`, a payout on it); null otherwise. */
  account?: string | null
}

/** One hold as the provider's own books show it, for reconciliation. */
export interface LedgerEntry {
  id: string
  status: HoldStatus
  amount: number
  currency: string
  amountCaptured: number
  amountRefunded: number
  /**
   * What the provider's balance books for this payment (Stripe: the charge's balance transaction,
   * gross); null while nothing is booked. Set apart from amountCaptured so reconciliation can hold
   * the money actually moved against what the payment says.
   */
  booked: number | null
  createdAt: Date
  /** Our session id, from the hold's metadata; null when the provider has none. */
  sessionId: string | null
}

export type PublicPaymentConfig = { provider: 'stripe'; publishableKey: string } | { provider: 'simulated' }

/** The provider refused (declined, invalid request); retrying the same call will not help. */
export class PaymentError extends Error {
  constructor(message: string, readonly code: string) {
    super(message)
  }
}

/** What settling a session needs from whoever keeps its hold: the app's provider, or a payment terminal. */
export type HoldKeeper = Pick<PaymentProvider, 'getHold' | 'capture' | 'release' | 'minimumCharge'>

export interface PaymentProvider {
  readonly name: 'stripe' | 'simulated'
  publicConfig(): PublicPaymentConfig
  /** What the browser confirms this hold with, when that depends on the hold (a site's own Stripe account). */
  holdConfig?(holdId: string): Promise<PublicPaymentConfig>
  createHold(input: {
    amount: number
    currency: string
    sessionId: string
    description: string
    idempotencyKey: string
    /** A destination charge: the captured money goes on to this connected account (Stripe Connect). */
    transferTo?: string
  }): Promise<{ hold: Hold; clientSecret: string }>
  getHold(id: string): Promise<Hold>
  /** Capture `amount` (≤ the held amount); the rest is released. A destination charge keeps `applicationFee` for us. */
  capture(id: string, amount: number, idempotencyKey: string, connect?: { applicationFee: number }): Promise<Hold>
  /** Cancel the hold: everything is released. */
  release(id: string, idempotencyKey: string): Promise<Hold>
  /**
   * Refund part of what was captured. For a destination charge (`reverseTransfer`), the transfer and
   * our fee are reversed in proportion; `feeRefunded` is then the fee given back so far, as the provider reports it.
   */
  refund(id: string, amount: number, idempotencyKey: string, connect?: { reverseTransfer: true }): Promise<{ refundId: string; amount: number; feeRefunded?: number }>
  /** The fingerprint of a payment method the driver presents to stop by card. */
  cardFingerprint(paymentMethodId: string): Promise<string | null>
  /** Verifies the signature on the raw body; throws PaymentError('bad_signature') otherwise. */
  parseWebhook(rawBody: string, signature: string | undefined): Promise<PaymentEvent>
  /** Smallest amount the provider will capture in this currency. */
  minimumCharge(currency: string): number
  /** Every hold created in [from, to), as the provider reports it (reconciliation). */
  ledger?(range: { from: Date; to: Date }): Promise<LedgerEntry[]>
}
