/**
 * A site's monthly statement: the card sessions that ended in the month on the site's clock (what
 * each captured, its VAT as on its receipt, our fee), the refunds made in the month (with the part
 * of our fee they gave back), and what that leaves the owner. Every amount is the sum of the lines
 * beside it, to the cent.
 */
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../store/db'
import { receipts, refunds, sessions, sites } from '../../store/schema'
import { vatOf } from '../../domain/money'
import { notFound } from '../../errors'
import { collectedHolds, collectedRefunds, type CollectionMode } from './schema'

export interface StatementSession {
  sessionId: string
  receiptNumber: string | null
  stoppedAt: string | null
  energyWh: number
  mode: CollectionMode
  gross: number
  vat: number
  fee: number
}

export interface StatementRefund {
  refundId: string
  sessionId: string
  at: string
  amount: number
  feeRefunded: number
}

export interface Statement {
  siteId: string
  siteName: string
  month: string
  currency: string
  timeZone: string
  sessions: StatementSession[]
  refunds: StatementRefund[]
  totals: {
    sessions: number
    energyWh: number
    gross: number
    vat: number
    fees: number
    feesRefunded: number
    refunds: number
    /** gross − fees + feesRefunded − refunds: what the month leaves the owner. */
    net: number
  }
}

async function monthRange(db: Db, month: string, timezone: string): Promise<{ from: Date; to: Date }> {
  const first = `${month}-01`
  const result = await db.execute(
    sql`select (${first}::date::timestamp at time zone ${timezone}) as "from", ((${first}::date + interval '1 month')::timestamp at time zone ${timezone}) as "to"`,
  )
  const row = ((result as unknown as { rows?: Record<string, unknown>[] }).rows ?? (result as unknown as Record<string, unknown>[]))[0]
  return { from: new Date(row.from as string | Date), to: new Date(row.to as string | Date) }
}

/** `month` is YYYY-MM. */
export async function monthlyStatement(db: Db, siteId: string, month: string): Promise<Statement> {
  const [site] = await db.select().from(sites).where(eq(sites.id, siteId))
  if (!site) throw notFound('site_not_found', 'No such site.')
  const { from, to } = await monthRange(db, month, site.timezone)
  const sold = await db
    .select({ session: sessions, hold: collectedHolds, receiptNumber: receipts.number })
    .from(sessions)
    .leftJoin(collectedHolds, eq(collectedHolds.paymentId, sessions.paymentId))
    .leftJoin(receipts, and(eq(receipts.sessionId, sessions.id), eq(receipts.kind, 'simplified_invoice')))
    .where(
      and(
        eq(sessions.siteId, siteId),
        eq(sessions.method, 'card'),
        gt(sessions.capturedAmount, 0),
        sql`${sessions.stoppedAt} >= ${from}`,
        sql`${sessions.stoppedAt} < ${to}`,
      ),
    )
    .orderBy(asc(sessions.stoppedAt), asc(sessions.id))
  const lines: StatementSession[] = sold.map(({ session: s, hold, receiptNumber }) => ({
    sessionId: s.id,
    receiptNumber,
    stoppedAt: s.stoppedAt?.toISOString() ?? null,
    energyWh: s.energyWh,
    mode: hold?.mode ?? 'platform',
    gross: s.capturedAmount,
    vat: vatOf(s.capturedAmount, s.tariff.vatRateBp),
    fee: hold?.feeAmount ?? 0,
  }))
  const siteSessions = db.select({ id: sessions.id }).from(sessions).where(eq(sessions.siteId, siteId))
  const refunded = await db
    .select({ refund: refunds, feeRefunded: collectedRefunds.feeRefunded })
    .from(refunds)
    .leftJoin(collectedRefunds, eq(collectedRefunds.refundId, refunds.providerRefundId))
    .where(
      and(
        inArray(refunds.sessionId, siteSessions),
        eq(refunds.status, 'succeeded'),
        sql`${refunds.createdAt} >= ${from}`,
        sql`${refunds.createdAt} < ${to}`,
      ),
    )
    .orderBy(asc(refunds.createdAt), asc(refunds.id))
  const refundLines: StatementRefund[] = refunded.map(({ refund: r, feeRefunded }) => ({
    refundId: r.id,
    sessionId: r.sessionId,
    at: r.createdAt.toISOString(),
    amount: r.amount,
    feeRefunded: feeRefunded ?? 0,
  }))
  const sum = <T>(rows: T[], pick: (row: T) => number) => rows.reduce((total, row) => total + pick(row), 0)
  const gross = sum(lines, (l) => l.gross)
  const fees = sum(lines, (l) => l.fee)
  const feesRefunded = sum(refundLines, (r) => r.feeRefunded)
  const refundTotal = sum(refundLines, (r) => r.amount)
  return {
    siteId,
    siteName: site.name,
    month,
    currency: site.currency,
    timeZone: site.timezone,
    sessions: lines,
    refunds: refundLines,
    totals: {
      sessions: lines.length,
      energyWh: sum(lines, (l) => l.energyWh),
      gross,
      vat: sum(lines, (l) => l.vat),
      fees,
      feesRefunded,
      refunds: refundTotal,
      net: gross - fees + feesRefunded - refundTotal,
    },
  }
}

const minor = (amount: number) => (amount / 100).toFixed(2)

/** One line per session and per refund, then the totals; amounts in major units with a dot, as spreadsheets read them. */
export function statementCsv(s: Statement): string {
  const rows: (string | number)[][] = [
    ['kind', 'id', 'receipt', 'at', 'energy_wh', 'mode', 'gross', 'vat', 'fee', 'refund', 'fee_refunded', 'currency'],
    ...s.sessions.map((l) => ['session', l.sessionId, l.receiptNumber ?? '', l.stoppedAt ?? '', l.energyWh, l.mode, minor(l.gross), minor(l.vat), minor(l.fee), '', '', s.currency]),
    ...s.refunds.map((r) => ['refund', r.refundId, '', r.at, '', '', '', '', '', minor(r.amount), minor(r.feeRefunded), s.currency]),
    ['total', s.month, '', '', s.totals.energyWh, '', minor(s.totals.gross), minor(s.totals.vat), minor(s.totals.fees), minor(s.totals.refunds), minor(s.totals.feesRefunded), s.currency],
    ['net_payout', s.month, '', '', '', '', '', '', '', '', minor(s.totals.net), s.currency],
  ]
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}

function csvField(value: string | number): string {
  const text = String(value)
  // A leading =, +, - or @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}
