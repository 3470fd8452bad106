/**
 * Reconciliation: our sessions, receipts and refunds set against the payment provider's own books.
 * `reconcile` is pure; `reconciliationReport` reads both sides for one day and site.
 */
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../store/db'
import { receipts, refunds, sessions, sites } from '../store/schema'
import type { HoldStatus as OurHoldStatus, SessionState } from '../store/schema'
import type { LedgerEntry, PaymentProvider } from '../payments/provider'
import { AppError, notFound } from '../errors'
import type { TerminalBooks } from '../terminals/books'

export interface OurPayment {
  sessionId: string
  state: SessionState
  paymentId: string | null
  createdAt: Date
  holdAmount: number
  holdStatus: OurHoldStatus
  capturedAmount: number
  releasedAmount: number
  /** Sum of refunds the provider confirmed. */
  refundedAmount: number
  receipt: { number: string; total: number; nothingCharged: boolean } | null
}

export type DifferenceKind =
  | 'captured_without_receipt'
  | 'receipt_without_capture'
  | 'stale_hold'
  | 'amount_mismatch'
  | 'balance_mismatch'
  | 'refund_mismatch'
  | 'status_mismatch'
  | 'missing_at_provider'
  | 'unknown_at_provider'
  /** A card terminal's authorisation that started no session is still held at the terminal provider. */
  | 'open_authorisation'

export interface Difference {
  kind: DifferenceKind
  sessionId: string | null
  paymentId: string | null
  detail: string
}

export interface ReconciliationRow {
  sessionId: string
  state: SessionState
  paymentId: string | null
  receiptNumber: string | null
  held: number
  captured: number
  released: number
  refunded: number
  provider: { status: string; captured: number; refunded: number } | null
}

export interface Reconciliation {
  rows: ReconciliationRow[]
  totals: { sessions: number; captured: number; refunded: number; released: number; providerCaptured: number; providerRefunded: number }
  differences: Difference[]
}

const finalStates: SessionState[] = ['completed', 'failed', 'cancelled']

/** What the provider's status means for our hold status. */
const expectedHold: Record<string, OurHoldStatus[]> = {
  requires_capture: ['held', 'failed'],
  succeeded: ['captured'],
  canceled: ['released', 'failed'],
}

/**
 * Lists every difference between our books and the provider's. `ledger` holds the provider's
 * entries for our sessions plus any it has that we do not know at all.
 */
export function reconcile(ours: OurPayment[], ledger: LedgerEntry[], o: { now: Date; staleHoldHours: number }): Reconciliation {
  const byId = new Map(ledger.map((e) => [e.id, e]))
  const known = new Set(ours.map((s) => s.paymentId).filter((id): id is string => id !== null))
  const differences: Difference[] = []
  const differ = (kind: DifferenceKind, s: OurPayment | null, paymentId: string | null, detail: string) =>
    differences.push({ kind, sessionId: s?.sessionId ?? null, paymentId, detail })
  const staleBefore = o.now.getTime() - o.staleHoldHours * 3_600_000

  const rows = ours.map((s): ReconciliationRow => {
    const p = s.paymentId ? byId.get(s.paymentId) : undefined
    const charged = s.receipt !== null && !s.receipt.nothingCharged && s.receipt.total > 0
    if (s.paymentId && !p) differ('missing_at_provider', s, s.paymentId, `The provider has no hold ${s.paymentId}.`)
    if (p) {
      if (p.amountCaptured > 0 && !s.receipt) {
        differ('captured_without_receipt', s, p.id, `The provider captured ${p.amountCaptured} but we issued no receipt.`)
      }
      if (charged && p.amountCaptured === 0) {
        differ('receipt_without_capture', s, p.id, `Receipt ${s.receipt!.number} says ${s.receipt!.total} but the provider captured nothing (${p.status}).`)
      }
      if (p.amountCaptured !== s.capturedAmount) {
        differ('amount_mismatch', s, p.id, `We recorded ${s.capturedAmount} captured, the provider ${p.amountCaptured}.`)
      } else if (charged && s.receipt!.total !== s.capturedAmount) {
        differ('amount_mismatch', s, p.id, `Receipt ${s.receipt!.number} says ${s.receipt!.total}, captured ${s.capturedAmount}.`)
      }
      // The provider's books (balance transactions) against the payment: the money actually moved.
      if (p.booked !== null && p.booked !== p.amountCaptured) {
        differ('balance_mismatch', s, p.id, `The provider's balance books ${p.booked} for a payment that captured ${p.amountCaptured}.`)
      } else if (p.booked === null && p.amountCaptured > 0) {
        differ('balance_mismatch', s, p.id, `The provider captured ${p.amountCaptured} but its balance books nothing yet.`)
      }
      if (p.amountRefunded !== s.refundedAmount) {
        differ('refund_mismatch', s, p.id, `We recorded ${s.refundedAmount} refunded, the provider ${p.amountRefunded}.`)
      }
      if (p.status === 'requires_capture' && p.createdAt.getTime() < staleBefore) {
        differ('stale_hold', s, p.id, `Hold of ${p.amount} still uncaptured after more than ${o.staleHoldHours} h (session ${s.state}).`)
      }
      const expected = expectedHold[p.status]
      if (expected && finalStates.includes(s.state) && !expected.includes(s.holdStatus)) {
        differ('status_mismatch', s, p.id, `We say the hold is ${s.holdStatus}, the provider says ${p.status}.`)
      }
    } else if (!s.paymentId && s.capturedAmount > 0) {
      differ('missing_at_provider', s, null, `We recorded ${s.capturedAmount} captured without a provider payment.`)
    }
    return {
      sessionId: s.sessionId,
      state: s.state,
      paymentId: s.paymentId,
      receiptNumber: s.receipt?.number ?? null,
      held: s.holdAmount,
      captured: s.capturedAmount,
      released: s.releasedAmount,
      refunded: s.refundedAmount,
      provider: p ? { status: p.status, captured: p.amountCaptured, refunded: p.amountRefunded } : null,
    }
  })
  for (const p of ledger) {
    if (known.has(p.id)) continue
    differ('unknown_at_provider', null, p.id, `The provider has ${p.status} hold ${p.id} of ${p.amount} (captured ${p.amountCaptured}) for no session of ours${p.sessionId ? ` (metadata says ${p.sessionId})` : ''}.`)
  }
  const sum = (f: (r: ReconciliationRow) => number) => rows.reduce((total, r) => total + f(r), 0)
  return {
    rows,
    totals: {
      sessions: rows.length,
      captured: sum((r) => r.captured),
      refunded: sum((r) => r.refunded),
      released: sum((r) => r.released),
      providerCaptured: sum((r) => r.provider?.captured ?? 0),
      providerRefunded: sum((r) => r.provider?.refunded ?? 0),
    },
    differences,
  }
}

/** The site's day as an instant range, in the site's own time zone. */
async function dayRange(db: Db, date: string, timezone: string): Promise<{ from: Date; to: Date }> {
  const result = await db.execute(
    sql`select (${date}::date::timestamp at time zone ${timezone}) as "from", ((${date}::date + 1)::timestamp at time zone ${timezone}) as "to"`,
  )
  const row = ((result as unknown as { rows?: Record<string, unknown>[] }).rows ?? (result as unknown as Record<string, unknown>[]))[0]
  return { from: new Date(row.from as string | Date), to: new Date(row.to as string | Date) }
}

/**
 * One day at one site, both sides. Provider holds from that day that belong to no session at all are
 * listed too. Sessions paid at a card terminal on the charger are held against their terminal
 * provider's books (`terminals`, see bff/terminals/books.ts), the others against the card provider's.
 */
export async function reconciliationReport(
  db: Db,
  payments: PaymentProvider,
  o: { date: string; siteId: string; now: Date; staleHoldHours: number; terminals?: TerminalBooks },
): Promise<Reconciliation & { date: string; siteId: string; currency: string; provider: string }> {
  const [site] = await db.select().from(sites).where(eq(sites.id, o.siteId))
  if (!site) throw notFound('site_not_found', 'No such site.')
  if (!payments.ledger) throw new AppError(501, 'no_ledger', `The ${payments.name} provider cannot list its payments.`)
  const { from, to } = await dayRange(db, o.date, site.timezone)
  const rows = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.siteId, o.siteId), sql`${sessions.createdAt} >= ${from}`, sql`${sessions.createdAt} < ${to}`))
  const ids = rows.map((s) => s.id)
  const [receiptRows, refundRows] = ids.length
    ? await Promise.all([
        db.select().from(receipts).where(and(inArray(receipts.sessionId, ids), eq(receipts.kind, 'simplified_invoice'))),
        db.select().from(refunds).where(and(inArray(refunds.sessionId, ids), eq(refunds.status, 'succeeded'))),
      ])
    : [[], []]
  const ours: OurPayment[] = rows.map((s) => {
    const r = receiptRows.find((x) => x.sessionId === s.id)
    const content = r?.content as { total?: number; nothingCharged?: boolean } | undefined
    return {
      sessionId: s.id,
      state: s.state,
      paymentId: s.paymentId,
      createdAt: s.createdAt,
      holdAmount: s.holdAmount,
      holdStatus: s.holdStatus,
      capturedAmount: s.capturedAmount,
      releasedAmount: s.releasedAmount,
      refundedAmount: refundRows.filter((x) => x.sessionId === s.id).reduce((sum, x) => sum + x.amount, 0),
      receipt: r ? { number: r.number, total: content?.total ?? 0, nothingCharged: content?.nothingCharged ?? false } : null,
    }
  })
  // A hold is created with its session, so the day's ledger covers the day's sessions; holds of
  // sessions on other days or sites are theirs to explain.
  const ledger = await payments.ledger({ from, to: new Date(to.getTime() + 3_600_000) })
  const ourIds = new Set(rows.map((s) => s.paymentId))
  const strangers = ledger.filter((e) => !ourIds.has(e.id)).map((e) => e.id)
  const elsewhere = strangers.length
    ? new Set((await db.select({ id: sessions.paymentId }).from(sessions).where(inArray(sessions.paymentId, strangers))).map((r) => r.id))
    : new Set<string | null>()
  const relevant = ledger.filter((e) => !elsewhere.has(e.id) && (ourIds.has(e.id) || e.createdAt < to))
  const atTerminals = o.terminals
    ? await o.terminals.ledger({ siteId: o.siteId, from, to, paymentIds: rows.filter((s) => s.paymentProvider === 'payter' || s.paymentProvider === 'ccv').map((s) => s.paymentId!) })
    : { entries: [], differences: [] }
  const result = reconcile(ours, [...relevant, ...atTerminals.entries], { now: o.now, staleHoldHours: o.staleHoldHours })
  result.differences.push(...atTerminals.differences)
  return { ...result, date: o.date, siteId: o.siteId, currency: site.currency, provider: payments.name }
}
