import { Hono } from 'hono'
import { and, desc, eq, isNull, ne, notInArray, or, sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { requireUser, type AppEnv } from '../auth/viewer'
import { rfidTags, sessions, sites } from '../store/schema'
import { tokenMatches } from '../secrets'
import { isSessionIdTag } from '../domain/id-tag'
import { formatKwh, receiptCharge } from '../domain/receipt'
import { vatOf } from '../domain/money'
import { grantStatus } from '../domain/grant'
import { isFinal } from '../domain/session'
import type { Charge } from '../domain/charge'
import { minimumCharge } from '../payments/minimums'
import { grantViews, grantsOfUser } from '../grants/service'
import { json, query } from './validation'

const claimBody = z.object({ sessions: z.array(z.object({ id: z.string().min(1).max(64), stopToken: z.string().min(1).max(255) })).max(50) })
const historyQuery = z.object({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month must be YYYY-MM').optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  format: z.enum(['json', 'csv']).default('json'),
})
const tagBody = z.object({
  idTag: z.string().regex(/^[\x21-\x7e]{1,20}$/, 'idTag must be 1 to 20 printable characters without spaces'),
  label: z.string().trim().max(60).optional(),
})

export interface SessionSummary {
  id: string
  state: (typeof sessions.$inferSelect)['state']
  chargerId: string
  connectorId: number
  siteName: string
  method: 'card' | 'grant' | 'open'
  startedAt: string | null
  stoppedAt: string | null
  energyWh: number
  /**
   * The amount the session page and the receipt show: once final, the charge (captured from the card,
   * invoiced by the owner for a grant, nothing on an open charger or under the minimum); before, the running cost.
   */
  total: number
  /** Once final: what was charged and why, as the receipt says; null while the session runs. */
  charge: Charge | null
  currency: string
  receipt: { number: string; url: string } | null
}

export interface MonthTotal {
  month: string
  count: number
  energyWh: number
  total: number
  currency: string
}

/** When a session happened: its start, or its creation if it never started; whole ms, so cursors compare exactly. */
const happenedAt = sql`date_trunc('milliseconds', coalesce(${sessions.startedAt}, ${sessions.createdAt}))`
const monthExpr = sql<string>`to_char(coalesce(${sessions.startedAt}, ${sessions.createdAt}) at time zone ${sites.timezone}, 'YYYY-MM')`
const dayExpr = sql<string>`to_char(coalesce(${sessions.startedAt}, ${sessions.createdAt}) at time zone ${sites.timezone}, 'YYYY-MM-DD')`
/** The month totals' sum of what `historyAmount` gives each session. */
const totalExpr = sql<number>`(case when ${sessions.state} in ('failed', 'cancelled') or ${sessions.method} = 'open' then 0 when ${sessions.method} = 'card' and ${sessions.state} = 'completed' then ${sessions.capturedAmount} else ${sessions.costTotal} end)::int`

/** A history row's charge once final, and the amount shown for it: that charge's, or the running cost. */
function historyAmount(r: {
  state: (typeof sessions.$inferSelect)['state']
  method: 'card' | 'grant' | 'open'
  costTotal: number
  energyWh: number
  holdAmount: number
  capturedAmount: number
  currency: string
}): { total: number; charge: Charge | null } {
  if (!isFinal(r.state)) return { total: r.method === 'open' ? 0 : r.costTotal, charge: null }
  const charge = receiptCharge({
    method: r.method,
    cost: { total: r.costTotal },
    energyWh: r.energyWh,
    holdAmount: r.holdAmount,
    minimumCharge: minimumCharge(r.currency),
    captured: r.capturedAmount,
  })
  return { total: charge.amount, charge }
}

const encodeCursor = (iso: string, id: string) => Buffer.from(JSON.stringify([iso, id])).toString('base64url')
function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string]
    const date = new Date(iso)
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor')
    return { at: date, id }
  } catch {
    throw new AppError(400, 'invalid_cursor', 'The page cursor is not valid; start from the first page.')
  }
}

/** Minor units as a decimal amount for spreadsheets: 12345 -> '123.45'. */
const major = (minor: number) => `${minor < 0 ? '-' : ''}${Math.floor(Math.abs(minor) / 100)}.${String(Math.abs(minor) % 100).padStart(2, '0')}`
const csvField = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)

export function meRoutes(d: AppContext) {
  const now = () => d.sessions.clock()
  /** A share link: it opens the receipt for whoever holds it (an employer checking an expense claim). */
  const receiptUrl = async (number: string) =>
    `${d.publicUrl}/api/receipts/${encodeURIComponent(number)}?t=${await d.signer.sign('receipt-share', number)}`

  function historyWhere(userId: string, month?: string): SQL {
    return and(eq(sessions.userId, userId), ne(sessions.state, 'pending'), month ? sql`${monthExpr} = ${month}` : undefined)!
  }

  return new Hono<AppEnv>()
    .use(requireUser)
    .post('/claim', json(claimBody), async (c) => {
      const userId = c.get('viewer')!.userId
      let claimed = 0
      for (const proof of c.req.valid('json').sessions) {
        const [s] = await d.db.select({ id: sessions.id, hash: sessions.stopTokenHash, userId: sessions.userId }).from(sessions).where(eq(sessions.id, proof.id))
        // Only with the device's stop token, and never away from another account.
        if (!s || s.userId !== null || !tokenMatches(proof.stopToken, s.hash)) continue
        const updated = await d.db
          .update(sessions)
          .set({ userId })
          .where(and(eq(sessions.id, s.id), isNull(sessions.userId)))
          .returning({ id: sessions.id })
        claimed += updated.length
      }
      return c.json({ claimed })
    })
    .get('/sessions', query(historyQuery), async (c) => {
      const userId = c.get('viewer')!.userId
      const q = c.req.valid('query')
      const where = historyWhere(userId, q.month)
      const columns = {
        id: sessions.id,
        state: sessions.state,
        chargerId: sessions.chargerId,
        connectorId: sessions.connectorId,
        siteName: sites.name,
        method: sessions.method,
        startedAt: sessions.startedAt,
        stoppedAt: sessions.stoppedAt,
        energyWh: sessions.energyWh,
        costTotal: sessions.costTotal,
        holdAmount: sessions.holdAmount,
        capturedAmount: sessions.capturedAmount,
        currency: sessions.currency,
        receiptNumber: sessions.receiptNumber,
        at: sql<string>`to_char(${happenedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
        day: dayExpr,
        vatRateBp: sql<number>`(${sessions.tariff}->>'vatRateBp')::int`,
      }
      if (q.format === 'csv') {
        const rows = await d.db
          .select(columns)
          .from(sessions)
          .innerJoin(sites, eq(sites.id, sessions.siteId))
          .where(and(where, notInArray(sessions.state, ['failed', 'cancelled'])))
          .orderBy(desc(happenedAt), desc(sessions.id))
        const header = ['date', 'site', 'charger', 'kWh', 'total', 'VAT', 'currency', 'receipt number']
        const lines = rows.map((r) => {
          const { total } = historyAmount(r)
          return [r.day, r.siteName, `${r.chargerId}/${r.connectorId}`, formatKwh(r.energyWh), major(total), major(vatOf(total, r.vatRateBp)), r.currency, r.receiptNumber ?? '']
            .map(csvField)
            .join(',')
        })
        const name = `laddpunkt-${q.month ?? 'all'}.csv`
        return c.body([header.join(','), ...lines].join('\r\n') + '\r\n', 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="${name}"`,
        })
      }
      const after = q.cursor ? decodeCursor(q.cursor) : null
      const rows = await d.db
        .select(columns)
        .from(sessions)
        .innerJoin(sites, eq(sites.id, sessions.siteId))
        .where(and(where, after ? or(sql`${happenedAt} < ${after.at.toISOString()}::timestamptz`, and(sql`${happenedAt} = ${after.at.toISOString()}::timestamptz`, sql`${sessions.id} < ${after.id}`)) : undefined))
        .orderBy(desc(happenedAt), desc(sessions.id))
        .limit(q.limit + 1)
      const page = rows.slice(0, q.limit)
      const last = page[page.length - 1]
      const months = await d.db
        .select({
          month: monthExpr,
          currency: sessions.currency,
          count: sql<number>`count(*)::int`,
          energyWh: sql<number>`coalesce(sum(${sessions.energyWh}), 0)::int`,
          total: sql<number>`coalesce(sum(${totalExpr}), 0)::int`,
        })
        .from(sessions)
        .innerJoin(sites, eq(sites.id, sessions.siteId))
        .where(and(historyWhere(userId), notInArray(sessions.state, ['failed', 'cancelled'])))
        .groupBy(monthExpr, sessions.currency)
        .orderBy(desc(monthExpr))
      const summaries: SessionSummary[] = await Promise.all(page.map(async (r) => ({
        id: r.id,
        state: r.state,
        chargerId: r.chargerId,
        connectorId: r.connectorId,
        siteName: r.siteName,
        method: r.method,
        startedAt: r.startedAt?.toISOString() ?? null,
        stoppedAt: r.stoppedAt?.toISOString() ?? null,
        energyWh: r.energyWh,
        ...historyAmount(r),
        currency: r.currency,
        receipt: r.receiptNumber ? { number: r.receiptNumber, url: await receiptUrl(r.receiptNumber) } : null,
      })))
      return c.json({
        sessions: summaries,
        nextCursor: rows.length > q.limit && last ? encodeCursor(last.at, last.id) : null,
        months: months as MonthTotal[],
      })
    })
    .get('/rfid-tags', async (c) => {
      const rows = await d.db.select().from(rfidTags).where(eq(rfidTags.userId, c.get('viewer')!.userId))
      return c.json({ tags: rows.map((t) => ({ idTag: t.idTag, label: t.label, createdAt: t.createdAt.toISOString() })) })
    })
    .post('/rfid-tags', json(tagBody), async (c) => {
      const body = c.req.valid('json')
      const idTag = body.idTag.toUpperCase()
      // Our own per-session idTags must stay ours: a card with one could take over a phone's session.
      if (isSessionIdTag(idTag)) throw new AppError(400, 'invalid_tag', 'This tag number cannot be registered. Check the number printed on the tag.')
      const [row] = await d.db
        .insert(rfidTags)
        .values({ idTag, userId: c.get('viewer')!.userId, label: body.label || null, createdAt: now() })
        .onConflictDoNothing()
        .returning()
      if (!row) throw new AppError(409, 'tag_taken', 'This tag is already registered. If it is yours, remove it from the other account first.')
      return c.json({ tag: { idTag: row.idTag, label: row.label, createdAt: row.createdAt.toISOString() } }, 201)
    })
    .delete('/rfid-tags/:idTag', async (c) => {
      const removed = await d.db
        .delete(rfidTags)
        .where(and(eq(rfidTags.idTag, c.req.param('idTag').toUpperCase()), eq(rfidTags.userId, c.get('viewer')!.userId)))
        .returning({ idTag: rfidTags.idTag })
      if (removed.length === 0) throw new AppError(404, 'tag_not_found', 'No such tag on your account.')
      return c.body(null, 204)
    })
    .get('/grants', async (c) => {
      const at = now()
      const mine = (await grantsOfUser(d.db, c.get('viewer')!.userId)).filter((g) => ['active', 'not_yet_valid'].includes(grantStatus(g, at)))
      return c.json({ grants: await grantViews(d.db, mine, at) })
    })
}
