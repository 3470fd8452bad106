/**
 * A local fake of CCV's Payment API for IM30 terminals, from the same documentation as the adapter
 * (bff/terminals/ccv/client.ts): authorise via a terminal (the IM30 asks for a card), card token
 * requests, transaction status, capture, reversal, webhooks that only name the transaction. It
 * shows what we display, records executed captures (the money taken) and has fault knobs, for every
 * terminal or one terminal only. A payment repeated under its Idempotency-Reference answers with the
 * payment it made. Captures are transactions of their own (type capture, with the
 * authorisation as originalReference), listed with the authorisations by GET /api/v1/transaction
 * without a reference ("read a transaction": filters type, createdAfter/Before, references,
 * originalReferences), which is what reconciliation reads.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { randomUUID } from 'node:crypto'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

export interface CcvTestCard {
  pan: string
  brand: string
  declines?: boolean
}

export const ccvTestCards: CcvTestCard[] = [
  { pan: '4111111111110001', brand: 'visa' },
  { pan: '5555444433330002', brand: 'mastercard' },
  { pan: '4000000000000003', brand: 'visa', declines: true },
]

/** CCV's card token: "99" and 16 characters, one-way from the PAN (the fake: the reversed PAN, as CCV's TEST mode does). */
const tokenOf = (pan: string) => `99${pan.split('').reverse().join('').padEnd(16, '0').slice(0, 16)}`

interface Tx {
  reference: string
  type: 'authorise' | 'token' | 'capture'
  merchantOrderReference?: string
  /** Milliseconds since the epoch, as CCV writes its timestamps. */
  created: number
  /** A capture's authorisation. */
  originalReference?: string
  status: 'pending' | 'success' | 'failed'
  amount: number
  currency: string
  terminalId: string
  webhookUrl: string
  brand: string | null
  details: { terminalId: string; maskedPan?: string; token?: string; capturedAmount?: number; reversed?: boolean }
}

export interface CcvFaults {
  /** The next n captures answer 503 without capturing. */
  captureFailsBefore?: number
  /** The next n captures capture, then answer 503 (the answer is lost). */
  captureFailsAfter: number
  /** The next n captures capture, then answer only after `hangMs` (a caller's timeout comes first). */
  captureHangs?: number
  hangMs?: number
  /** The next n reversals answer 503 without reversing. */
  reversalFailsBefore?: number
  /** The next n webhooks are not sent. */
  loseWebhooks: number
  /** The next n webhooks are sent twice. */
  duplicateWebhooks: number
}

export interface FakeCcv {
  url: string
  apiKey: string
  transactions: Map<string, Tx>
  captures: { reference: string; amount: number }[]
  reversals: string[]
  faults: CcvFaults
  /** Fault knobs of one terminal only, used before the global ones. */
  faultsFor(terminalId: string): Partial<CcvFaults>
  screen(terminalId: string): { lines: string[]; qrCode: string | null }
  /** Everything the terminal displayed, oldest first. */
  screens(terminalId: string): { lines: string[]; qrCode: string | null }[]
  /** What the terminal waits for a card for: an authorisation, a token request, or nothing. */
  waiting(terminalId: string): Tx['type'] | null
  /** Presents a card to what the terminal waits for; false when it waits for nothing. */
  tap(terminalId: string, card: CcvTestCard): Promise<boolean>
  close(): Promise<void>
}

export async function startFakeCcv(o: { apiKey?: string } = {}): Promise<FakeCcv> {
  const apiKey = o.apiKey ?? 'ccv-test-key'
  const transactions = new Map<string, Tx>()
  const waiting = new Map<string, string>()
  const screens = new Map<string, { lines: string[]; qrCode: string | null }[]>()
  const captures: FakeCcv['captures'] = []
  const reversals: string[] = []
  const done = new Map<string, unknown>()
  const faults: CcvFaults = { captureFailsAfter: 0, loseWebhooks: 0, duplicateWebhooks: 0 }
  const own = new Map<string, Partial<CcvFaults>>()
  const faultsFor = (terminalId: string) => own.get(terminalId) ?? own.set(terminalId, {}).get(terminalId)!
  /** Takes one of a fault's count: the terminal's own first, then the global one. */
  const take = (terminalId: string, name: Exclude<keyof CcvFaults, 'hangMs'>) => {
    for (const f of [faultsFor(terminalId), faults]) {
      if ((f[name] ?? 0) > 0) {
        f[name] = f[name]! - 1
        return true
      }
    }
    return false
  }
  const auth = `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`
  const view = (t: Tx) => ({
    reference: t.reference,
    type: t.type,
    ...(t.merchantOrderReference ? { merchantOrderReference: t.merchantOrderReference } : {}),
    created: t.created,
    ...(t.originalReference ? { originalReference: t.originalReference } : {}),
    status: t.status,
    amount: t.amount,
    currency: t.currency,
    brand: t.brand,
    details: t.details,
  })
  /** Payments by Idempotency-Reference: the same request again answers with the payment it made. */
  const made = new Map<string, Tx>()
  const create = async (c: { req: { json(): Promise<unknown>; header(name: string): string | undefined } }, type: Tx['type']) => {
    const key = c.req.header('idempotency-reference')
    const again = key ? made.get(key) : undefined
    if (again) return view(again)
    const body = (await c.req.json()) as { amount?: number; currency?: string; merchantOrderReference?: string; webhookUrl: string; details: { terminalId: string } }
    const t: Tx = {
      reference: `${type === 'token' ? 'TK' : 'TL'}${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      type,
      created: Date.now(),
      status: 'pending',
      amount: body.amount ?? 0,
      currency: body.currency ?? 'eur',
      terminalId: body.details.terminalId,
      webhookUrl: body.webhookUrl,
      brand: null,
      details: { terminalId: body.details.terminalId },
    }
    if (body.merchantOrderReference) t.merchantOrderReference = body.merchantOrderReference
    transactions.set(t.reference, t)
    if (key) made.set(key, t)
    waiting.set(t.terminalId, t.reference)
    return view(t)
  }
  const app = new Hono()
    .use('*', async (c, next) => (c.req.header('authorization') === auth ? next() : c.json({ message: 'unauthorized' }, 401)))
    .post('/api/v1/payment', async (c) => c.json(await create(c, 'authorise')))
    .post('/api/v1/token', async (c) => c.json(await create(c, 'token')))
    .get('/api/v1/transaction', (c) => {
      const reference = c.req.query('reference')
      if (reference === undefined) {
        const q = c.req.query()
        const list = (name: string) => (q[name] ? q[name].split(',') : null)
        const [references, originals] = [list('references'), list('originalReferences')]
        const found = [...transactions.values()].filter(
          (t) =>
            (!q.type || t.type === q.type) &&
            (!q.createdAfter || t.created > Number(q.createdAfter)) &&
            (!q.createdBefore || t.created < Number(q.createdBefore)) &&
            (!references || references.includes(t.reference)) &&
            (!originals || (t.originalReference !== undefined && originals.includes(t.originalReference))),
        )
        return c.json(found.map(view))
      }
      const t = transactions.get(reference)
      return t ? c.json(view(t)) : c.json({ message: 'not found' }, 404)
    })
    .post('/api/v1/capture', async (c) => {
      const key = c.req.header('idempotency-reference')
      if (key && done.has(key)) return c.json(done.get(key))
      const body = (await c.req.json()) as { reference: string; amount: number }
      const t = transactions.get(body.reference)
      if (t && take(t.terminalId, 'captureFailsBefore')) return c.json({ message: 'unavailable' }, 503)
      if (!t || t.type !== 'authorise' || t.status !== 'success' || t.details.capturedAmount !== undefined || t.details.reversed) return c.json({ message: 'not capturable' }, 409)
      if (body.amount > t.amount) return c.json({ message: 'above the authorised amount' }, 400)
      t.details.capturedAmount = body.amount
      captures.push({ reference: t.reference, amount: Math.round(body.amount * 100) })
      const capture: Tx = {
        reference: `TC${randomUUID().replace(/-/g, '').slice(0, 20)}`,
        type: 'capture',
        created: Date.now(),
        originalReference: t.reference,
        status: 'success',
        amount: body.amount,
        currency: t.currency,
        terminalId: t.terminalId,
        webhookUrl: '',
        brand: t.brand,
        details: { terminalId: t.terminalId },
      }
      transactions.set(capture.reference, capture)
      const answer = view(capture)
      if (key) done.set(key, answer)
      if (take(t.terminalId, 'captureFailsAfter')) return c.json({ message: 'unavailable' }, 503)
      if (take(t.terminalId, 'captureHangs')) await new Promise((r) => setTimeout(r, faultsFor(t.terminalId).hangMs ?? faults.hangMs ?? 20_000))
      return c.json(answer)
    })
    .post('/api/v1/reversal', async (c) => {
      const body = (await c.req.json()) as { reference: string }
      const t = transactions.get(body.reference)
      if (t && take(t.terminalId, 'reversalFailsBefore')) return c.json({ message: 'unavailable' }, 503)
      if (!t || t.details.capturedAmount !== undefined) return c.json({ message: 'not reversible' }, 409)
      if (!t.details.reversed && t.status === 'success') reversals.push(t.reference)
      t.details.reversed = true
      return c.json({ type: 'reversal', reference: randomUUID(), originalReference: t.reference, status: 'success' })
    })
    .post('/api/v1/terminal/:id/display', async (c) => {
      const body = (await c.req.json()) as { lines: string[]; qrCode: string | null }
      const shown = screens.get(c.req.param('id')) ?? screens.set(c.req.param('id'), []).get(c.req.param('id'))!
      shown.push({ lines: body.lines, qrCode: body.qrCode })
      if (shown.length > 100) shown.shift()
      return c.json({ ok: true })
    })
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server
  })
  const webhook = async (t: Tx) => {
    if (take(t.terminalId, 'loseWebhooks')) return
    const times = take(t.terminalId, 'duplicateWebhooks') ? 2 : 1
    const send = () => fetch(t.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reference: t.reference }) }).then((r) => r.text(), () => undefined)
    for (let i = 0; i < times; i++) await send()
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey,
    transactions,
    captures,
    reversals,
    faults,
    faultsFor,
    screen: (id) => screens.get(id)?.at(-1) ?? { lines: [], qrCode: null },
    screens: (id) => screens.get(id) ?? [],
    waiting: (id) => {
      const reference = waiting.get(id)
      return reference ? transactions.get(reference)!.type : null
    },
    async tap(terminalId, card) {
      const reference = waiting.get(terminalId)
      if (!reference) return false
      waiting.delete(terminalId)
      const t = transactions.get(reference)!
      t.brand = card.brand
      t.status = t.type === 'authorise' && card.declines ? 'failed' : 'success'
      Object.assign(t.details, { maskedPan: `${card.pan.slice(0, 4)}XXXXXXXX${card.pan.slice(-4)}`, token: tokenOf(card.pan) })
      await webhook(t)
      return true
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.()
      server.close(() => resolve())
    }),
  }
}
