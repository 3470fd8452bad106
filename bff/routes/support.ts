/**
 * The support console's API. Every request needs the support role (admins pass too); every read of
 * a session and every action is written to the audit log with who and when.
 */
import { Hono, type Context } from 'hono'
import { asc } from 'drizzle-orm'
import { z } from 'zod'
import type { AppContext } from '../app'
import { requireRole, type AppEnv } from '../auth/viewer'
import { AppError } from '../errors'
import { sites } from '../store/schema'
import { audit } from '../support/audit'
import { loadCaseFile } from '../support/case-file'
import { receiptPageLink } from '../receipts/document'
import { SupportDesk } from '../support/desk'
import { searchCriteria, searchSessions, searchTerminalTaps, sessionIdByReceipt } from '../support/lookup'
import { reconciliationReport } from '../support/reconcile'
import { json, param, query } from './validation'

const reason = z.string().trim().min(3, 'Give a reason (at least 3 characters)').max(500)
const sessionParam = z.object({ id: z.string().min(1).max(64) })

const refundBody = z.object({ amount: z.number().int().positive(), reason })
const reasonBody = z.object({ reason })
const resendBody = z.object({ reason, email: z.email().max(254) })
const invoiceBody = z.object({
  reason,
  buyer: z.object({
    name: z.string().trim().min(1).max(200),
    orgNumber: z.string().trim().min(6).max(32),
    address: z.string().trim().min(3).max(300),
  }),
})
const reconciliationQuery = z.object({
  date: z.iso.date(),
  siteId: z.string().min(1).max(64),
  staleHoldHours: z.coerce.number().int().min(1).max(24 * 30).optional(),
})

function idempotencyKeyOf(c: Context): string | undefined {
  const key = c.req.header('idempotency-key')
  if (key === undefined) return undefined
  if (key.length < 16 || key.length > 255) {
    throw new AppError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 16 to 255 characters (a random UUID is ideal).')
  }
  return key
}

export function supportRoutes(d: AppContext) {
  const clock = d.sessions.clock
  const desk = new SupportDesk({
    db: d.db, sessions: d.sessions, payments: d.payments, mailer: d.mailer, live: d.live, logger: d.logger, clock,
    receiptLink: (number) => receiptPageLink(d.signer, d.publicUrl, number),
  })
  const actor = (c: Context<AppEnv>) => c.get('viewer')!.userId

  /** Reading a case file is itself logged: support sees card and driver details. */
  async function caseFile(c: Context<AppEnv>, sessionId: string, via: Record<string, unknown>) {
    await audit(d.db, { actorId: actor(c), action: 'view', sessionId, data: via, at: clock() })
    return loadCaseFile(d.db, sessionId, d.payments.name)
  }

  return new Hono<AppEnv>()
    .use(requireRole('support'))
    .get('/receipts/:number', async (c) => {
      const typed = c.req.param('number')
      const sessionId = await sessionIdByReceipt(d.db, typed)
      if (!sessionId) throw new AppError(404, 'receipt_not_found', `No receipt with the number “${typed}”.`)
      return c.json(await caseFile(c, sessionId, { via: 'receipt', typed }))
    })
    .get('/search', query(searchCriteria), async (c) => {
      const criteria = c.req.valid('query')
      const matches = await searchSessions(d.db, criteria)
      // A card tapped on a terminal that started nothing has no session; by card and date support sees its hold too.
      const taps = await searchTerminalTaps(d.db, criteria)
      await audit(d.db, {
        actorId: actor(c),
        action: 'search',
        data: { criteria, sessions: matches.map((m) => m.id), ...(taps.length ? { terminalPayments: taps.map((t) => t.id) } : {}) },
        at: clock(),
      })
      return c.json({ matches, taps })
    })
    .get('/sessions/:id', param(sessionParam), async (c) => {
      await d.sessions.get(c.req.valid('param').id)
      return c.json(await caseFile(c, c.req.valid('param').id, { via: 'session' }))
    })
    .post('/sessions/:id/refund', param(sessionParam), json(refundBody), async (c) => {
      const { amount, reason } = c.req.valid('json')
      const refund = await desk.refund(actor(c), c.req.valid('param').id, { amount, reason, clientKey: idempotencyKeyOf(c) })
      return c.json({ refund }, refund.replayed ? 200 : 201)
    })
    .post('/sessions/:id/stop', param(sessionParam), json(reasonBody), async (c) => {
      const session = await desk.forceStop(actor(c), c.req.valid('param').id, c.req.valid('json').reason)
      return c.json({ state: session.state })
    })
    .post('/sessions/:id/end', param(sessionParam), json(reasonBody), async (c) => {
      const session = await desk.end(actor(c), c.req.valid('param').id, c.req.valid('json').reason)
      return c.json({ state: session.state })
    })
    .post('/sessions/:id/release-hold', param(sessionParam), json(reasonBody), async (c) => {
      return c.json(await desk.releaseHold(actor(c), c.req.valid('param').id, c.req.valid('json').reason))
    })
    .post('/sessions/:id/resend-receipt', param(sessionParam), json(resendBody), async (c) => {
      const { reason, email } = c.req.valid('json')
      return c.json(await desk.resendReceipt(actor(c), c.req.valid('param').id, reason, email))
    })
    .post('/sessions/:id/reissue-invoice', param(sessionParam), json(invoiceBody), async (c) => {
      const { reason, buyer } = c.req.valid('json')
      return c.json(await desk.reissueInvoice(actor(c), c.req.valid('param').id, reason, buyer), 201)
    })
    .get('/sites', async (c) => {
      const rows = await d.db.select({ id: sites.id, name: sites.name, timezone: sites.timezone }).from(sites).orderBy(asc(sites.name))
      return c.json({ sites: rows })
    })
    .get('/reconciliation', query(reconciliationQuery), async (c) => {
      const { date, siteId, staleHoldHours } = c.req.valid('query')
      const report = await reconciliationReport(d.db, d.payments, { date, siteId, now: clock(), staleHoldHours: staleHoldHours ?? 24, terminals: d.terminalBooks })
      await audit(d.db, { actorId: actor(c), action: 'reconciliation', data: { date, siteId, differences: report.differences.length }, at: clock() })
      return c.json(report)
    })
}
