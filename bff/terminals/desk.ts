/**
 * What happens at a payment terminal on a charger, whichever provider runs it (see port.ts): the
 * idle screen with the price, a card read (tap to stop, or authorise and start), the cancel of a
 * hold that cannot be used, the receipt QR code after the session completes, and the hold kept for
 * settlement (HoldKeeper) with commit and cancel carried out once per idempotency key.
 */
import { randomUUID } from 'node:crypto'
import { and, eq, inArray, isNull, lt } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../store/db'
import { chargers, sessions, tariffs } from '../store/schema'
import { paymentTerminals, terminalAsks, terminalMoneyCalls, terminalPayments } from './schema'
import { AppError } from '../errors'
import type { Hold, HoldKeeper } from '../payments/provider'
import { PaymentError } from '../payments/provider'
import { minimumCharge } from '../payments/minimums'
import type { Sessions } from '../sessions/service'
import type { LiveBus } from '../live'
import type { Tariff } from '../domain/tariff'
import { TerminalRefusal, type PaymentTerminal, type TerminalAuthorisation, type TerminalCard, type TerminalScreen } from './port'
import { isTerminalLanguage, terminalWords, type TerminalWords } from './texts'
import { Signer } from '../http/signing'
import { receiptPageLink } from '../receipts/document'
import type { Leases } from '../cluster/leases'

export type TerminalRow = typeof paymentTerminals.$inferSelect
type Provider = PaymentTerminal['provider']

const live = ['starting', 'charging', 'stopping', 'settling'] as const

/** The terminal's words: its configured language (texts.ts). */
export const wordsOf = (t: TerminalRow): TerminalWords => terminalWords(isTerminalLanguage(t.language) ? t.language : 'sv')

/** The price lines in AFIR order (energy, time, session, idle fee), then the hold. Components priced 0 are left out. */
export function priceLines(w: TerminalWords, tariff: Tariff, holdAmount: number): string[] {
  const lines: string[] = []
  const price = (minor: number) => w.price(minor, tariff.currency)
  for (const c of tariff.components) {
    if (c.price === 0) continue
    if (c.type === 'energy') lines.push(w.perKwh(price(c.price)))
    if (c.type === 'time') lines.push(w.perMinute(price(c.price)))
    if (c.type === 'session') lines.push(w.perSession(price(c.price)))
    if (c.type === 'idle') lines.push(w.idleFee(price(c.price), c.graceMinutes))
  }
  lines.push(w.hold(price(holdAmount)))
  return lines
}

export interface TerminalDeskOptions {
  db: Db
  sessions: Sessions
  live: LiveBus
  logger: Logger
  /** The PWA's base URL: the receipt QR code opens /r/:number?t=… there. */
  publicUrl: string
  /** A terminal's card reads are handled by one process at a time, whichever its callbacks reach. */
  leases: Leases
}

/** How long a card read may take (authorise, start) before another process may handle the terminal. */
const terminalLeaseMs = 60_000
/** How long a callback waits for the terminal's other process to finish, before it is answered "busy" (and resent). */
const terminalWaitMs = 20_000

export class TerminalDesk {
  private readonly ports = new Map<Provider, PaymentTerminal>()
  private readonly watching = new Map<string, () => void>()
  /** One card read at a time per terminal: a duplicated callback waits for the first. */
  private readonly queues = new Map<string, Promise<unknown>>()

  private readonly signer: Signer

  constructor(private readonly o: TerminalDeskOptions) {
    this.signer = new Signer(o.db)
  }

  register(port: PaymentTerminal): void {
    this.ports.set(port.provider, port)
  }

  port(provider: Provider): PaymentTerminal {
    const port = this.ports.get(provider)
    if (!port) throw new Error(`no ${provider} terminal service is configured`)
    return port
  }

  async terminal(id: string): Promise<TerminalRow | null> {
    const [row] = await this.o.db.select().from(paymentTerminals).where(eq(paymentTerminals.id, id))
    return row ?? null
  }

  /** Watches again the sessions started before a restart, so their receipt still reaches the terminal. */
  async resume(): Promise<void> {
    const open = await this.o.db.select().from(terminalPayments).where(eq(terminalPayments.status, 'started'))
    for (const p of open) if (p.sessionId && !p.receiptShownAt) this.watch(p.sessionId)
  }

  close(): void {
    for (const stop of this.watching.values()) stop()
    this.watching.clear()
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    this.sweepTimer = null
  }

  /**
   * Runs `job` after the terminal's earlier jobs, in this process and in any other (the terminal's
   * lease): reading a card back and acting on it is one step, wherever a duplicated callback lands.
   */
  serial<T>(terminalId: string, job: () => Promise<T>): Promise<T> {
    const next = (this.queues.get(terminalId) ?? Promise.resolve()).catch(() => undefined).then(() => this.leased(terminalId, job))
    this.queues.set(terminalId, next)
    return next
  }

  private async leased<T>(terminalId: string, job: () => Promise<T>): Promise<T> {
    const name = `terminal:${terminalId}`
    const giveUpAt = Date.now() + terminalWaitMs
    while (!(await this.o.leases.take(name, terminalLeaseMs))) {
      if (Date.now() > giveUpAt) throw new Error(`terminal ${terminalId} is busy in another process`)
      await new Promise((r) => setTimeout(r, 100))
    }
    this.busy.add(terminalId)
    try {
      return await job()
    } finally {
      this.busy.delete(terminalId)
      await this.o.leases.give(name).catch(() => {})
    }
  }

  /** Terminals whose card read this process is handling now (their lease is ours). */
  private readonly busy = new Set<string>()

  /**
   * Whether no process is handling a card read at the terminal (an authorisation is only ever being
   * started inside one): its lease is free, or lapsed with a process that died.
   */
  private async idle(terminalId: string): Promise<boolean> {
    if (this.busy.has(terminalId)) return false
    const name = `terminal:${terminalId}`
    if (!(await this.o.leases.take(name, terminalLeaseMs))) return false
    await this.o.leases.give(name)
    return true
  }

  private async place(t: TerminalRow) {
    const [place] = await this.o.db
      .select({ tariff: tariffs })
      .from(chargers)
      .innerJoin(tariffs, eq(tariffs.id, chargers.tariffId))
      .where(eq(chargers.id, t.chargerId))
    const tariff: Tariff = { currency: place.tariff.currency, vatRateBp: place.tariff.vatRateBp, components: place.tariff.components }
    return { tariff, holdAmount: place.tariff.holdAmount }
  }

  /** The idle screen: price in AFIR order and the hold, shown before any tap. */
  async idleScreen(t: TerminalRow): Promise<TerminalScreen> {
    const { tariff, holdAmount } = await this.place(t)
    const w = wordsOf(t)
    const pick = t.connectorIds.length > 1 ? [w.pickConnector(t.connectorIds.join(', '))] : [w.tapToStart]
    return { lines: [`${t.chargerId}`, ...priceLines(w, tariff, holdAmount), ...pick] }
  }

  /** Idle: show the price and wait for the next card (Payter: "the terminal is always scanning"). */
  async ready(t: TerminalRow, before?: TerminalScreen): Promise<void> {
    const port = this.port(t.provider)
    const idle = await this.idleScreen(t)
    await port.show(t.id, before ? { lines: [...before.lines, '', ...idle.lines], qr: before.qr } : idle)
    if (t.provider === 'payter') await port.readCard(t.id)
  }

  private async runningOn(t: TerminalRow, connectorId: number) {
    const [s] = await this.o.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.chargerId, t.chargerId), eq(sessions.connectorId, connectorId), inArray(sessions.state, [...live])))
    return s ?? null
  }

  /**
   * A card was read. Its token matching a running session on the charger stops that session (tap
   * to stop). Otherwise, with `mayStart`, a free connector gets a hold authorised; without a free
   * connector (or when only a stop was asked for) the terminal says the card started nothing here.
   */
  cardRead(terminalId: string, card: TerminalCard, o: { connectorId?: number; mayStart: boolean }): Promise<'stopped' | 'refused' | 'authorising'> {
    return this.serial(terminalId, () => this.handleCard(terminalId, card, o))
  }

  /** cardRead inside the terminal's serial section (see serial). */
  async handleCard(terminalId: string, card: TerminalCard, o: { connectorId?: number; mayStart: boolean }): Promise<'stopped' | 'refused' | 'authorising'> {
    {
      const t = await this.terminal(terminalId)
      if (!t) throw new AppError(404, 'terminal_not_found', 'No such terminal.')
      const port = this.port(t.provider)
      const w = wordsOf(t)
      const stopped = await this.o.sessions.stopByCardToken(t.chargerId, card.token)
      if (stopped) {
        await port.show(t.id, { lines: [w.stopping, w.receiptFollows] })
        if (t.provider === 'payter') await port.readCard(t.id)
        return 'stopped'
      }
      const connectorId = o.mayStart ? await this.freeConnector(t, o.connectorId) : null
      if (connectorId === null) {
        await this.ready(t, { lines: [w.wrongCard, w.nothingCharged] })
        return 'refused'
      }
      const { tariff, holdAmount } = await this.place(t)
      await port.show(t.id, { lines: [w.authorising(w.price(holdAmount, tariff.currency))] })
      let authorisation: TerminalAuthorisation
      try {
        authorisation = await this.ask(t, connectorId, holdAmount, tariff.currency)
      } catch (error) {
        if (!(error instanceof TerminalRefusal)) throw error
        await this.ready(t, { lines: [w.notAuthorised, error.message] })
        return 'refused'
      }
      await this.authorised(t, authorisation, connectorId)
      return 'authorising'
    }
  }

  /** CCV: the driver asked on the terminal to start at a connector; the IM30 asks for the card and answers by webhook. */
  async requestStart(terminalId: string, connectorId?: number): Promise<void> {
    const t = await this.terminal(terminalId)
    if (!t) throw new AppError(404, 'terminal_not_found', 'No such terminal.')
    const free = await this.freeConnector(t, connectorId)
    if (free === null) throw new AppError(409, 'connector_busy', 'Someone is already charging at this connector.')
    const { tariff, holdAmount } = await this.place(t)
    const port = this.port(t.provider)
    const w = wordsOf(t)
    await port.show(t.id, { lines: [...priceLines(w, tariff, holdAmount), w.presentCard] })
    const asked = await this.ask(t, free, holdAmount, tariff.currency)
    if (asked.status === 'pending') await this.awaitAnswer(t, asked, free)
    else await this.authorised(t, asked, free)
  }

  /**
   * Asks the provider to authorise a hold at `connectorId`, the ask written first (terminal_asks):
   * whatever happens once it is sent (a lost answer, a crash), the sweep finds what it made.
   */
  private async ask(t: TerminalRow, connectorId: number, amount: number, currency: string): Promise<TerminalAuthorisation> {
    const ask = { reference: randomUUID(), amount, currency }
    await this.o.db.insert(terminalAsks).values({ ...ask, terminalId: t.id, provider: t.provider, connectorId })
    try {
      return { ...(await this.port(t.provider).authorise(t.id, ask)), reference: ask.reference }
    } catch (error) {
      // Refused: nothing is held. Anything else (a timeout, a 5xx) may have made a hold: the ask stays for the sweep.
      if (error instanceof TerminalRefusal) await this.answered(ask.reference)
      throw error
    }
  }

  /** The answer to an ask is recorded in terminal_payments (or it made nothing): the ask is done. */
  private async answered(reference: string | null): Promise<void> {
    if (reference) await this.o.db.delete(terminalAsks).where(eq(terminalAsks.reference, reference))
  }

  /** CCV: the IM30 waits for the card, the answer comes later (webhook or poll), maybe after a restart: the row keeps what was asked, and for which connector. */
  private async awaitAnswer(t: TerminalRow, a: TerminalAuthorisation, connectorId: number): Promise<void> {
    await this.o.db
      .insert(terminalPayments)
      .values({ id: a.id, terminalId: t.id, provider: t.provider, connectorId, amount: a.amount, currency: a.currency, status: 'pending' })
      .onConflictDoNothing()
    await this.answered(a.reference)
  }

  /** The connector a new session gets: the driver's pick, or the only (first) free one. */
  private async freeConnector(t: TerminalRow, picked?: number): Promise<number | null> {
    const candidates = picked !== undefined ? t.connectorIds.filter((c) => c === picked) : t.connectorIds
    for (const c of candidates) if (!(await this.runningOn(t, c))) return c
    return null
  }

  /** The hold is authorised (or was declined): start the session, or cancel the hold and say why. */
  async authorised(t: TerminalRow, a: TerminalAuthorisation, connectorId: number): Promise<void> {
    const port = this.port(t.provider)
    const w = wordsOf(t)
    const [known] = await this.o.db.select().from(terminalPayments).where(eq(terminalPayments.id, a.id))
    // The ask is done once its payment has a row, or nothing is held.
    const nothingHeld = a.status === 'declined' || a.status === 'cancelled'
    if (known || nothingHeld) await this.answered(a.reference)
    if (nothingHeld) {
      if (known && known.status !== 'pending') return // a duplicated callback: handled already
      if (known) await this.o.db.update(terminalPayments).set({ status: 'cancelled', refusal: 'declined' }).where(eq(terminalPayments.id, a.id))
      await this.ready(t, { lines: [w.declined, ...(a.message ? [a.message] : []), w.nothingCharged] })
      return
    }
    if (a.status !== 'authorized' || !a.card) return
    if (known && known.status !== 'authorized' && known.status !== 'pending') return // a duplicated callback: handled already
    // Before the row can be seen as authorised: the sweep never takes a start in progress here for abandoned.
    this.starting.add(a.id)
    if (known?.status === 'pending') {
      await this.o.db
        .update(terminalPayments)
        .set({ status: 'authorized', amount: a.amount, currency: a.currency, cardBrand: a.card.brand, cardLast4: a.card.last4 })
        .where(and(eq(terminalPayments.id, a.id), eq(terminalPayments.status, 'pending')))
    } else if (!known) {
      await this.o.db
        .insert(terminalPayments)
        .values({ id: a.id, terminalId: t.id, provider: t.provider, connectorId, amount: a.amount, currency: a.currency, status: 'authorized', cardBrand: a.card.brand, cardLast4: a.card.last4 })
        .onConflictDoNothing()
      await this.answered(a.reference)
    }
    try {
      const started = await this.o.sessions.startFromTerminal({
        chargerId: t.chargerId,
        connectorId,
        provider: t.provider,
        paymentId: a.id,
        holdAmount: a.amount,
        card: a.card,
      })
      if (started.session.state === 'failed' || started.session.state === 'cancelled') {
        // Failed inside the start (the charger went away): the session's release intent cancels the hold.
        await this.o.db.update(terminalPayments).set({ status: 'refused', sessionId: started.session.id, refusal: started.session.failureReason }).where(eq(terminalPayments.id, a.id))
        await this.ready(t, { lines: [w.couldNotStart, w.notCharged] })
        return
      }
      await this.o.db
        .update(terminalPayments)
        .set({ status: 'started', sessionId: started.session.id, ...(started.receiptToken ? { receiptToken: started.receiptToken } : {}) })
        .where(eq(terminalPayments.id, a.id))
      this.watch(started.session.id)
      await port.show(t.id, { lines: [w.plugIn(connectorId), w.howToStop] })
      if (t.provider === 'payter') await port.readCard(t.id)
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      // Not started: the hold goes back at once, and the terminal says why.
      await this.o.db.update(terminalPayments).set({ status: 'refused', refusal: error.code }).where(eq(terminalPayments.id, a.id))
      await this.cancelHold(t, a.id)
      await this.ready(t, { lines: [w.refusal(error.code), w.notCharged] })
    } finally {
      this.starting.delete(a.id)
    }
  }

  /**
   * Cancels a hold that started nothing. The payment's row, status `refused` without a session, is
   * the durable record that a cancel is owed: it is tried once at once, and on any failure left for
   * sweepCancels (the periodic sweep, and at start), which retries with backoff until the provider
   * has released the hold. The cancel's idempotency key stays the same and the authorisation is read
   * back before every try (see keeper), so however many tries it takes, one cancel is executed.
   */
  private async cancelHold(t: TerminalRow, id: string): Promise<boolean> {
    try {
      await this.keeper(t.provider).release(id, cancelKey(id))
    } catch (error) {
      const tries = (this.cancelTries.get(id)?.tries ?? 0) + 1
      this.cancelTries.set(id, { tries, at: Date.now() + Math.min(1000 * 2 ** tries, 5 * 60_000) })
      const log = error instanceof PaymentError || tries >= 3 ? 'error' : 'warn'
      this.o.logger[log]({ err: error, payment: id, tries }, 'a terminal hold could not be cancelled yet; the sweep tries again')
      return false
    }
    this.cancelTries.delete(id)
    await this.o.db.update(terminalPayments).set({ status: 'cancelled' }).where(and(eq(terminalPayments.id, id), eq(terminalPayments.status, 'refused')))
    return true
  }

  /** When each owed cancel is next tried, and how often it has failed (in memory: a restart tries all at once). */
  private readonly cancelTries = new Map<string, { tries: number; at: number }>()
  /** Authorisations this process is starting a session for right now: not abandoned, however long the start takes. */
  private readonly starting = new Set<string>()
  private sweepTimer: NodeJS.Timeout | null = null
  private sweeping: Promise<number> | null = null

  /**
   * Retries every cancel still owed (a `refused` payment with no session: a session's own settlement
   * releases the holds of sessions that failed), those due by their backoff or, with `all`, every one.
   * Returns how many holds it released.
   */
  sweepCancels(o: { all?: boolean } = {}): Promise<number> {
    this.sweeping ??= (async () => {
      let released = 0
      try {
        await this.settleAsks()
        await this.settleAbandoned()
        const owed = await this.o.db
          .select()
          .from(terminalPayments)
          .where(and(eq(terminalPayments.status, 'refused'), isNull(terminalPayments.sessionId)))
        for (const p of owed) {
          if (!o.all && (this.cancelTries.get(p.id)?.at ?? 0) > Date.now()) continue
          const t = await this.terminal(p.terminalId)
          if (!t || !this.ports.has(t.provider)) continue
          if (await this.cancelHold(t, p.id)) released++
        }
      } finally {
        this.sweeping = null
      }
      return released
    })()
    return this.sweeping
  }

  /**
   * Asks left unanswered (the process stopped while the provider was asked, or the answer was lost):
   * once no process handles the terminal, the provider is asked what the ask made. A hold becomes a
   * payment that started nothing, its cancel owed like any other (carried out by the same sweep), and
   * the terminal says nothing was charged; a CCV ask still waiting for the card becomes a pending payment, answered like any; an
   * ask that made nothing is forgotten.
   */
  private async settleAsks(): Promise<void> {
    const asks = await this.o.db.select().from(terminalAsks).where(lt(terminalAsks.askedAt, new Date(Date.now() - askGraceMs)))
    for (const ask of asks) {
      const t = await this.terminal(ask.terminalId)
      if (!t || !this.ports.has(t.provider) || !(await this.idle(t.id))) continue
      await this.serial(t.id, () => this.settleAsk(t, ask)).catch((error) => this.o.logger.warn({ err: error, terminal: t.id, ask: ask.reference }, 'an unanswered terminal ask could not be looked up yet'))
    }
  }

  private async settleAsk(t: TerminalRow, ask: typeof terminalAsks.$inferSelect): Promise<void> {
    const found = await this.port(t.provider).findAuthorisation(t.id, ask)
    const a = found && { ...found, reference: ask.reference }
    if (a?.status === 'pending') return this.awaitAnswer(t, a, ask.connectorId)
    if (a?.status === 'authorized') {
      const [recorded] = await this.o.db
        .insert(terminalPayments)
        .values({ id: a.id, terminalId: t.id, provider: t.provider, connectorId: ask.connectorId, amount: a.amount, currency: a.currency, status: 'refused', refusal: 'abandoned', cardBrand: a.card?.brand, cardLast4: a.card?.last4 })
        .onConflictDoNothing()
        .returning()
      await this.answered(ask.reference)
      if (!recorded) return // its answer was recorded after all: that row says what happens to it
      this.o.logger.warn({ payment: a.id, terminal: t.id }, 'a terminal hold whose answer was lost started nothing; cancelling it')
      return this.notStarted(t)
    }
    await this.answered(ask.reference)
  }

  /**
   * An authorisation recorded but left between hold and start (the process stopped in between): if
   * its session was created, the payment is linked to it at once (settlement keeps the hold, and the
   * terminal shows the receipt when it completes); if not, once no process handles its terminal (or
   * after 10 minutes at the latest) it started nothing, and its cancel is owed like any other.
   */
  private async settleAbandoned(): Promise<void> {
    const before = new Date(Date.now() - abandonedAfterMs)
    const unlinked = await this.o.db
      .select()
      .from(terminalPayments)
      .where(and(eq(terminalPayments.status, 'authorized'), isNull(terminalPayments.sessionId)))
    for (const p of unlinked) {
      if (this.starting.has(p.id)) continue
      const [session] = await this.o.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.paymentId, p.id))
      if (session) {
        await this.o.db.update(terminalPayments).set({ status: 'started', sessionId: session.id }).where(and(eq(terminalPayments.id, p.id), eq(terminalPayments.status, 'authorized')))
        this.watch(session.id)
        continue
      }
      // Started nowhere: no process handles a card read at its terminal (a crash in between), or long ago.
      if (p.createdAt >= before && !(await this.idle(p.terminalId))) continue
      this.o.logger.warn({ payment: p.id, terminal: p.terminalId }, 'a terminal hold was left between authorisation and start; cancelling it')
      const [abandoned] = await this.o.db
        .update(terminalPayments)
        .set({ status: 'refused', refusal: 'abandoned' })
        .where(and(eq(terminalPayments.id, p.id), eq(terminalPayments.status, 'authorized'), isNull(terminalPayments.sessionId)))
        .returning()
      const t = abandoned && (await this.terminal(p.terminalId))
      if (t && this.ports.has(t.provider)) await this.notStarted(t)
    }
  }

  /** The terminal says a start did not happen, and nothing is charged (its hold is cancelled). */
  private async notStarted(t: TerminalRow): Promise<void> {
    const w = wordsOf(t)
    await this.ready(t, { lines: [w.couldNotStart, w.notCharged] }).catch((error) => this.o.logger.warn({ err: error, terminal: t.id }, 'terminal not reachable'))
  }

  /** Sweeps owed cancels every `seconds` (0: never; tests call sweepCancels). */
  startSweeping(seconds: number): void {
    if (seconds <= 0 || this.sweepTimer) return
    const sweep = async () => {
      if (await this.o.leases.take('terminal-cancel-sweep', seconds * 5000)) await this.sweepCancels()
    }
    this.sweepTimer = setInterval(() => void sweep().catch((error) => this.o.logger.warn({ err: error }, 'terminal cancel sweep failed')), seconds * 1000)
    this.sweepTimer.unref?.()
  }

  /** Shows the total and the receipt QR code on the terminal once the session has completed. */
  private watch(sessionId: string): void {
    if (this.watching.has(sessionId)) return
    const check = () => void this.afterSession(sessionId).catch((error) => this.o.logger.warn({ err: error, session: sessionId }, 'terminal receipt screen failed'))
    this.watching.set(sessionId, this.o.live.subscribe(`session:${sessionId}`, check))
    check()
  }

  async afterSession(sessionId: string): Promise<void> {
    const s = await this.o.sessions.get(sessionId)
    if (s.state !== 'completed' && s.state !== 'failed' && s.state !== 'cancelled') return
    this.watching.get(sessionId)?.()
    this.watching.delete(sessionId)
    const [p] = await this.o.db.select().from(terminalPayments).where(eq(terminalPayments.sessionId, sessionId))
    if (!p || p.receiptShownAt) return
    const [claimed] = await this.o.db
      .update(terminalPayments)
      .set({ receiptShownAt: new Date(), receiptToken: null, status: s.holdStatus === 'captured' ? 'committed' : 'cancelled' })
      .where(and(eq(terminalPayments.id, p.id), isNull(terminalPayments.receiptShownAt)))
      .returning()
    if (!claimed) return // shown already (two completions seen at once)
    const t = await this.terminal(p.terminalId)
    if (!t) return
    const charged = s.capturedAmount ?? 0
    const w = wordsOf(t)
    const screen: TerminalScreen =
      s.state === 'completed' && s.receiptNumber
        ? {
            lines: [w.total(w.price(charged, s.currency)), w.energy(w.kwh(s.energyWh)), w.scanReceipt(s.receiptNumber)],
            // The session's own receipt token; a share link when it was lost (a restart between hold and start).
            qr: p.receiptToken
              ? `${this.o.publicUrl}/r/${encodeURIComponent(s.receiptNumber)}?t=${p.receiptToken}`
              : await receiptPageLink(this.signer, this.o.publicUrl, s.receiptNumber),
          }
        : { lines: [w.notStarted, w.notCharged] }
    await this.ready(t, screen)
  }

  /** The hold keeper settlement uses for sessions this provider's terminals started. */
  keeper(provider: Provider): HoldKeeper {
    const port = () => this.port(provider)
    const terminalOf = async (id: string) => {
      const [p] = await this.o.db.select({ terminalId: terminalPayments.terminalId }).from(terminalPayments).where(eq(terminalPayments.id, id))
      if (!p) throw new PaymentError(`No ${provider} authorisation ${id}.`, 'resource_missing')
      return p.terminalId
    }
    const getHold = async (id: string) => holdOf(await port().getAuthorisation(await terminalOf(id), id))
    /**
     * Commit and cancel: the key is written after the provider's answer, and before every call the
     * authorisation is read back, so a retry after a lost answer (or a 5xx after the commit went
     * through) finds it committed and never commits twice.
     */
    const once = async (id: string, key: string, action: 'commit' | 'cancel', amount: number | null) => {
      const terminalId = await terminalOf(id)
      const [done] = await this.o.db.select().from(terminalMoneyCalls).where(eq(terminalMoneyCalls.key, key))
      const before = await port().getAuthorisation(terminalId, id)
      if (done || before.status === 'committed' || before.status === 'cancelled') return holdOf(before)
      try {
        const after =
          action === 'commit' ? await port().commit(terminalId, id, amount!, key) : await port().cancel(terminalId, id, key)
        await this.o.db.insert(terminalMoneyCalls).values({ key, paymentId: id, action, amount, doneAt: new Date() }).onConflictDoNothing()
        return holdOf(after)
      } catch (error) {
        if (error instanceof TerminalRefusal) throw new PaymentError(error.message, error.code)
        throw error
      }
    }
    return {
      getHold,
      capture: (id, amount, key) => once(id, key, 'commit', amount),
      release: (id, key) => once(id, key, 'cancel', null),
      // The providers' minimums are not in their EV documentation; ours (the app's) keep every session settling alike.
      minimumCharge,
    }
  }
}

/** How long an ask may go unanswered before the sweep looks it up (the providers' calls time out in 15 s). */
const askGraceMs = 30_000

/** How long an authorisation may sit between hold and start before the sweep takes it as abandoned. */
const abandonedAfterMs = 10 * 60_000

/** The one idempotency key of the cancel of a hold that started nothing, whichever try carries it. */
const cancelKey = (paymentId: string) => `${paymentId}:refused`

function holdOf(a: TerminalAuthorisation): Hold {
  const status: Hold['status'] =
    a.status === 'authorized' ? 'requires_capture' : a.status === 'committed' ? 'succeeded' : a.status === 'pending' ? 'processing' : 'canceled'
  return {
    id: a.id,
    status,
    amount: a.amount,
    currency: a.currency,
    amountCapturable: a.status === 'authorized' ? a.amount : 0,
    amountCaptured: a.committed,
    amountRefunded: 0,
    card: a.card ? { brand: a.card.brand, last4: a.card.last4, fingerprint: null, wallet: null } : null,
    captureBefore: null,
    failureMessage: a.message,
  }
}
