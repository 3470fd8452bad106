/**
 * Card holds with Stripe: manual-capture PaymentIntents. The SDK retries timeouts and 5xx answers
 * with the same idempotency key; what still fails after that is rethrown as is, for the caller to
 * retry later with the same key.
 */
import Stripe from 'stripe'
import { minimumCharge } from './minimums'
import {
  PaymentError,
  type CardDetails,
  type Hold,
  type HoldStatus,
  type LedgerEntry,
  type PaymentEvent,
  type PaymentProvider,
  type PublicPaymentConfig,
} from './provider'

export interface StripePaymentsOptions {
  secretKey: string
  publishableKey: string
  webhookSecret: string
  /** A ready client, e.g. pointed at a local fake in tests. */
  stripe?: Stripe
}

/** Expanded on every call that returns a PaymentIntent, so the hold carries its card and deadline. */
const expand = ['latest_charge', 'payment_method']

const holdStatuses: readonly HoldStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'canceled',
  'succeeded',
]

const eventTypes: Record<string, PaymentEvent['type']> = {
  'payment_intent.amount_capturable_updated': 'hold_placed',
  'payment_intent.payment_failed': 'hold_failed',
  'payment_intent.succeeded': 'captured',
  'payment_intent.canceled': 'released',
  'charge.refunded': 'refunded',
  'charge.expired': 'released',
}

export class StripePayments implements PaymentProvider {
  readonly name = 'stripe' as const
  private readonly stripe: Stripe
  private readonly publishableKey: string
  private readonly webhookSecret: string

  constructor(options: StripePaymentsOptions) {
    this.stripe = options.stripe ?? new Stripe(options.secretKey, { maxNetworkRetries: 2, timeout: 20_000 })
    this.publishableKey = options.publishableKey
    this.webhookSecret = options.webhookSecret
  }

  publicConfig(): PublicPaymentConfig {
    return { provider: 'stripe', publishableKey: this.publishableKey }
  }

  async createHold(input: {
    amount: number
    currency: string
    sessionId: string
    description: string
    idempotencyKey: string
    transferTo?: string
  }): Promise<{ hold: Hold; clientSecret: string }> {
    const intent = await refusals(() =>
      this.stripe.paymentIntents.create(
        {
          amount: input.amount,
          currency: input.currency.toLowerCase(),
          capture_method: 'manual',
          automatic_payment_methods: { enabled: true },
          description: input.description,
          metadata: { session_id: input.sessionId },
          payment_method_options: { card: { request_three_d_secure: 'automatic' } },
          // A destination charge: the platform sells, Stripe moves the money on to the owner at capture.
          ...(input.transferTo ? { transfer_data: { destination: input.transferTo } } : {}),
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    )
    if (!intent.client_secret) throw new Error(`Stripe returned PaymentIntent ${intent.id} without a client secret`)
    return { hold: toHold(intent), clientSecret: intent.client_secret }
  }

  async getHold(id: string): Promise<Hold> {
    return toHold(await refusals(() => this.stripe.paymentIntents.retrieve(id, { expand })))
  }

  async capture(id: string, amount: number, idempotencyKey: string, connect?: { applicationFee: number }): Promise<Hold> {
    // The fee is set at capture, on the amount actually captured (a hold is seldom captured whole).
    const fee = connect ? { application_fee_amount: connect.applicationFee } : {}
    const intent = await refusals(() =>
      this.stripe.paymentIntents.capture(id, { amount_to_capture: amount, ...fee, expand }, { idempotencyKey }),
    )
    return toHold(intent)
  }

  async release(id: string, idempotencyKey: string): Promise<Hold> {
    try {
      return toHold(await refusals(() => this.stripe.paymentIntents.cancel(id, { expand }, { idempotencyKey })))
    } catch (error) {
      // Stripe refuses to cancel twice; a hold that is already released is what the caller wants.
      if (error instanceof PaymentError && error.code === 'payment_intent_unexpected_state') {
        const hold = await this.getHold(id)
        if (hold.status === 'canceled') return hold
      }
      throw error
    }
  }

  async refund(id: string, amount: number, idempotencyKey: string, connect?: { reverseTransfer: true }): Promise<{ refundId: string; amount: number; feeRefunded?: number }> {
    const reversal = connect ? { reverse_transfer: true, refund_application_fee: true } : {}
    const refund = await refusals(() => this.stripe.refunds.create({ payment_intent: id, amount, ...reversal }, { idempotencyKey }))
    if (!connect) return { refundId: refund.id, amount: refund.amount }
    // Stripe gives back our fee in proportion; how much it gave back so far is on the application fee.
    const intent = await refusals(() => this.stripe.paymentIntents.retrieve(id, { expand: ['latest_charge.application_fee'] }))
    const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null
    const fee = charge && typeof charge.application_fee === 'object' ? charge.application_fee : null
    return { refundId: refund.id, amount: refund.amount, feeRefunded: fee?.amount_refunded ?? 0 }
  }

  async cardFingerprint(paymentMethodId: string): Promise<string | null> {
    try {
      const method = await refusals(() => this.stripe.paymentMethods.retrieve(paymentMethodId))
      return method.card?.fingerprint ?? null
    } catch (error) {
      if (error instanceof PaymentError && error.code === 'resource_missing') return null
      throw error
    }
  }

  async parseWebhook(rawBody: string, signature: string | undefined): Promise<PaymentEvent> {
    if (!signature) throw new PaymentError('Missing Stripe-Signature header', 'bad_signature')
    let event: Stripe.Event
    try {
      event = await this.stripe.webhooks.constructEventAsync(rawBody, signature, this.webhookSecret)
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
        throw new PaymentError(error.message, 'bad_signature')
      }
      throw error
    }
    const object = event.data.object as { object?: string; id?: string }
    const account = event.account ?? (object.object === 'account' ? (object.id ?? null) : null)
    return { id: event.id, type: eventTypes[event.type] ?? 'other', providerType: event.type, holdId: holdIdOf(event), ...(account ? { account } : {}) }
  }

  minimumCharge(currency: string): number {
    return minimumCharge(currency)
  }

  /** PaymentIntents created in the range, with their charge for the refunded amount (auto-paginated). */
  async ledger(range: { from: Date; to: Date }): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = []
    const list = this.stripe.paymentIntents.list({
      created: { gte: Math.floor(range.from.getTime() / 1000), lt: Math.ceil(range.to.getTime() / 1000) },
      limit: 100,
      expand: ['data.latest_charge.balance_transaction'],
    })
    for await (const intent of list) {
      const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null
      entries.push({
        id: intent.id,
        status: holdStatusOf(intent.status),
        amount: intent.amount,
        currency: intent.currency.toUpperCase(),
        amountCaptured: intent.amount_received,
        amountRefunded: charge?.amount_refunded ?? 0,
        booked: charge && typeof charge.balance_transaction === 'object' && charge.balance_transaction ? charge.balance_transaction.amount : null,
        createdAt: new Date(intent.created * 1000),
        sessionId: intent.metadata?.session_id ?? null,
      })
    }
    return entries
  }
}

/**
 * Refusals (declines, invalid requests, a reused idempotency key) become PaymentError: retrying will
 * not help. Connection and API errors pass through unchanged: a later retry with the same key may.
 */
async function refusals<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError) {
      const reason = error.code === 'card_declined' && error.decline_code && error.decline_code !== 'generic_decline'
        ? error.decline_code
        : (error.code ?? 'card_declined')
      throw new PaymentError(error.message, reason)
    }
    if (error instanceof Stripe.errors.StripeIdempotencyError) {
      throw new PaymentError(error.message, 'idempotency_key_reused')
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      throw new PaymentError(error.message, error.code ?? 'invalid_request')
    }
    throw error
  }
}

function toHold(intent: Stripe.PaymentIntent): Hold {
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null
  const chargeCard = charge?.payment_method_details?.card ?? null
  const method = typeof intent.payment_method === 'object' ? intent.payment_method : null
  const card = method?.card ?? chargeCard
  const captureBefore = chargeCard?.capture_before
  return {
    id: intent.id,
    status: holdStatusOf(intent.status),
    amount: intent.amount,
    currency: intent.currency.toUpperCase(),
    amountCapturable: intent.amount_capturable,
    amountCaptured: intent.amount_received,
    amountRefunded: charge?.amount_refunded ?? 0,
    card: card ? cardDetails(card) : null,
    captureBefore: captureBefore ? new Date(captureBefore * 1000) : null,
    failureMessage: intent.last_payment_error?.message ?? null,
  }
}

function cardDetails(card: { brand: string | null; last4: string | null; fingerprint?: string | null; wallet?: { type: string } | null }): CardDetails {
  return {
    brand: card.brand ?? 'unknown',
    last4: card.last4 ?? '',
    fingerprint: card.fingerprint ?? null,
    wallet: card.wallet?.type ?? null,
  }
}

function holdStatusOf(status: string): HoldStatus {
  if ((holdStatuses as readonly string[]).includes(status)) return status as HoldStatus
  throw new Error(`Unknown PaymentIntent status from Stripe: ${status}`)
}

/** The PaymentIntent an event is about: the object itself, or a charge's payment_intent. */
function holdIdOf(event: Stripe.Event): string | null {
  const object = event.data.object as { object?: string; id?: string; payment_intent?: string | { id: string } | null }
  if (object.object === 'payment_intent') return object.id ?? null
  const intent = object.payment_intent
  if (!intent) return null
  return typeof intent === 'string' ? intent : intent.id
}
