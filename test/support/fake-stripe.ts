/**
 * A local fake of the part of Stripe's HTTP API that StripePayments uses, for driving the real
 * `stripe` package in tests: manual-capture PaymentIntents, refunds, payment methods, idempotency
 * keys, injected 5xx failures. Confirmation (what Stripe.js does in the browser) is a test control.
 * It counts what it actually executed per PaymentIntent (captures, cancels, refunds: a replayed
 * idempotency key executes nothing), can fail or hang one PaymentIntent's calls, lets a hold expire
 * as Stripe does at `capture_before`, and can send signed webhooks as Stripe does.
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
  /** A payment method for a presented card (stop by card). */
  addPaymentMethod(card: FakeCard, wallet?: string): string
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
  /** Sends signed events to this URL, as Stripe sends webhooks (retried a few times while refused). */
  sendWebhooks(url: string, secret: string): void
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
  let webhooks: { url: string; secret: string } | null = null
  const signer = new Stripe('sk_test_fake')

  /** Stripe's event for a change; delivered in the background, retried while the endpoint refuses. */
  function emit(type: string, object: Json) {
    if (!webhooks) return
    const { url, secret } = webhooks
    const payload = JSON.stringify({ id: `evt_${randomId()}`, object: 'event', type, created: now(), data: { object } })
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
    const withBalance = (c: Charge) =>
      wanted.includes('latest_charge.balance_transaction') && c.balance_transaction ? { ...c, balance_transaction: balance.get(c.balance_transaction) } : c
    return {
      ...intent,
      latest_charge:
        (wanted.includes('latest_charge') || wanted.includes('latest_charge.balance_transaction')) && charge ? withBalance(charge) : intent.latest_charge,
      payment_method:
        wanted.includes('payment_method') && intent.payment_method ? methods.get(intent.payment_method) : intent.payment_method,
    }
  }

  function intentOr404(id: string): Intent {
    const intent = intents.get(id)
    if (!intent) throw new Refusal(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such payment_intent: '${id}'` })
    return intent
  }

  function handle(method: string, path: string, params: Json): Answer {
    let match: RegExpMatchArray | null
    if (method === 'POST' && path === '/v1/payment_intents') {
      const amount = Number(params.amount)
      if (!Number.isInteger(amount) || amount < 1) throw invalid('parameter_invalid_integer', 'Invalid integer: amount')
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
      }
      intents.set(id, intent)
      return { status: 200, body: withExpansions(intent, params.expand) }
    }
    if (method === 'GET' && path === '/v1/payment_intents') {
      // Newest first, as Stripe lists; `created[gte]`/`created[lt]` filter, `starting_after` pages.
      const created = (params.created as Json | undefined) ?? {}
      const limit = Number(params.limit ?? 10)
      let all = [...intents.values()]
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
      return { status: 200, body: withExpansions(intentOr404(match[1]), params.expand) }
    }
    if (method === 'POST' && (match = path.match(/^\/v1\/payment_intents\/([^/]+)\/capture$/))) {
      const intent = intentOr404(match[1])
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
      const charge = charges.get(intent.latest_charge!)!
      const booking = `txn_${charge.id.replace(/^ch_/, '')}`
      balance.set(booking, { id: booking, object: 'balance_transaction', amount, currency: charge.currency, fee: 0, net: amount, type: 'charge', source: charge.id })
      Object.assign(charge, { amount_captured: amount, captured: true, balance_transaction: booking })
      Object.assign(intent, { status: 'succeeded', amount_received: amount, amount_capturable: 0 })
      executed(intent.id).captures.push(amount)
      emit('payment_intent.succeeded', { ...intent })
      return { status: 200, body: withExpansions(intent, params.expand) }
    }
    if (method === 'POST' && (match = path.match(/^\/v1\/payment_intents\/([^/]+)\/cancel$/))) {
      const intent = intentOr404(match[1])
      if (['canceled', 'succeeded', 'processing'].includes(intent.status)) {
        throw invalid(
          'payment_intent_unexpected_state',
          `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`,
          { payment_intent: intent },
        )
      }
      Object.assign(intent, { status: 'canceled', amount_capturable: 0 })
      executed(intent.id).cancels++
      emit('payment_intent.canceled', { ...intent })
      return { status: 200, body: withExpansions(intent, params.expand) }
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const intent = intentOr404(String(params.payment_intent))
      const charge = intent.latest_charge ? charges.get(intent.latest_charge) : undefined
      if (intent.status !== 'succeeded' || !charge) {
        throw invalid('charge_not_captured', `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`)
      }
      const left = charge.amount_captured - charge.amount_refunded
      const amount = params.amount === undefined ? left : Number(params.amount)
      if (amount > left) {
        throw invalid('amount_too_large', `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`)
      }
      charge.amount_refunded += amount
      charge.refunded = charge.amount_refunded === charge.amount_captured
      executed(intent.id).refunds.push(amount)
      emit('charge.refunded', { ...charge })
      return {
        status: 200,
        body: { id: `re_${randomId()}`, object: 'refund', amount, charge: charge.id, payment_intent: intent.id, status: 'succeeded' },
      }
    }
    if (method === 'GET' && (match = path.match(/^\/v1\/payment_methods\/([^/]+)$/))) {
      const found = methods.get(match[1])
      if (!found) throw new Refusal(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such PaymentMethod: '${match[1]}'` })
      return { status: 200, body: { ...found } }
    }
    throw new Refusal(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path})` })
  }

  /** Stripe replays a key's first answer; other parameters under the same key are refused. */
  function answer(method: string, path: string, key: string | null, params: Json): Answer {
    const request = JSON.stringify({ method, path, params })
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
      result = handle(method, path, params)
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
    if (!req.headers.authorization?.startsWith('Bearer sk_')) {
      return send({ status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } } })
    }
    const failure = failures.shift()
    if (failure) return send({ status: failure.status, body: { error: failure.error } })
    const fault = faultFor(method, url.pathname, params)
    if (fault?.kind === '5xx') return send({ status: 500, body: { error: { type: 'api_error', message: 'Something went wrong on our end.' } } })
    const drop = () => new Promise<void>((resolve) => setTimeout(() => resolve(void req.socket.destroy()), fault?.ms ?? 2000))
    if (fault?.kind === 'hang') return drop()
    const result = answer(method, url.pathname, key, params)
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

  function addPaymentMethod(card: FakeCard, wallet?: string): string {
    const id = `pm_${randomId()}`
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
      const paymentMethod = addPaymentMethod(card, wallet)
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
      emit('payment_intent.amount_capturable_updated', { ...intent })
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
      if (charge) emit('charge.expired', { ...charge })
      emit('payment_intent.canceled', { ...intent })
    },
    sendWebhooks(url, secret) {
      webhooks = { url, secret }
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
