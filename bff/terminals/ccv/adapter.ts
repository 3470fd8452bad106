/**
 * CCV IM30 terminals on our chargers. The driver chooses on the terminal's screen: start (an
 * authorise for the hold; the IM30 asks for the card) or stop (a card token request, matched
 * against the running sessions — CCV's "Verify card with Tokenization"). Webhooks say which
 * transaction moved; its state is read back from CCV before anything happens. A webhook that never
 * comes is made up for by reading the transactions still pending every few seconds (poll).
 */
import type { Logger } from 'pino'
import { and, eq, gt } from 'drizzle-orm'
import type { Db } from '../../store/db'
import { paymentTerminals, terminalPayments } from '../schema'
import { wordsOf, type TerminalDesk } from '../desk'
import { CcvCloud, authorisationOf } from './client'

export class CcvTerminals {
  readonly cloud: CcvCloud

  constructor(private readonly o: { db: Db; desk: TerminalDesk; logger: Logger; baseUrl: string; apiKey: string; publicUrl: string }) {
    this.cloud = new CcvCloud(o)
    o.desk.register(this.cloud)
  }

  private timer: NodeJS.Timeout | null = null
  /** Token requests already acted on (the authorisations' rows say that for them). */
  private readonly tokensHandled = new Set<string>()

  async start(pollSeconds: number): Promise<void> {
    for (const t of await this.o.db.select().from(paymentTerminals).where(eq(paymentTerminals.provider, 'ccv'))) {
      await this.o.desk.ready(t).catch((error) => this.o.logger.warn({ err: error, terminal: t.id }, 'CCV terminal not reachable'))
    }
    if (pollSeconds > 0) this.timer = setInterval(() => void this.poll(), pollSeconds * 1000)
  }

  /**
   * Reads back every transaction still pending — the token requests of this process, and the
   * authorisations asked for in the last hour (kept as rows: a restart in between loses nothing) —
   * so one whose webhook was lost is acted on here.
   */
  async poll(): Promise<void> {
    const asked = await this.o.db
      .select({ id: terminalPayments.id, terminalId: terminalPayments.terminalId })
      .from(terminalPayments)
      .where(and(eq(terminalPayments.provider, 'ccv'), eq(terminalPayments.status, 'pending'), gt(terminalPayments.createdAt, new Date(Date.now() - 3_600_000))))
    const pending = new Map([...this.cloud.pending, ...asked.map((p) => [p.id, p.terminalId] as const)])
    for (const [reference, terminalId] of pending) {
      await this.transactionChanged(terminalId, reference).catch((error) => this.o.logger.warn({ err: error, terminal: terminalId, reference }, 'CCV transaction poll failed'))
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
  }

  /** The driver pressed "start" (at `connectorId`) on the terminal. */
  requestStart(terminalId: string, connectorId?: number): Promise<void> {
    return this.o.desk.requestStart(terminalId, connectorId)
  }

  /** The driver pressed "stop": the terminal asks for the card that started the session. */
  async requestStop(terminalId: string): Promise<void> {
    const t = await this.o.desk.terminal(terminalId)
    if (!t) return
    await this.cloud.show(terminalId, { lines: [wordsOf(t).presentStartCard] })
    await this.cloud.readCard(terminalId)
  }

  /**
   * A webhook (or the poll) for `reference` on `terminalId`: read the transaction and act on what it
   * says, one at a time per terminal, so a duplicated webhook or a poll beside it finds it handled.
   */
  transactionChanged(terminalId: string, reference: string): Promise<string> {
    return this.o.desk.serial(terminalId, () => this.handleTransaction(terminalId, reference))
  }

  private async handleTransaction(terminalId: string, reference: string): Promise<string> {
    const t = await this.o.desk.terminal(terminalId)
    if (!t || t.provider !== 'ccv') return 'unknown_terminal'
    const tx = await this.cloud.transaction(reference)
    if (tx.details?.terminalId && tx.details.terminalId !== terminalId) return 'other_terminal'
    if (tx.status === 'pending') return 'pending'
    this.cloud.pending.delete(reference)
    if (tx.type === 'token') {
      // A card read acts once: a duplicated webhook, or the poll beside it, finds it handled.
      if (this.tokensHandled.has(reference)) return 'handled'
      this.tokensHandled.add(reference)
      if (this.tokensHandled.size > 1000) this.tokensHandled.delete(this.tokensHandled.values().next().value!)
      if (tx.status !== 'success' || !tx.details?.token) {
        await this.o.desk.ready(t, { lines: [wordsOf(t).unreadable] })
        return 'unreadable'
      }
      const a = authorisationOf(tx)
      return this.o.desk.handleCard(terminalId, a.card!, { mayStart: false })
    }
    const [known] = await this.o.db.select().from(terminalPayments).where(eq(terminalPayments.id, reference))
    const connectorId = known?.connectorId ?? t.connectorIds[0]
    await this.o.desk.authorised(t, authorisationOf(tx), connectorId)
    return 'authorisation'
  }
}
