/**
 * Support's actions on a session. Each needs a reason, and each is written to the append-only
 * audit log with who and when. Money moves only through the payment provider with idempotency
 * keys, and a refund can never exceed what was captured, also when two arrive at once: the
 * session row is locked while the refund is checked and recorded.
 */
import { and, desc, eq, ne, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { Db } from '../store/db'
import { intents, receipts, refunds, sessionEvents, sessions, sites, users } from '../store/schema'
import type { Sessions } from '../sessions/service'
import { PaymentError, type PaymentProvider } from '../payments/provider'
import type { Mailer } from '../mail/mailer'
import type { LiveBus } from '../live'
import { AppError, notFound } from '../errors'
import { isFinal, supportActions } from '../domain/session'
import { newToken } from '../secrets'
import { issueInvoice, type InvoiceBuyer } from '../receipts/issue'
import { renderReceiptPdf } from '../receipts/pdf'
import { receiptAnswer } from '../receipts/document'
import { mailLanguage, mailTexts } from '../mail/texts'
import { formatKwh, formatPrice, formatReceiptTime } from '../../web/format'
import { audit } from './audit'

type RefundRow = typeof refunds.$inferSelect

export interface DeskDeps {
  db: Db
  sessions: Sessions
  payments: PaymentProvider
  mailer: Mailer
  live: LiveBus
  logger: Logger
  clock: () => Date
  /** The receipt page's share link, printed on a mailed PDF as a QR code. */
  receiptLink?: (number: string) => Promise<string>
}

export interface RefundOutcome {
  id: string
  amount: number
  status: RefundRow['status']
  /** True when this answers a repeated request (same Idempotency-Key). */
  replayed: boolean
}

export class SupportDesk {
  constructor(private readonly d: DeskDeps) {}

  /** A full or partial refund of what was captured. `clientKey` (the Idempotency-Key) makes a double submit one refund. */
  async refund(actorId: string | null, sessionId: string, input: { amount: number; reason: string; clientKey?: string }): Promise<RefundOutcome> {
    const key = input.clientKey ? `client:${sessionId}:${input.clientKey}` : `support:${newToken(12)}`
    const now = this.d.clock()
    const decided = await this.d.db.transaction(async (tx) => {
      const [s] = await tx.select().from(sessions).where(eq(sessions.id, sessionId)).for('update')
      if (!s) throw notFound('session_not_found', 'No such session.')
      const [existing] = await tx.select().from(refunds).where(eq(refunds.key, key))
      if (existing) {
        if (existing.amount !== input.amount) {
          throw new AppError(409, 'idempotency_key_reused', 'This Idempotency-Key was used for another refund amount.')
        }
        return { refund: existing, paymentId: s.paymentId!, replayed: true }
      }
      if (!s.paymentId || s.capturedAmount === 0) {
        throw new AppError(409, 'nothing_captured', 'Nothing was captured for this session, so there is nothing to refund.')
      }
      const [{ committed }] = await tx
        .select({ committed: sql<number>`coalesce(sum(${refunds.amount}), 0)::int` })
        .from(refunds)
        .where(and(eq(refunds.sessionId, sessionId), ne(refunds.status, 'failed')))
      const left = s.capturedAmount - committed
      if (input.amount > left) {
        throw new AppError(409, 'refund_too_large', `At most ${left} (minor units) is left to refund: ${s.capturedAmount} captured, ${committed} refunded or under way.`)
      }
      const [refund] = await tx
        .insert(refunds)
        .values({ id: `rf_${newToken(9)}`, sessionId, amount: input.amount, reason: input.reason, key, status: 'pending', createdBy: actorId, createdAt: now })
        .returning()
      await tx.insert(sessionEvents).values({ sessionId, at: now, kind: 'refund_requested', data: { refundId: refund.id, amount: input.amount } })
      await audit(tx, { actorId, action: 'refund', sessionId, reason: input.reason, data: { refundId: refund.id, amount: input.amount }, at: now })
      return { refund, paymentId: s.paymentId, replayed: false }
    })
    const refund = decided.refund.status === 'pending' ? await this.carryOutRefund(decided.refund, decided.paymentId) : decided.refund
    return { id: refund.id, amount: refund.amount, status: refund.status, replayed: decided.replayed }
  }

  /**
   * Asks the provider for a recorded refund, with the refund's own idempotency key: safe to repeat
   * (a double submit, the sweep retrying one the provider did not answer).
   */
  async carryOutRefund(refund: RefundRow, paymentId: string): Promise<RefundRow> {
    let providerRefundId: string
    try {
      providerRefundId = (await this.d.payments.refund(paymentId, refund.amount, `refund:${refund.id}`)).refundId
    } catch (error) {
      if (!(error instanceof PaymentError)) {
        this.d.logger.warn({ err: error, refund: refund.id }, 'refund not answered by the provider; the sweep retries it')
        throw new AppError(502, 'provider_unavailable', 'The payment provider did not answer. The refund is recorded and will be retried.')
      }
      await this.settleRefund(refund, 'failed', null, { code: error.code, message: error.message })
      throw new AppError(409, 'refund_refused', `The payment provider refused the refund: ${error.message}`)
    }
    return this.settleRefund(refund, 'succeeded', providerRefundId)
  }

  /** Marks the refund done once (whoever comes second finds it no longer pending). */
  private async settleRefund(refund: RefundRow, status: 'succeeded' | 'failed', providerRefundId: string | null, error?: Record<string, unknown>): Promise<RefundRow> {
    const now = this.d.clock()
    const settled = await this.d.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(refunds)
        .set({ status, providerRefundId })
        .where(and(eq(refunds.id, refund.id), eq(refunds.status, 'pending')))
        .returning()
      if (!updated) return (await tx.select().from(refunds).where(eq(refunds.id, refund.id)))[0]
      if (status === 'succeeded') {
        await tx
          .update(sessions)
          .set({ refundedAmount: sql`${sessions.refundedAmount} + ${refund.amount}`, updatedAt: now, version: sql`${sessions.version} + 1` })
          .where(eq(sessions.id, refund.sessionId))
      }
      await tx.insert(sessionEvents).values({
        sessionId: refund.sessionId,
        at: now,
        kind: status === 'succeeded' ? 'refunded' : 'refund_failed',
        data: { refundId: refund.id, amount: refund.amount, providerRefundId, ...error },
      })
      return updated
    })
    this.d.live.publish(`session:${refund.sessionId}`, refund.sessionId)
    return settled
  }

  /** What support may do to this session now: the same rule the console shows. */
  async actionsFor(sessionId: string) {
    const s = await this.d.sessions.get(sessionId)
    const documents = await this.d.db.select({ kind: receipts.kind }).from(receipts).where(eq(receipts.sessionId, sessionId))
    return {
      session: s,
      can: supportActions({
        ...s,
        hasReceipt: documents.length > 0,
        hasSimplifiedInvoice: documents.some((d) => d.kind === 'simplified_invoice'),
      }),
    }
  }

  /** Stops a running session from the console, as the driver's stop button would. */
  async forceStop(actorId: string | null, sessionId: string, reason: string) {
    const { session: before, can } = await this.actionsFor(sessionId)
    if (!can.stop) {
      throw new AppError(409, 'not_running', `The session is ${before.state}: there is nothing to stop. End it instead.`)
    }
    await audit(this.d.db, { actorId, action: 'stop', sessionId, reason, data: { state: before.state }, at: this.d.clock() })
    return this.d.sessions.stop(sessionId, 'support')
  }

  /**
   * Brings any session that is not final to an end now, whatever the charger does: settled with
   * what is known (energy so far, no further idle time), the hold captured or released, a receipt.
   */
  async end(actorId: string | null, sessionId: string, reason: string) {
    const { session: before, can } = await this.actionsFor(sessionId)
    if (!can.end) throw new AppError(409, 'already_final', `The session is ${before.state} already.`)
    await audit(this.d.db, { actorId, action: 'end', sessionId, reason, data: { state: before.state, energyWh: before.energyWh }, at: this.d.clock() })
    return this.d.sessions.end(sessionId, reason)
  }

  /**
   * Releases a hold left behind: the session is over (or its capture was refused) but the card is
   * still held. Goes through the session's release intent, so it happens once, also after a crash.
   */
  async releaseHold(actorId: string | null, sessionId: string, reason: string, action = 'release_hold'): Promise<{ alreadyReleased: boolean; holdStatus: string }> {
    const now = this.d.clock()
    const key = `${sessionId}:release`
    const outcome = await this.d.db.transaction(async (tx) => {
      const [s] = await tx.select().from(sessions).where(eq(sessions.id, sessionId)).for('update')
      if (!s) throw notFound('session_not_found', 'No such session.')
      if (s.method !== 'card' || !s.paymentId) throw new AppError(409, 'no_hold', 'This session has no card hold.')
      if (s.holdStatus === 'released') return 'already'
      if (s.holdStatus === 'captured') throw new AppError(409, 'hold_captured', 'The hold was captured: refund instead.')
      if (!isFinal(s.state)) throw new AppError(409, 'session_running', `The session is ${s.state}: end it; its hold is settled when it ends.`)
      const [created] = await tx
        .insert(intents)
        .values({ sessionId, action: 'release', key, createdAt: now })
        .onConflictDoNothing()
        .returning()
      if (!created) {
        const [existing] = await tx.select().from(intents).where(eq(intents.key, key))
        if (existing?.status === 'done') return 'already'
      }
      await tx.insert(sessionEvents).values({ sessionId, at: now, kind: 'support_release', data: { by: actorId ?? 'sweep' } })
      await audit(tx, { actorId, action, sessionId, reason, data: { holdStatus: s.holdStatus, amount: s.holdAmount }, at: now })
      return 'release'
    })
    if (outcome === 'release') await this.d.sessions.runPendingIntents(sessionId)
    const after = await this.d.sessions.get(sessionId)
    return { alreadyReleased: outcome === 'already', holdStatus: after.holdStatus }
  }

  /** Mails the session's latest document (the invoice, if one was reissued) as a PDF. */
  async resendReceipt(actorId: string | null, sessionId: string, reason: string, email: string): Promise<{ number: string }> {
    const [latest] = await this.d.db.select().from(receipts).where(eq(receipts.sessionId, sessionId)).orderBy(desc(receipts.issuedAt), desc(receipts.sequence)).limit(1)
    if (!latest) throw new AppError(409, 'no_receipt', 'This session has no receipt yet.')
    const document = await receiptAnswer(this.d.db, latest, (await this.d.receiptLink?.(latest.number)) ?? '')
    // The mail in the driver's language (their account's, else the site's country's); the PDF in
    // Swedish for the bookkeeping, and in the driver's language too when that is another.
    const [who] = await this.d.db
      .select({ locale: users.locale, country: sites.country })
      .from(sessions)
      .innerJoin(sites, eq(sites.id, sessions.siteId))
      .leftJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, sessionId))
    const language = mailLanguage(who?.locale, who?.country)
    const words = mailTexts[language].receipt
    const money = (minor: number) => formatPrice(minor, document.currency, language)
    const name = document.kind === 'invoice' ? 'faktura' : 'kvitto'
    const languages = language === 'sv' ? (['sv'] as const) : (['sv', language] as const)
    const attachments = await Promise.all(
      languages.map(async (lang) => ({
        filename: lang === 'sv' ? `${name}-${document.number}.pdf` : `${name}-${document.number}-${lang}.pdf`,
        content: await renderReceiptPdf(document, lang),
        contentType: 'application/pdf',
      })),
    )
    await this.d.mailer.send({
      to: email,
      subject: words.subject(document.kind === 'invoice' ? 'invoice' : 'receipt', document.number, document.seller.legalName),
      text: [
        words.subject(document.kind === 'invoice' ? 'invoice' : 'receipt', document.number, document.seller.legalName),
        `${document.site.name}, ${document.charger.id}/${document.charger.connectorId}`,
        `${formatKwh(document.energyWh, language)} kWh · ${money(document.total)}`,
        ...document.refunds.map((r) => words.refunded(formatReceiptTime(r.at, language, document.timeZone), money(r.amount))),
        '',
        words.attached,
      ].join('\n'),
      attachments,
    })
    await audit(this.d.db, { actorId, action: 'resend_receipt', sessionId, reason, data: { number: document.number, email }, at: this.d.clock() })
    return { number: document.number }
  }

  /** A full VAT invoice for a business buyer; the original receipt stays and the invoice refers to it. */
  async reissueInvoice(actorId: string | null, sessionId: string, reason: string, buyer: InvoiceBuyer): Promise<{ number: string; replaces: string }> {
    const now = this.d.clock()
    return this.d.db.transaction(async (tx) => {
      const [s] = await tx.select().from(sessions).where(eq(sessions.id, sessionId)).for('update')
      if (!s) throw notFound('session_not_found', 'No such session.')
      const [original] = await tx.select().from(receipts).where(and(eq(receipts.sessionId, sessionId), eq(receipts.kind, 'simplified_invoice')))
      if (!original) throw new AppError(409, 'no_receipt', 'This session has no receipt to reissue.')
      const invoice = await issueInvoice(tx, original, buyer, now)
      await audit(tx, { actorId, action: 'reissue_invoice', sessionId, reason, data: { number: invoice.number, replaces: original.number, buyer }, at: now })
      return { number: invoice.number, replaces: original.number }
    })
  }
}
