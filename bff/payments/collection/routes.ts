/**
 * /api/sites/:id/collection, /statements and /payouts: a site's owner (or an admin) chooses who
 * collects the site's card payments, reads the monthly statement (as JSON, CSV or PDF) and sees the
 * payouts as Stripe reports them.
 */
import { Hono, type Context } from 'hono'
import { eq } from 'drizzle-orm'
import { z } from 'zod'
import type { AppContext } from '../../app'
import { AppError } from '../../errors'
import { hasRole, requireUser, type AppEnv } from '../../auth/viewer'
import { json } from '../../routes/validation'
import { sites, users } from '../../store/schema'
import { documentLanguage } from '../../receipts/wording'
import { SitePayments } from './router'
import { collectionView, refreshConnectedAccount, sitePayouts, startConnectOnboarding, useOwnKeys } from './onboarding'
import { monthlyStatement, statementCsv } from './statement'
import { statementPdf } from './statement-pdf'

const ownKeys = z.object({
  secretKey: z.string().trim().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,}$/, 'must be a Stripe secret key (sk_… or rk_…)').max(255),
  publishableKey: z.string().trim().regex(/^pk_(test|live)_[A-Za-z0-9_]{8,}$/, 'must be a Stripe publishable key (pk_…)').max(255),
  webhookSecret: z.string().trim().regex(/^whsec_[A-Za-z0-9_]{8,}$/, 'must be a Stripe webhook signing secret (whsec_…)').max(255),
})
const monthParam = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/)

export function collectionSiteRoutes(d: AppContext) {
  const now = () => d.sessions.clock()

  function sitePayments(): SitePayments {
    if (!(d.payments instanceof SitePayments)) throw new AppError(404, 'collection_unavailable', 'This server takes payments without per-site collection.')
    return d.payments
  }

  async function ownedSite(c: Context<AppEnv>) {
    const siteId = c.req.param('id')!
    if (!hasRole(c.get('viewer'), 'owner', siteId)) throw new AppError(403, 'forbidden', 'Only the owner of this site may see its money.')
    const [site] = await d.db.select().from(sites).where(eq(sites.id, siteId))
    if (!site) throw new AppError(404, 'site_not_found', 'No such site.')
    return site
  }

  const ownerPage = (siteId: string) => `${d.publicUrl}/owner/sites/${encodeURIComponent(siteId)}/money`

  return new Hono<AppEnv>()
    .use('/:id/collection', requireUser)
    .use('/:id/collection/*', requireUser)
    .use('/:id/statements/*', requireUser)
    .use('/:id/payouts', requireUser)
    .get('/:id/collection', async (c) => {
      const site = await ownedSite(c)
      return c.json({ collection: await collectionView(d.db, sitePayments(), site, d.publicUrl) })
    })
    .post('/:id/collection/connect', async (c) => {
      const site = await ownedSite(c)
      const [user] = await d.db.select({ email: users.email }).from(users).where(eq(users.id, c.get('viewer')!.userId))
      const page = ownerPage(site.id)
      const link = await startConnectOnboarding(d.db, sitePayments(), site, { email: user?.email ?? null, returnUrl: `${page}?connect=done`, refreshUrl: `${page}?connect=again`, now: now() })
      return c.json(link)
    })
    .post('/:id/collection/refresh', async (c) => {
      const site = await ownedSite(c)
      const payments = sitePayments()
      const view = await collectionView(d.db, payments, site, d.publicUrl)
      if (view.stripe && view.connect.accountId) await refreshConnectedAccount(d.db, payments, view.connect.accountId, now())
      return c.json({ collection: await collectionView(d.db, payments, site, d.publicUrl) })
    })
    // Ownership first: someone else learns nothing, not even what a valid body looks like.
    .put('/:id/collection/own-keys', async (c, next) => (await ownedSite(c), next()), json(ownKeys), async (c) => {
      const site = await ownedSite(c)
      const payments = sitePayments()
      await useOwnKeys(d.db, payments, site, c.req.valid('json'), now())
      return c.json({ collection: await collectionView(d.db, payments, site, d.publicUrl) })
    })
    .get('/:id/statements/:month', async (c) => {
      const site = await ownedSite(c)
      const asked = c.req.param('month')
      const format = asked.endsWith('.csv') ? 'csv' : asked.endsWith('.pdf') ? 'pdf' : (c.req.query('format') ?? 'json')
      const month = asked.replace(/\.(csv|pdf)$/, '')
      if (!monthParam.safeParse(month).success) throw new AppError(400, 'invalid_month', 'The month is YYYY-MM, like 2026-11.')
      const statement = await monthlyStatement(d.db, site.id, month)
      const name = `statement-${site.id}-${month}`
      if (format === 'csv') {
        return c.body(statementCsv(statement), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"` })
      }
      if (format === 'pdf') {
        const pdf = await statementPdf(statement, documentLanguage(c.req.query('lang')))
        return c.body(new Uint8Array(pdf), 200, { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${name}.pdf"` })
      }
      if (format !== 'json') throw new AppError(400, 'invalid_format', 'The format is json, csv or pdf.')
      return c.json({ statement })
    })
    .get('/:id/payouts', async (c) => {
      const site = await ownedSite(c)
      const payments = sitePayments()
      return c.json({ payouts: await sitePayouts(d.db, payments, site.id), stripe: payments.accounts !== null })
    })
}
