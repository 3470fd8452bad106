/**
 * Payter terminals on our chargers: CPS (client.ts) behind the terminal desk. A card read reaches
 * us by web hook or, when a web hook is lost, by polling GET card ("the card method can also be
 * polled"); either way the card is read back from CPS before anything happens.
 */
import { eq } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../../store/db'
import { paymentTerminals } from '../schema'
import type { TerminalDesk } from '../desk'
import { PayterCloud, type PayterOptions } from './client'

export class PayterTerminals {
  readonly cloud: PayterCloud
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly o: { db: Db; desk: TerminalDesk; logger: Logger } & PayterOptions,
  ) {
    this.cloud = new PayterCloud(o)
    o.desk.register(this.cloud)
  }

  /** A card was read on `serial` (web hook or poll): tap to stop, or authorise and start. */
  async cardReadCallback(serial: string): Promise<'stopped' | 'refused' | 'authorising' | 'nothing_read' | 'unknown_terminal'> {
    const terminal = await this.o.desk.terminal(serial)
    if (!terminal || terminal.provider !== 'payter') return 'unknown_terminal'
    // Reading the card back and acting on it is one step per terminal: a duplicated web hook finds the read handled.
    return this.o.desk.serial(serial, async () => {
      const read = await this.cloud.card(serial)
      if (read.state !== 'CARD_READ' || !read.card) return 'nothing_read' as const
      const picked = read.selection ? Number(read.selection) : undefined
      return this.o.desk.handleCard(serial, { brand: read.card.brand, last4: read.card.last4, token: read.card.cardId }, {
        mayStart: true,
        connectorId: Number.isInteger(picked) ? picked : undefined,
      })
    })
  }

  /** Every terminal shows the price and scans for cards ("the terminal is always scanning"). */
  async start(pollSeconds: number): Promise<void> {
    for (const t of await this.terminals()) {
      await this.o.desk.ready(t).catch((error) => this.o.logger.warn({ err: error, terminal: t.id }, 'Payter terminal not reachable; polled again later'))
    }
    if (pollSeconds > 0) this.timer = setInterval(() => void this.poll(), pollSeconds * 1000)
  }

  /** Picks up card reads whose web hook never came. */
  async poll(): Promise<void> {
    for (const t of await this.terminals()) {
      await this.cardReadCallback(t.id).catch((error) => this.o.logger.warn({ err: error, terminal: t.id }, 'Payter card poll failed'))
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
  }

  private terminals() {
    return this.o.db.select().from(paymentTerminals).where(eq(paymentTerminals.provider, 'payter'))
  }
}
