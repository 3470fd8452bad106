/**
 * Payter's Cloud Payment Service (CPS, https://cps.mypayter.com; test: cps-test.mypayter.com), as its
 * OpenAPI description and the "Electric Vehicle Charging" guide (docs.payter.com) describe it:
 * - the terminal is slaved to the cloud and reads cards once given a start command; a web hook given
 *   in the start is called once a card has been read, and the card can be polled (GET card);
 * - authorize on the read card returns a session object; sessions are committed for a final amount
 *   (≤ the authorised amount) or cancelled; stop ignores a read card; UI sets the display;
 * - Tap to Stop: the terminal keeps scanning, the controller records the cardId per session.
 * The exact path spellings, the API key header and the JSON field names were not in what we could
 * read of the spec (its paths were cut off): they are chosen here plainly and kept in this file
 * alone, so aligning them with the live spec touches nothing else. Amounts are minor units.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { TerminalRefusal, type Ask, type PaymentTerminal, type TerminalAuthorisation, type TerminalScreen } from '../port'

const card = z.object({ cardId: z.string().min(1).max(128), brand: z.string().max(40).default('card'), last4: z.string().regex(/^\d{4}$/) })
const cardState = z.object({
  state: z.enum(['IDLE', 'READING', 'CARD_READ', 'AUTHORIZING']),
  card: card.nullish(),
  /** The connector the driver picked on the terminal's screen (Apollo UI); absent on a single-connector charger. */
  selection: z.string().max(8).nullish(),
})
const session = z.object({
  sessionId: z.string().min(1).max(128),
  state: z.enum(['AUTHORIZED', 'DECLINED', 'COMMITTED', 'CANCELLED']),
  authorizedAmount: z.number().int().min(0),
  committedAmount: z.number().int().min(0).default(0),
  currency: z.string().length(3),
  card: card.nullish(),
  message: z.string().max(200).nullish(),
})

export type PayterCardState = z.infer<typeof cardState>

export interface PayterOptions {
  baseUrl: string
  apiKey: string
  /** Where CPS calls our web hook: `${publicUrl}/webhooks/payter/${serial}?token=…`. */
  publicUrl: string
  timeoutMs?: number
}

export class PayterCloud implements PaymentTerminal {
  readonly provider = 'payter' as const

  constructor(private readonly o: PayterOptions) {}

  /**
   * The token in the web hook URL we hand CPS with each start. The spec we could read says nothing
   * of signing web hooks, so the URL carries an HMAC of the serial under our API key, and the card
   * itself is then read back from CPS (GET card) rather than believed from the body.
   */
  callbackToken(serial: string): string {
    return createHmac('sha256', this.o.apiKey).update(`payter-callback:${serial}`).digest('base64url')
  }

  verifyCallback(serial: string, token: string): boolean {
    const want = Buffer.from(this.callbackToken(serial))
    const got = Buffer.from(token)
    return want.length === got.length && timingSafeEqual(want, got)
  }

  private async call(method: string, path: string, o: { query?: Record<string, string | number>; body?: unknown; key?: string } = {}): Promise<unknown> {
    const url = new URL(path, this.o.baseUrl)
    for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, String(v))
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${this.o.apiKey}`,
        accept: 'application/json',
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(o.key ? { 'idempotency-key': o.key } : {}),
      },
      body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
    })
    const text = await response.text()
    if (response.status >= 500) throw new Error(`Payter CPS ${method} ${url.pathname}: ${response.status}`)
    if (!response.ok) {
      let message = text.slice(0, 200)
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message
      } catch {
        // not JSON: keep the text
      }
      throw new TerminalRefusal(`Payter refused: ${message}`, response.status === 404 ? 'resource_missing' : 'payter_refused')
    }
    return text ? JSON.parse(text) : null
  }

  private path(serial: string, rest = '') {
    return `/terminals/${encodeURIComponent(serial)}${rest}`
  }

  async show(serial: string, screen: TerminalScreen): Promise<void> {
    await this.call('POST', this.path(serial, '/ui'), { body: { lines: screen.lines, qrCode: screen.qr ?? null } })
  }

  async readCard(serial: string): Promise<void> {
    const callbackUrl = `${this.o.publicUrl}/webhooks/payter/${encodeURIComponent(serial)}?token=${this.callbackToken(serial)}`
    await this.call('POST', this.path(serial, '/start'), { query: { callbackUrl } })
  }

  /** GET card: what the terminal read, also the way to find a card whose web hook was lost. */
  async card(serial: string): Promise<PayterCardState> {
    return cardState.parse(await this.call('GET', this.path(serial, '/card')))
  }

  /** Ignore the card just read (CPS "stop"). */
  async ignore(serial: string): Promise<void> {
    await this.call('POST', this.path(serial, '/stop'))
  }

  /** Authorises the card just read, under our reference as the idempotency key (see findAuthorisation). */
  async authorise(serial: string, o: Ask): Promise<TerminalAuthorisation> {
    return toAuthorisation(await this.call('POST', this.path(serial, '/authorize'), { query: { amount: o.amount, currency: o.currency, reference: o.reference }, key: o.reference }))
  }

  /**
   * What we could read of CPS has no look-up of a session by our reference, so the ask is repeated
   * under the same idempotency key: CPS answers with the session the first one made. Had the first
   * made none, no card is read any more (every start after a restart resets the reader), and the
   * repeat is refused: null.
   */
  async findAuthorisation(serial: string, ask: Ask): Promise<TerminalAuthorisation | null> {
    try {
      return await this.authorise(serial, ask)
    } catch (error) {
      if (error instanceof TerminalRefusal) return null
      throw error
    }
  }

  async getAuthorisation(serial: string, id: string): Promise<TerminalAuthorisation> {
    return toAuthorisation(await this.call('GET', this.path(serial, `/sessions/${encodeURIComponent(id)}`)))
  }

  async commit(serial: string, id: string, amount: number, key: string): Promise<TerminalAuthorisation> {
    return toAuthorisation(await this.call('POST', this.path(serial, `/sessions/${encodeURIComponent(id)}/commit`), { query: { commitAmount: amount }, key }))
  }

  async cancel(serial: string, id: string, key: string): Promise<TerminalAuthorisation> {
    return toAuthorisation(await this.call('POST', this.path(serial, `/sessions/${encodeURIComponent(id)}/cancel`), { key }))
  }
}

function toAuthorisation(body: unknown): TerminalAuthorisation {
  const s = session.parse(body)
  const status = ({ AUTHORIZED: 'authorized', DECLINED: 'declined', COMMITTED: 'committed', CANCELLED: 'cancelled' } as const)[s.state]
  return {
    id: s.sessionId,
    reference: null,
    status,
    amount: s.authorizedAmount,
    currency: s.currency,
    committed: s.committedAmount,
    card: s.card ? { brand: s.card.brand, last4: s.card.last4, token: s.card.cardId } : null,
    message: s.message ?? null,
  }
}
