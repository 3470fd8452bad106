/**
 * A local fake of the part of Stripe's HTTP API that StripePayments uses, for driving the real
 * `stripe` package in tests: manual-capture PaymentIntents, refunds, payment methods, idempotency
 * keys, injected 5xx failures. Confirmation (what Stripe.js does in the browser) is a test control.
 * It counts what it actually executed per PaymentIntent (captures, cancels, refunds: a replayed
 * idempotency key executes nothing), can fail or hang one PaymentIntent's calls, lets a hold expire
 * as Stripe does at `capture_before`, and can send signed webhooks as Stripe does.
 *
 * Connect, from Stripe's documentation: the platform's key acts for a connected account with the
 * `Stripe-Account` header; Express accounts (`POST /v1/accounts`) and their onboarding links; a
 * destination charge (`transfer_data[destination]`) captured with `application_fee_amount` makes a
 * transfer of the captured amount to the account and an application fee back; a refund with
 * `reverse_transfer` and `refund_application_fee` reverses both in proportion; payouts listed per
 * account. Another account's own secret key (`addAccount`) sees only that account's objects, and
 * its events go to its own endpoint; Connect events reach the platform's with `account` set.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import Stripe from 'stripe'

type Json = Record<string, unknown>

export interface RecordedRequest {
  method: string
  path: string
  idempotencyKey: string | null
  params: Json
}

export interface FakeCard {
  brand: string
  last4: string
  fingerprint: string
}

interface Intent {
  id: string
  object: 'payment_intent'
  amount: number
  amount_capturable: number
  amount_received: number
  currency: string
  capture_method: string
  client_secret: string
  description: string | null
  metadata: Json
  status: string
  payment_method: string | null
  latest_charge: string | null
  last_payment_error: Json | null
  created: number
}

interface Charge {
  id: string
  object: 'charge'
  amount: number
  amount_captured: number
  amount_refunded: number
  captured: boolean
  refunded: boolean
  currency: string
  payment_intent: string
  payment_method: string
  status: 'succeeded'
  /** Set when the charge is captured: the money booked in the balance. */
  balance_transaction: string | null
  payment_method_details: {
    type: 'card'
    card: FakeCard & { capture_before: number; wallet: { type: string } | null }
  }
}

interface PaymentMethod {
  id: string
  object: 'payment_method'
  type: 'card'
  card: FakeCard & { wallet: { type: string } | null }
}

interface Account {
  id: string
  object: 'account'
  type: string
  country: string | null
  email: string | null
  business_profile: Json
  charges_enabled: boolean
  payouts_enabled: boolean
  details_submitted: boolean
  metadata: Json
  created: number
}

interface Transfer {
  id: string
  object: 'transfer'
  amount: number
  amount_reversed: number
  currency: string
  destination: string
  source_transaction: string
  reversed: boolean
  created: number
}

interface ApplicationFee {
  id: string
  object: 'application_fee'
  account: string
  amount: number
  amount_refunded: number
  charge: string
  currency: string
  refunded: boolean
  created: number
}

interface Payout {
  id: string
  object: 'payout'
  amount: number
  currency: string
  arrival_date: number
  created: number
  status: 'paid'
  automatic: boolean
  method: 'standard'
  type: 'bank_account'
}

/** One movement in an account's balance, as its balance transactions would show it. */
export interface Booking {
  account: string
  type: 'charge' | 'transfer' | 'payment' | 'application_fee' | 'refund' | 'transfer_reversal' | 'payment_refund' | 'application_fee_refund' | 'payout'
  amount: number
  source: string
}

interface Answer {
  status: number
  body: Json
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(String(body.message))
  }
}

const invalid = (code: string, message: string, extra: Json = {}) =>
  new Refusal(400, { type: 'invalid_request_error', code, message, ...extra })

/** What the fake executed for one PaymentIntent: a replayed idempotency key adds nothing here. */
export interface Executed {
  /** Amount of every capture carried out (Stripe allows one; a second would be a double charge). */
  captures: number[]
  cancels: number
  refunds: number[]
}

/**
 * A fault on one PaymentIntent's calls (`capture`, `cancel`, `refund`, `retrieve` or any), for the
 * next `count` calls: `5xx` answers 500 without acting; `hang` holds the request `ms` and drops the
 * connection without acting; `lost_answer` acts, then drops the connection after `ms` unanswered.
 */
export interface IntentFault {
  op: 'capture' | 'cancel' | 'refund' | 'retrieve' | 'any'
  kind: '5xx' | 'hang' | 'lost_answer'
  count: number
  ms?: number
}

export interface FakeStripe {
  /** Every request, in order, as it arrived (retries included). */
  requests: RecordedRequest[]
  port: number
  /** A `stripe` client pointed at this fake, with the SDK's retries on. */
  client(): Stripe
  /** As if Stripe.js confirmed the PaymentIntent with this card: the hold is placed. */
  confirm(intentId: string, options: { card: FakeCard; wallet?: string }): void
  /** As if the issuer declined the card at confirmation. */
  decline(intentId: string, message: string, declineCode?: string): void
  /** A payment method for a presented card (stop by card), on the platform or another account. */
  addPaymentMethod(card: FakeCard, wallet?: string, account?: string): string
  /** The next `count` requests fail with `status` before being handled (default: a 500 API error). */
  failNext(count: number, status?: number, error?: Json): void
  /** Captures, cancels and refunds actually carried out on this PaymentIntent. */
  executed(intentId: string): Executed
  /** Every PaymentIntent created for this session (metadata.session_id): a second one would be a second charge. */
  intentsOf(sessionId: string): string[]
  /** The PaymentIntent as the fake holds it now (status, amount_received …), without a request. */
  peek(intentId: string): { status: string; amount: number; amount_received: number; amount_capturable: number } | undefined
  /** Faults on this PaymentIntent's next calls. */
  injectFault(intentId: string, fault: IntentFault): void
  /** As Stripe at `capture_before`: the uncaptured hold is cancelled (`charge.expired`, `payment_intent.canceled`). */
  expire(intentId: string): void
  /**
   * Sends signed events to this URL, as Stripe sends webhooks (retried a few times while refused);
   * `account`: another account's own endpoint, or `connect`: the platform's Connect endpoint.
   */
  sendWebhooks(url: string, secret: string, account?: string): void
  /** The platform's own account id. */
  platformAccount: string
  /** Another Stripe account with its own secret key (an owner's own account); returns its id. */
  addAccount(secretKey: string): string
  /** As if the owner finished Stripe's onboarding: the account may take charges and get payouts (`account.updated`). */
  completeOnboarding(accountId: string): void
  /** Pays out the account's balance, as Stripe's automatic payouts do. */
  payout(accountId: string): { id: string; amount: number } | null
  /** Every movement in this account's balance so far. */
  bookings(accountId: string): Booking[]
  /** Application fees, transfers: as the platform's dashboard would list them. */
  applicationFees(): { id: string; account: string; amount: number; amount_refunded: number; charge: string }[]
  transfers(): { id: string; destination: string; amount: number; amount_reversed: number }[]
  /** Requests with this key are refused as Stripe refuses a revoked key. */
  refuseKey(secretKey: string): void
  close(): Promise<void>
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const intents = new Map<string, Intent>()
  const charges = new Map<string, Charge>()
  const balance = new Map<string, { id: string; object: 'balance_transaction'; amount: number; currency: string; fee: number; net: number; type: 'charge'; source: string }>()
  const methods = new Map<string, PaymentMethod>()
  const answered = new Map<string, { request: string; answer: Answer }>()
  const requests: RecordedRequest[] = []
  const failures: { status: number; error: Json }[] = []
  const now = () => Math.floor(Date.now() / 1000)
  const executedBy = new Map<string, Executed>()
  const executed = (id: string) => executedBy.get(id) ?? executedBy.set(id, { captures: [], cancels: 0, refunds: [] }).get(id)!
  const faults = new Map<string, IntentFault[]>()
  const platformAccount = `acct_${randomId().slice(0, 16)}`
  const accounts = new Map<string, Account>()
  /** Other accounts' own secret keys; any other `sk_` key is the platform's. */
  const keyAccounts = new Map<string, string>()
  const refusedKeys = new Set<string>()
  /** The account each PaymentIntent, charge and refund belongs to. */
  const ownerOf = new Map<string, string>()
  const transfers = new Map<string, Transfer>()
  const fees = new Map<string, ApplicationFee>()
  const payouts = new Map<string, Payout>()
  accounts.set(platformAccount, { id: platformAccount, object: 'account', type: 'standard', country: 'SE', email: null, business_profile: {}, charges_enabled: true, payouts_enabled: true, details_submitted: true, metadata: {}, created: now() })
  const ledger: Booking[] = []
  const book = (account: string, type: Booking['type'], amount: number, source: string) => ledger.push({ account, type, amount, source })
  /** Webhook endpoints by account: the platform's, and other accounts' own. */
  const webhooks = new Map<string, { url: string; secret: string }>()
  const signer = new Stripe('sk_test_fake')

  /**
   * Stripe's event for a change on `owner`'s object; delivered in the background, retried while the
   * endpoint refuses. A connected account's event goes to the platform's endpoint, with `account` set.
   */
  function emit(type: string, object: Json, owner: string = platformAccount) {
    const own = webhooks.get(owner)
    const connected = !own && owner !== platformAccount && accounts.has(owner) && !keyAccountIds().has(owner)
    const endpoint = own ?? (connected ? (webhooks.get('connect') ?? webhooks.get(platformAccount)) : undefined)
    if (!endpoint) return
    const { url, secret } = endpoint
    const payload = JSON.stringify({ id: `evt_${randomId()}`, object: 'event', type, created: now(), data: { object }, ...(connected ? { account: owner } : {}) })
    const deliver = async (attempt: number): Promise<void> => {
      const ok = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret }) },
        body: payload,
      }).then((r) => r.ok, () => false)
      if (!ok && attempt < 8) setTimeout(() => void deliver(attempt + 1), 500 * 2 ** Math.min(attempt, 4)).unref()
    }
    setTimeout(() => void deliver(0), 10).unref()
  }

  const keyAccountIds = () => new Set(keyAccounts.values())

  /** The fault, if any, that applies to this request; counts it down. */
  function faultFor(method: string, path: string, params: Json): IntentFault | null {
    const match = path.match(/^\/v1\/payment_intents\/([^/]+)(?:\/(capture|cancel))?$/)
    const intentId = match?.[1] ?? (path === '/v1/refunds' ? String(params.payment_intent) : null)
    const op = match ? (match[2] ?? (method === 'GET' ? 'retrieve' : null)) : path === '/v1/refunds' ? 'refund' : null
    const pending = intentId ? faults.get(intentId) : undefined
    const fault = pending?.find((f) => f.count > 0 && (f.op === 'any' || f.op === op))
    if (!fault) return null
    fault.count--
    return fault
  }

  function withExpansions(intent: Intent, expand: unknown): Json {
    const wanted = Array.isArray(expand) ? expand : []
    const charge = intent.latest_charge ? charges.get(intent.latest_charge) : undefined
    const withBalance = (c: Charge & { application_fee?: string | null }) => {
      const booked = wanted.includes('latest_charge.balance_transaction') && c.balance_transaction ? { ...c, balance_transaction: balance.get(c.balance_transaction) } : c
      return wanted.includes('latest_charge.application_fee') && c.application_fee ? { ...booked, application_fee: fees.get(c.application_fee) } : booked
    }
    return {
      ...intent,
      latest_charge:
        (wanted.includes('latest_charge') || wanted.includes('latest_charge.balance_transaction') || wanted.includes('latest_charge.application_fee')) && charge
          ? withBalance(charge)
          : intent.latest_charge,
      payment_method:
        wanted.includes('payment_method') && intent.payment_method ? methods.get(intent.payment_method) : intent.payment_method,
    }
  }

  /** An object of another account is not there for this one, as on Stripe. */
  function intentOr404(id: string, acting?: string): Intent {
    const intent = intents.get(id)
    if (!intent || (acting !== undefined && ownerOf.get(id) !== acting)) throw new Refusal(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such payment_intent: '${id}'` })
    return intent
  }

  function accountOr404(id: string): Account {
    const account = accounts.get(id)
    if (!account) throw new Refusal(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such account: '${id}'` })
    return account
  }

  /** Connected accounts are the platform's: only its key may create them or act for them. */
  function connectedOr404(id: string, acting: string): Account {
    if (acting !== platformAccount || id === platformAccount || keyAccountIds().has(id)) throw new Refusal(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such account: '${id}'` })
    return accountOr404(id)
  }

  function handle(method: string, path: string, params: Json, acting: string): Answer {
    let match: RegExpMatchArray | null
    if (method === 'POST' && path === '/v1/accounts') {
      if (acting !== platformAccount) throw invalid('platform_api_key_expired', 'Only a Connect platform can create connected accounts.')
      const account: Account = {
        id: `acct_${randomId().slice(0, 16)}`,
        object: 'account',
        type: String(params.type ?? 'express'),
        country: (params.country as string) ?? null,
        email: (params.email as string) ?? null,
        business_profile: (params.business_profile as Json) ?? {},
        charges_enabled: false,
        payouts_enabled: false,
        details_submitted: false,
        metadata: (params.metadata as Json) ?? {},
        created: now(),
      }
      accounts.set(account.id, account)
      return { status: 200, body: { ...account } }
    }
    if (method === 'GET' && path === '/v1/account') return { status: 200, body: { ...accountOr404(acting) } }
    if (method === 'GET' && (match = path.match(/^\/v1\/accounts\/([^/]+)$/))) return { status: 200, body: { ...connectedOr404(match[1], acting) } }
    if (method === 'POST' && path === '/v1/account_links') {
      const account = connectedOr404(String(params.account), acting)
      for (const field of ['return_url', 'refresh_url', 'type']) if (!params[field]) throw invalid('parameter_missing', `Missing required param: ${field}.`)
      return { status: 200, body: { object: 'account_link', created: now(), expires_at: now() + 300, url: `https://connect.stripe.test/setup/e/${account.id}/${randomId()}` } }
    }
    if (method === 'GET' && path === '/v1/payouts') {
      const limit = Number(params.limit ?? 10)
      const all = [...payouts.values()].filter((p) => ownerOf.get(p.id) === acting).reverse()
      return { status: 200, body: { object: 'list', url: '/v1/payouts', has_more: all.length > limit, data: all.slice(0, limit) } }
    }
    if (method === 'POST' && path === '/v1/payment_intents') {
      const amount = Number(params.amount)
      if (!Number.isInteger(amount) || amount < 1) throw invalid('parameter_invalid_integer', 'Invalid integer: amount')
      const destination = (params.transfer_data as Json | undefined)?.destination as string | undefined
      if (destination) {
        const account = connectedOr404(destination, acting)
        if (!account.charges_enabled) throw invalid('insufficient_capabilities_for_transfer', `Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments`)
      }
      const id = `pi_${randomId()}`
      const intent: Intent = {
        id,
        object: 'payment_intent',
        amount,
        amount_capturable: 0,
        amount_received: 0,
        currency: String(params.currency),
        capture_method: String(params.capture_method ?? 'automatic_async'),
        client_secret: `${id}_secret_${randomId()}`,
        description: (params.description as string) ?? null,
        metadata: (params.metadata as Json) ?? {},
        status: 'requires_payment_method',
        payment_method: null,
        latest_charge: null,
        last_payment_error: null,
        created: now(),
        ...(destination ? { transfer_data: { destination }, application_fee_amount: null } : {}),
      }
      intents.set(id, intent)
      ownerOf.set(id, acting)
      return { status: 200, body: withExpansions(intent, params.expand) }
    }
    if (method === 'GET' && path === '/v1/payment_intents') {
      // Newest first, as Stripe lists; `created[gte]`/`created[lt]` filter, `starting_after` pages.
      const created = (params.created as Json | undefined) ?? {}
      const limit = Number(params.limit ?? 10)
      let all = [...intents.values()]
        .filter((i) => ownerOf.get(i.id) === acting)
        .filter((i) => (created.gte === undefined || i.created >= Number(created.gte)) && (created.lt === undefined || i.created < Number(created.lt)))
        .reverse()
      if (params.starting_after) all = all.slice(all.findIndex((i) => i.id === params.starting_after) + 1)
      const expand = Array.isArray(params.expand) ? (params.expand as string[]).map((e) => e.replace(/^data\./, '')) : []
      return {
        status: 200,
        body: { object: 'list', url: '/v1/payment_intents', has_more: all.length > limit, data: all.slice(0, limit).map((i) => withExpansions(i, expand)) },
      }
    }
    if (method === 'GET' && (match = path.match(/^\/v1\/payment_intents\/([^/]+)$/))) {
      return { status: 200, body: withExpansions(intentOr404(match[1], acting), params.expand) }
    }
    if (method === 'POST' && (match = path.match(/^\/v1\/payment_intents\/([^/]+)\/capture$/))) {
      const intent = intentOr404(match[1], acting)
      if (intent.status !== 'requires_capture') {
        throw invalid(
          'payment_intent_unexpected_state',
          `This PaymentIntent could not be captured because it has a status of ${intent.status}.`,
          { payment_intent: intent },
        )
      }
      const amount = params.amount_to_capture === undefined ? intent.amount_capturable : Number(params.amount_to_capture)
      if (amount > intent.amount_capturable) {
        throw invalid('amount_too_large', `The amount to capture (${amount}) is greater than the amount capturable (${intent.amount_capturable}).`)
      }
      const destination = (intent as Intent & { transfer_data?: { destination: string } }).transfer_data?.destination
      const feeAmount = params.application_fee_amount === undefined ? null : Number(params.application_fee_amount)
      if (feeAmount !== null && !destination) {
        throw invalid('parameter_unknown', 'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).')
      }
      if (feeAmount !== null && (!Number.isInteger(feeAmount) || feeAmount < 0 || feeAmount > amount)) {
        throw invalid('parameter_invalid_integer', `application_fee_amount (${feeAmount}) must be a non-negative integer no more than the amount captured (${amount}).`)
      }
      const charge = charges.get(intent.latest_charge!)!
      const booking = `txn_${charge.id.replace(/^ch_/, '')}`
      balance.set(booking, { id: booking, object: 'balance_transaction', amount, currency: charge.currency, fee: 0, net: amount, type: 'charge', source: charge.id })
      Object.assign(charge, { amount_captured: amount, captured: true, balance_transaction: booking })
      Object.assign(intent, { status: 'succeeded', amount_received: amount, amount_capturable: 0 })
      const owner = ownerOf.get(intent.id)!
      book(owner, 'charge', amount, charge.id)
      if (destination) {
        // A destination charge: the whole amount goes to the account, the fee comes back to the platform.
        const transfer: Transfer = { id: `tr_${randomId()}`, object: 'transfer', amount, amount_reversed: 0, currency: charge.currency, destination, source_transaction: charge.id, reversed: false, created: now() }
        transfers.set(transfer.id, transfer)
        book(owner, 'transfer', -amount, transfer.id)
        book(destination, 'payment', amount, transfer.id)
        Object.assign(charge, { transfer: transfer.id, transfer_data: { destination, amount: null }, application_fee: null, application_fee_amount: feeAmount })
        if (feeAmount) {
          const fee: ApplicationFee = { id: `fee_${randomId()}`, object: 'application_fee', account: destination, amount: feeAmount, amount_refunded: 0, charge: charge.id, currency: charge.currency, refunded: false, created: now() }
          fees.set(fee.id, fee)
          book(destination, 'application_fee', -feeAmount, fee.id)
          book(owner, 'application_fee', feeAmount, fee.id)
          Object.assign(charge, { application_fee: fee.id })
        }
        Object.assign(intent, { application_fee_amount: feeAmount })
      }
      executed(intent.id).captures.push(amount)
      emit('payment_intent.succeeded', { ...intent }, owner)
      return { status: 200, body: withExpansions(intent, params.expand) }
    }
    if (method === 'POST' && (match = path.match(/^\/v1\/payment_intents\/([^/]+)\/cancel$/))) {
      const intent = intentOr404(match[1], acting)
      if (['canceled', 'succeeded', 'processing'].includes(intent.status)) {
        throw invalid(
          'payment_intent_unexpected_state',
          `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`,
          { payment_intent: intent },
        )
      }
      Object.assign(intent, { status: 'canceled', amount_capturable: 0 })
      executed(intent.id).cancels++
      emit('payment_intent.canceled', { ...intent }, ownerOf.get(intent.id))
      return { status: 200, body: withExpansions(intent, params.expand) }
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const intent = intentOr404(String(params.payment_intent), acting)
      const charge = intent.latest_charge ? (charges.get(intent.latest_charge) as (Charge & { transfer?: string; application_fee?: string | null }) | undefined) : undefined
      if (intent.status !== 'succeeded' || !charge) {
        throw invalid('charge_not_captured', `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`)
      }
      const left = charge.amount_captured - charge.amount_refunded
      const amount = params.amount === undefined ? left : Number(params.amount)
      if (amount > left) {
        throw invalid('amount_too_large', `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`)
      }
      const reverse = params.reverse_transfer === 'true'
      const refundFee = params.refund_application_fee === 'true'
      if ((reverse || refundFee) && !charge.transfer) {
        throw invalid('parameter_invalid_empty', 'reverse_transfer and refund_application_fee apply only to a charge with a transfer (a destination charge).')
      }
      const refundId = `re_${randomId()}`
      const owner = ownerOf.get(intent.id)!
      // In proportion, on the running totals: a full refund reverses the whole transfer and fee.
      const share = (whole: number, refundedSoFar: number) =>
        refundedSoFar >= charge.amount_captured ? whole : Math.round((whole * refundedSoFar) / charge.amount_captured)
      const before = charge.amount_refunded
      charge.amount_refunded += amount
      charge.refunded = charge.amount_refunded === charge.amount_captured
      book(owner, 'refund', -amount, refundId)
      let reversalId: string | null = null
      if (reverse) {
        const transfer = transfers.get(charge.transfer!)!
        const reversal = share(transfer.amount, charge.amount_refunded) - share(transfer.amount, before)
        transfer.amount_reversed += reversal
        transfer.reversed = transfer.amount_reversed === transfer.amount
        reversalId = `trr_${randomId()}`
        book(transfer.destination, 'payment_refund', -reversal, reversalId)
        book(owner, 'transfer_reversal', reversal, reversalId)
      }
      if (refundFee && charge.application_fee) {
        const fee = fees.get(charge.application_fee)!
        const back = share(fee.amount, charge.amount_refunded) - share(fee.amount, before)
        fee.amount_refunded += back
        fee.refunded = fee.amount_refunded === fee.amount
        book(fee.account, 'application_fee_refund', back, fee.id)
        book(owner, 'application_fee_refund', -back, fee.id)
      }
      executed(intent.id).refunds.push(amount)
      emit('charge.refunded', { ...charge }, owner)
      return {
        status: 200,
        body: { id: refundId, object: 'refund', amount, charge: charge.id, payment_intent: intent.id, status: 'succeeded', transfer_reversal: reversalId },
      }
    }
    if (method === 'GET' && (match = path.match(/^\/v1\/payment_methods\/([^/]+)$/))) {
      const found = methods.get(match[1])
      if (!found || ownerOf.get(found.id) !== acting) throw new Refusal(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such PaymentMethod: '${match[1]}'` })
      return { status: 200, body: { ...found } }
    }
    throw new Refusal(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path})` })
  }

  /** Stripe replays a key's first answer; other parameters under the same key are refused. */
  function answer(method: string, path: string, key: string | null, params: Json, acting: string): Answer {
    const request = JSON.stringify({ method, path, params, acting })
    const seen = key ? answered.get(key) : undefined
    if (seen) {
      if (seen.request === request) return seen.answer
      return {
        status: 400,
        body: {
          error: {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          },
        },
      }
    }
    let result: Answer
    try {
      result = handle(method, path, params, acting)
    } catch (error) {
      if (!(error instanceof Refusal)) throw error
      result = { status: error.status, body: { error: error.body } }
    }
    if (key && method === 'POST') answered.set(key, { request, answer: result })
    return result
  }

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const url = new URL(req.url ?? '/', 'http://fake')
    const method = req.method ?? 'GET'
    const form = method === 'GET' ? url.search.slice(1) : Buffer.concat(chunks).toString('utf8')
    const params = parseForm(form)
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null
    requests.push({ method, path: url.pathname, idempotencyKey: key, params })
    const send = ({ status, body }: Answer) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomId()}` })
      res.end(JSON.stringify(body))
    }
    const apiKey = req.headers.authorization?.replace(/^Bearer /, '') ?? ''
    if (!apiKey.startsWith('sk_') || refusedKeys.has(apiKey)) {
      return send({ status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } } })
    }
    const keyAccount = keyAccounts.get(apiKey) ?? platformAccount
    const header = req.headers['stripe-account'] as string | undefined
    if (header && (keyAccount !== platformAccount || header === platformAccount || !accounts.has(header) || keyAccountIds().has(header))) {
      return send({ status: 403, body: { error: { type: 'invalid_request_error', code: 'account_invalid', message: `The provided key does not have access to account '${header}' (or that account does not exist).` } } })
    }
    const acting = header ?? keyAccount
    const failure = failures.shift()
    if (failure) return send({ status: failure.status, body: { error: failure.error } })
    const fault = faultFor(method, url.pathname, params)
    if (fault?.kind === '5xx') return send({ status: 500, body: { error: { type: 'api_error', message: 'Something went wrong on our end.' } } })
    const drop = () => new Promise<void>((resolve) => setTimeout(() => resolve(void req.socket.destroy()), fault?.ms ?? 2000))
    if (fault?.kind === 'hang') return drop()
    const result = answer(method, url.pathname, key, params, acting)
    if (fault?.kind === 'lost_answer') return drop()
    send(result)
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: Error) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { type: 'api_error', message: error.message } }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  function addPaymentMethod(card: FakeCard, wallet?: string, account = platformAccount): string {
    const id = `pm_${randomId()}`
    ownerOf.set(id, account)
    methods.set(id, { id, object: 'payment_method', type: 'card', card: { ...card, wallet: wallet ? { type: wallet } : null } })
    return id
  }

  return {
    requests,
    port,
    client: () =>
      new Stripe('sk_test_fake', { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 2 }),
    confirm(intentId, { card, wallet }) {
      const intent = intentOr404(intentId)
      const paymentMethod = addPaymentMethod(card, wallet, ownerOf.get(intent.id))
      const id = `ch_${randomId()}`
      charges.set(id, {
        id,
        object: 'charge',
        amount: intent.amount,
        amount_captured: 0,
        amount_refunded: 0,
        captured: false,
        refunded: false,
        currency: intent.currency,
        payment_intent: intent.id,
        payment_method: paymentMethod,
        status: 'succeeded',
        balance_transaction: null,
        payment_method_details: {
          type: 'card',
          card: { ...card, capture_before: now() + 7 * 24 * 3600, wallet: wallet ? { type: wallet } : null },
        },
      })
      Object.assign(intent, {
        status: 'requires_capture',
        amount_capturable: intent.amount,
        payment_method: paymentMethod,
        latest_charge: id,
        last_payment_error: null,
      })
      ownerOf.set(id, ownerOf.get(intent.id)!)
      emit('payment_intent.amount_capturable_updated', { ...intent }, ownerOf.get(intent.id))
    },
    executed: (intentId) => structuredClone(executed(intentId)),
    intentsOf: (sessionId) => [...intents.values()].filter((i) => i.metadata.session_id === sessionId).map((i) => i.id),
    peek(intentId) {
      const intent = intents.get(intentId)
      return intent && { status: intent.status, amount: intent.amount, amount_received: intent.amount_received, amount_capturable: intent.amount_capturable }
    },
    injectFault(intentId, fault) {
      faults.set(intentId, [...(faults.get(intentId) ?? []), { ...fault }])
    },
    expire(intentId) {
      const intent = intentOr404(intentId)
      if (intent.status !== 'requires_capture') return
      Object.assign(intent, { status: 'canceled', amount_capturable: 0, cancellation_reason: 'automatic' })
      const charge = intent.latest_charge ? charges.get(intent.latest_charge) : undefined
      if (charge) emit('charge.expired', { ...charge }, ownerOf.get(intent.id))
      emit('payment_intent.canceled', { ...intent }, ownerOf.get(intent.id))
    },
    sendWebhooks(url, secret, account = platformAccount) {
      webhooks.set(account, { url, secret })
    },
    platformAccount,
    addAccount(secretKey) {
      const id = `acct_${randomId().slice(0, 16)}`
      accounts.set(id, { id, object: 'account', type: 'standard', country: 'SE', email: null, business_profile: {}, charges_enabled: true, payouts_enabled: true, details_submitted: true, metadata: {}, created: now() })
      keyAccounts.set(secretKey, id)
      return id
    },
    completeOnboarding(accountId) {
      const account = accountOr404(accountId)
      Object.assign(account, { charges_enabled: true, payouts_enabled: true, details_submitted: true })
      emit('account.updated', { ...account }, accountId)
    },
    payout(accountId) {
      const amount = ledger.filter((b) => b.account === accountId).reduce((sum, b) => sum + b.amount, 0)
      if (amount <= 0) return null
      const p: Payout = { id: `po_${randomId()}`, object: 'payout', amount, currency: 'sek', arrival_date: now() + 2 * 86_400, created: now(), status: 'paid', automatic: true, method: 'standard', type: 'bank_account' }
      payouts.set(p.id, p)
      ownerOf.set(p.id, accountId)
      book(accountId, 'payout', -amount, p.id)
      emit('payout.paid', { ...p }, accountId)
      return { id: p.id, amount }
    },
    bookings: (accountId) => ledger.filter((b) => b.account === accountId).map((b) => ({ ...b })),
    applicationFees: () => [...fees.values()].map((f) => ({ id: f.id, account: f.account, amount: f.amount, amount_refunded: f.amount_refunded, charge: f.charge })),
    transfers: () => [...transfers.values()].map((t) => ({ id: t.id, destination: t.destination, amount: t.amount, amount_reversed: t.amount_reversed })),
    refuseKey(secretKey) {
      refusedKeys.add(secretKey)
    },
    decline(intentId, message, declineCode = 'generic_decline') {
      Object.assign(intentOr404(intentId), {
        status: 'requires_payment_method',
        last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: declineCode, message },
      })
    },
    addPaymentMethod,
    failNext(count, status = 500, error = { type: 'api_error', message: 'Something went wrong on our end.' }) {
      for (let i = 0; i < count; i++) failures.push({ status, error })
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  }
}

function randomId(): string {
  return randomBytes(12).toString('hex')
}

/** Stripe's form encoding: `a[b]=c`, `list[0]=x`; numeric keys become arrays. */
export function parseForm(body: string): Json {
  const root: Json = {}
  for (const [name, value] of new URLSearchParams(body)) {
    const keys = name.split(/\[|\]\[|\]/).filter((part, i) => i === 0 || part !== '')
    let node = root
    keys.forEach((key, i) => {
      if (i === keys.length - 1) node[key] = value
      else node = (node[key] ??= {}) as Json
    })
  }
  return arraysFromIndexes(root) as Json
}

function arraysFromIndexes(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const entries = Object.entries(value as Json).map(([k, v]) => [k, arraysFromIndexes(v)] as const)
  if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v)
  }
  return Object.fromEntries(entries)
}
