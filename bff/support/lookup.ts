/**
 * Finding a session the way a driver on the phone describes it: a receipt number read out with
 * spaces or dashes, a charger and a time, the card's last four digits and a date, an email.
 */
import { and, desc, eq, isNull, lte, or, sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import type { Db } from '../store/db'
import { chargers, paymentTerminals, receipts, sessions, sites, terminalPayments, users } from '../store/schema'
import { normalizeReceiptNumber } from '../domain/receipt'

export const searchCriteria = z
  .object({
    /** Anything typed into the one box: a receipt number, an email, a session, payment or charger id. */
    q: z.string().trim().min(1).max(120).optional(),
    chargerId: z.string().trim().min(1).max(48).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    last4: z.string().regex(/^\d{4}$/, 'four digits').optional(),
    /** The day in the site's own time zone (what the driver says): YYYY-MM-DD. */
    date: z.iso.date().optional(),
    email: z.email().max(254).optional(),
  })
  .refine((c) => c.q || c.chargerId || c.email || (c.last4 && c.date), {
    message: 'Give a receipt number or text, a charger, an email, or card last four with a date',
  })
  .refine((c) => !c.last4 || c.date, { message: 'Card last four needs a date', path: ['date'] })

export type SearchCriteria = z.infer<typeof searchCriteria>

export interface SessionMatch {
  id: string
  state: (typeof sessions.$inferSelect)['state']
  siteId: string
  chargerId: string
  connectorId: number
  createdAt: string
  startedAt: string | null
  stoppedAt: string | null
  currency: string
  capturedAmount: number
  refundedAmount: number
  holdStatus: (typeof sessions.$inferSelect)['holdStatus']
  card: { brand: string; last4: string } | null
  receiptNumber: string | null
  /** Why it matched: receipt, charger, card, email, id. */
  matchedBy: string
  /** Started by tapping a card on a payment terminal on the charger: its provider. */
  terminal: 'payter' | 'ccv' | null
}

/**
 * A card tapped on a payment terminal that started no session (charger offline, connector busy,
 * card not allowed): the hold that was taken and whether it has been released. A driver at a
 * terminal describes themselves by card last four and date, and may ask about just such a tap.
 */
export interface TerminalTapMatch {
  id: string
  terminalId: string
  provider: 'payter' | 'ccv'
  chargerId: string
  connectorId: number
  createdAt: string
  amount: number
  currency: string
  /** refused: the hold is still being released (retried); cancelled: released. */
  status: string
  refusal: string | null
  card: { brand: string; last4: string } | null
}

const maxMatches = 50

/** The session behind a receipt (or invoice) number, however it was typed. */
export async function sessionIdByReceipt(db: Db, typed: string): Promise<string | null> {
  const number = normalizeReceiptNumber(typed)
  if (!number) return null
  const [row] = await db.select({ sessionId: receipts.sessionId }).from(receipts).where(eq(receipts.number, number))
  return row?.sessionId ?? null
}

export async function searchSessions(db: Db, c: SearchCriteria): Promise<SessionMatch[]> {
  const wheres: { by: string; where: SQL }[] = []
  if (c.q) {
    const receiptSession = await sessionIdByReceipt(db, c.q)
    if (receiptSession) wheres.push({ by: 'receipt', where: eq(sessions.id, receiptSession) })
    else if (c.q.includes('@')) wheres.push({ by: 'email', where: eq(users.email, c.q.toLowerCase()) })
    else {
      const q = c.q
      wheres.push({
        by: 'id',
        where: or(eq(sessions.id, q), eq(sessions.paymentId, q), eq(sessions.idTag, q.toUpperCase()), sql`upper(${sessions.chargerId}) = upper(${q})`)!,
      })
    }
  }
  if (c.chargerId) {
    const window = [
      sql`upper(${sessions.chargerId}) = upper(${c.chargerId})`,
      // Sessions that overlap the window: created before its end, not stopped before its start.
      ...(c.to ? [lte(sessions.createdAt, new Date(c.to))] : []),
      ...(c.from ? [sql`coalesce(${sessions.stoppedAt}, ${sessions.updatedAt}) >= ${new Date(c.from)}`] : []),
    ]
    wheres.push({ by: 'charger', where: and(...window)! })
  }
  if (c.last4 && c.date) {
    wheres.push({
      by: 'card',
      where: and(eq(sessions.cardLast4, c.last4), sql`(${sessions.createdAt} at time zone ${sites.timezone})::date = ${c.date}::date`)!,
    })
  }
  if (c.email) wheres.push({ by: 'email', where: eq(users.email, c.email.toLowerCase()) })
  if (wheres.length === 0) return []

  // Every criterion given must hold (a charger and a time window narrow each other).
  const rows = await db
    .select({ s: sessions })
    .from(sessions)
    .innerJoin(sites, eq(sites.id, sessions.siteId))
    .leftJoin(users, eq(users.id, sessions.userId))
    .where(and(...wheres.map((w) => w.where)))
    .orderBy(desc(sessions.createdAt))
    .limit(maxMatches)
  const matchedBy = wheres.map((w) => w.by).join('+')
  return rows.map(({ s }) => ({
    id: s.id,
    state: s.state,
    siteId: s.siteId,
    chargerId: s.chargerId,
    connectorId: s.connectorId,
    createdAt: s.createdAt.toISOString(),
    startedAt: s.startedAt?.toISOString() ?? null,
    stoppedAt: s.stoppedAt?.toISOString() ?? null,
    currency: s.currency,
    capturedAmount: s.capturedAmount,
    refundedAmount: s.refundedAmount,
    holdStatus: s.holdStatus,
    card: s.cardBrand && s.cardLast4 ? { brand: s.cardBrand, last4: s.cardLast4 } : null,
    receiptNumber: s.receiptNumber,
    matchedBy,
    terminal: s.paymentProvider === 'payter' || s.paymentProvider === 'ccv' ? s.paymentProvider : null,
  }))
}

/** Taps on payment terminals that started no session, by card last four and the day (the site's own), optionally at one charger. */
export async function searchTerminalTaps(db: Db, c: SearchCriteria): Promise<TerminalTapMatch[]> {
  if (!c.last4 || !c.date) return []
  const rows = await db
    .select({ p: terminalPayments, chargerId: paymentTerminals.chargerId })
    .from(terminalPayments)
    .innerJoin(paymentTerminals, eq(paymentTerminals.id, terminalPayments.terminalId))
    .innerJoin(chargers, eq(chargers.id, paymentTerminals.chargerId))
    .innerJoin(sites, eq(sites.id, chargers.siteId))
    .where(
      and(
        isNull(terminalPayments.sessionId),
        eq(terminalPayments.cardLast4, c.last4),
        sql`(${terminalPayments.createdAt} at time zone ${sites.timezone})::date = ${c.date}::date`,
        ...(c.chargerId ? [sql`upper(${paymentTerminals.chargerId}) = upper(${c.chargerId})`] : []),
      ),
    )
    .orderBy(desc(terminalPayments.createdAt))
    .limit(maxMatches)
  return rows.map(({ p, chargerId }) => ({
    id: p.id,
    terminalId: p.terminalId,
    provider: p.provider,
    chargerId,
    connectorId: p.connectorId,
    createdAt: p.createdAt.toISOString(),
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    refusal: p.refusal,
    card: p.cardBrand && p.cardLast4 ? { brand: p.cardBrand, last4: p.cardLast4 } : null,
  }))
}
