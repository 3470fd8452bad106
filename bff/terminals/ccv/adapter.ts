/**
 * CCV IM30 terminals on our chargers. The driver chooses on the terminal's screen: start (an
 * authorise for the hold; the IM30 asks for the card) or stop (a card token request, matched
 * against the running sessions — CCV's "Verify card with Tokenization"). Webhooks say which
 * transaction moved; its state is read back from CCV before anything happens.
 */
import type { Logger } from 'pino'
import { eq } from 'drizzle-orm'
import type { Db } from '../../store/db'
import { paymentTerminals, terminalPayments } from '../schema'
import type { TerminalDesk } from '../desk'
import { CcvCloud, authorisationOf } from './client'

export class CcvTerminals {
  readonly cloud: CcvCloud
  /** Authorisations asked for and not yet answered: which connector they are for. */
  private readonly pendingStarts = new Map<string, number>()

  constructor(private readonly o: { db: Db; desk: TerminalDesk; logger: Logger; baseUrl: string; apiKey: string; publicUrl: string }) {
    this.cloud = new CcvCloud(o)
    o.desk.register(this.cloud)
  }

  async start(): Promise<void> {
    for (const t of await this.o.db.select().from(paymentTerminals).where(eq(paymentTerminals.provider, 'ccv'))) {
      await this.o.desk.ready(t).catch((error) => this.o.logger.warn({ err: error, terminal: t.id }, 'CCV terminal not reachable'))
    }
  }

  /** The driver pressed "start" (at `connectorId`) on the terminal. */
  async requestStart(terminalId: string, connectorId?: number): Promise<void> {
    const t = await this.o.desk.terminal(terminalId)
    const connector = connectorId ?? t?.connectorIds[0]
    if (connector !== undefined) this.pendingStarts.set(terminalId, connector)
    await this.o.desk.requestStart(terminalId, connectorId)
  }

  /** The driver pressed "stop": the terminal asks for the card that started the session. */
  async requestStop(terminalId: string): Promise<void> {
    const t = await this.o.desk.terminal(terminalId)
    if (!t) return
    await this.cloud.show(terminalId, { lines: ['Present the card you started with'] })
    await this.cloud.readCard(terminalId)
  }

  /** A webhook for `reference` on `terminalId`: read the transaction and act on what it says. */
  async transactionChanged(terminalId: string, reference: string): Promise<string> {
    const t = await this.o.desk.terminal(terminalId)
    if (!t || t.provider !== 'ccv') return 'unknown_terminal'
    const tx = await this.cloud.transaction(reference)
    if (tx.details?.terminalId && tx.details.terminalId !== terminalId) return 'other_terminal'
    if (tx.status === 'pending') return 'pending'
    if (tx.type === 'token') {
      if (tx.status !== 'success' || !tx.details?.token) {
        await this.o.desk.ready(t, { lines: ['The card could not be read'] })
        return 'unreadable'
      }
      const a = authorisationOf(tx)
      return this.o.desk.cardRead(terminalId, a.card!, { mayStart: false })
    }
    const [known] = await this.o.db.select().from(terminalPayments).where(eq(terminalPayments.id, reference))
    const connectorId = known?.connectorId ?? this.pendingStarts.get(terminalId) ?? t.connectorIds[0]
    this.pendingStarts.delete(terminalId)
    await this.o.desk.authorised(t, authorisationOf(tx), connectorId)
    return 'authorisation'
  }
}
