/**
 * CCV's Payment API for the unattended IM30 (developer.myccv.eu, "EV Charging"; API reference:
 * payment, transaction, capture, reversal, token), https://api.psp.ccv.eu:
 * - HTTP Basic with the API key as user name and no password;
 * - POST /api/v1/payment {transactionType: "authorise", method: "terminal", details.terminalId,
 *   amount in major units, currency in lower case, webhookUrl} reserves the hold; the terminal asks
 *   for the card and the payment goes pending -> success | failed (| manualintervention);
 * - the webhook only says "look again": the status is read with GET /api/v1/transaction?reference=;
 * - POST /api/v1/token asks the terminal for a card token ("99" + 16 characters) — what tells on
 *   stop that the person stopping started the session; POST /api/v1/capture {reference, amount}
 *   captures, POST /api/v1/reversal {reference} releases.
 * Silent in what we read, chosen plainly and kept in this file: the token's field (details.token),
 * how an authorisation shows its capture or reversal (details.capturedAmount, details.reversed), the
 * idempotency header (Idempotency-Reference), and a display call: the IM30 runs the integrator's
 * app, whose screen we drive with POST /api/v1/terminal/{id}/display.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { TerminalRefusal, type Ask, type PaymentTerminal, type TerminalAuthorisation, type TerminalScreen } from '../port'

const transaction = z.object({
  reference: z.string().min(1).max(128),
  type: z.string().max(40),
  /** Ours: the reference of the ask. */
  merchantOrderReference: z.string().max(128).nullish(),
  /** Milliseconds since the epoch. */
  created: z.number().nullish(),
  /** A capture's, refund's or reversal's payment. */
  originalReference: z.string().max(128).nullish(),
  status: z.enum(['pending', 'success', 'failed', 'manualintervention']),
  amount: z.number().min(0).optional(),
  currency: z.string().max(3).optional(),
  brand: z.string().max(40).nullish(),
  details: z
    .object({
      maskedPan: z.string().max(32).nullish(),
      token: z.string().max(64).nullish(),
      capturedAmount: z.number().min(0).nullish(),
      reversed: z.boolean().nullish(),
      terminalId: z.string().max(64).nullish(),
    })
    .passthrough()
    .nullish(),
  failureCode: z.string().max(80).nullish(),
})
export type CcvTransaction = z.infer<typeof transaction>

/** CCV writes amounts in major units (9.99); we keep minor units. */
export const toMinor = (amount: number) => Math.round(amount * 100)
const toMajor = (minor: number) => minor / 100

export class CcvCloud implements PaymentTerminal {
  readonly provider = 'ccv' as const

  constructor(private readonly o: { baseUrl: string; apiKey: string; publicUrl: string; timeoutMs?: number }) {}

  webhookToken(terminalId: string): string {
    return createHmac('sha256', this.o.apiKey).update(`ccv-webhook:${terminalId}`).digest('base64url')
  }

  verifyWebhook(terminalId: string, token: string): boolean {
    const want = Buffer.from(this.webhookToken(terminalId))
    const got = Buffer.from(token)
    return want.length === got.length && timingSafeEqual(want, got)
  }

  private webhookUrl(terminalId: string) {
    return `${this.o.publicUrl}/webhooks/ccv/${encodeURIComponent(terminalId)}?token=${this.webhookToken(terminalId)}`
  }

  private async call(method: string, path: string, body?: unknown, key?: string): Promise<unknown> {
    const response = await fetch(new URL(path, this.o.baseUrl), {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${this.o.apiKey}:`).toString('base64')}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(key ? { 'idempotency-reference': key } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
    })
    const text = await response.text()
    if (response.status >= 500) throw new Error(`CCV ${method} ${path}: ${response.status}`)
    if (!response.ok) throw new TerminalRefusal(`CCV refused: ${text.slice(0, 200)}`, response.status === 404 ? 'resource_missing' : 'ccv_refused')
    return text ? JSON.parse(text) : null
  }

  async show(terminalId: string, screen: TerminalScreen): Promise<void> {
    await this.call('POST', `/api/v1/terminal/${encodeURIComponent(terminalId)}/display`, { lines: screen.lines, qrCode: screen.qr ?? null })
  }

  /** A card token request: the card presented to stop is compared with the one that started. */
  async readCard(terminalId: string): Promise<void> {
    this.waitFor(terminalId, await this.call('POST', '/api/v1/token', { method: 'terminal', webhookUrl: this.webhookUrl(terminalId), details: { terminalId, operatingEnvironment: 'UNATTENDED' } }))
  }

  async transaction(reference: string): Promise<CcvTransaction> {
    return transaction.parse(await this.call('GET', `/api/v1/transaction?reference=${encodeURIComponent(reference)}`))
  }

  /**
   * Authorisations and token requests the terminal still waits on (reference → terminal): their
   * webhook may never come, so the adapter reads them back now and then (CCV: "check the status").
   */
  readonly pending = new Map<string, string>()

  private waitFor(terminalId: string, body: unknown): CcvTransaction {
    const tx = transaction.parse(body)
    if (tx.status === 'pending') this.pending.set(tx.reference, terminalId)
    return tx
  }

  /**
   * GET /api/v1/transaction without a reference: the transactions matching the filters (type,
   * createdAfter/createdBefore in ms, originalReferences …). CCV's reference lists the filters; the
   * answer is read as a JSON array of transactions, each as GET ?reference= gives it.
   */
  async transactions(filters: { type: 'authorise' | 'capture'; createdAfter?: Date; createdBefore?: Date; originalReferences?: string[] }): Promise<CcvTransaction[]> {
    const q = new URLSearchParams({ type: filters.type })
    if (filters.createdAfter) q.set('createdAfter', String(filters.createdAfter.getTime() - 1))
    if (filters.createdBefore) q.set('createdBefore', String(filters.createdBefore.getTime()))
    if (filters.originalReferences) q.set('originalReferences', filters.originalReferences.join(','))
    return z.array(transaction).parse(await this.call('GET', `/api/v1/transaction?${q}`))
  }

  /** Our reference is the merchantOrderReference and the Idempotency-Reference (≤ 50 characters). */
  async authorise(terminalId: string, o: Ask): Promise<TerminalAuthorisation> {
    const answer = await this.call('POST', '/api/v1/payment', {
      transactionType: 'authorise',
      method: 'terminal',
      amount: toMajor(o.amount),
      currency: o.currency.toLowerCase(),
      merchantOrderReference: o.reference,
      description: 'EV charging hold',
      webhookUrl: this.webhookUrl(terminalId),
      details: { terminalId, operatingEnvironment: 'UNATTENDED' },
    }, o.reference)
    return authorisationOf(this.waitFor(terminalId, answer))
  }

  /** The terminal's authorisations made around the ask, matched by our merchantOrderReference. */
  async findAuthorisation(terminalId: string, ask: Ask & { askedAt: Date }): Promise<TerminalAuthorisation | null> {
    const around = 5 * 60_000
    const made = await this.transactions({ type: 'authorise', createdAfter: new Date(ask.askedAt.getTime() - around), createdBefore: new Date(ask.askedAt.getTime() + around) })
    const tx = made.find((t) => t.merchantOrderReference === ask.reference && (!t.details?.terminalId || t.details.terminalId === terminalId))
    return tx ? authorisationOf(tx) : null
  }

  async getAuthorisation(_terminalId: string, id: string): Promise<TerminalAuthorisation> {
    return authorisationOf(await this.transaction(id))
  }

  async commit(terminalId: string, id: string, amount: number, key: string): Promise<TerminalAuthorisation> {
    await this.call('POST', '/api/v1/capture', { reference: id, amount: toMajor(amount) }, key)
    return this.getAuthorisation(terminalId, id)
  }

  async cancel(terminalId: string, id: string, key: string): Promise<TerminalAuthorisation> {
    await this.call('POST', '/api/v1/reversal', { reference: id }, key)
    return this.getAuthorisation(terminalId, id)
  }
}

export function authorisationOf(t: CcvTransaction): TerminalAuthorisation {
  const captured = t.details?.capturedAmount != null ? toMinor(t.details.capturedAmount) : null
  const status: TerminalAuthorisation['status'] =
    t.status === 'pending' ? 'pending' : t.status !== 'success' ? 'declined' : captured !== null ? 'committed' : t.details?.reversed ? 'cancelled' : 'authorized'
  const last4 = t.details?.maskedPan?.slice(-4) ?? '0000'
  return {
    id: t.reference,
    reference: t.merchantOrderReference ?? null,
    status,
    amount: toMinor(t.amount ?? 0),
    currency: (t.currency ?? 'eur').toUpperCase(),
    committed: captured ?? 0,
    card: t.details?.token ? { brand: t.brand ?? 'card', last4, token: t.details.token } : null,
    message: t.failureCode ?? null,
  }
}
