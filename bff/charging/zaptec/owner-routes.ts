/**
 * /api/sites/:id/zaptec: a site's owner (or an admin) sees how the site's Zaptec installation is set up,
 * and sets it up or changes it. The web-hook credentials come back once, in the answer to the change.
 */
import { Hono, type Context } from 'hono'
import { eq } from 'drizzle-orm'
import { z } from 'zod'
import type { AppContext } from '../../app'
import { AppError } from '../../errors'
import { hasRole, requireUser, type AppEnv } from '../../auth/viewer'
import { json } from '../../routes/validation'
import { sites } from '../../store/schema'
import { portalUrls, setUpZaptecInstallation, zaptecInstallationOfSite } from './installations'

const setup = z.object({
  webhooks: z.boolean(),
  api: z.boolean(),
  webhookAuth: z.enum(['basic', 'oauth']),
  zaptecInstallationId: z.string().trim().max(64).optional(),
  /** Left out: keep the account already stored. */
  apiUsername: z.email().max(254).optional(),
  apiPassword: z.string().min(1).max(200).optional(),
})

export function zaptecSiteRoutes(d: AppContext) {
  async function ownedSiteId(c: Context<AppEnv>): Promise<string> {
    const siteId = c.req.param('id')!
    if (!hasRole(c.get('viewer'), 'owner', siteId)) throw new AppError(403, 'forbidden', 'Only the owner of this site may set up its chargers.')
    const [site] = await d.db.select({ id: sites.id }).from(sites).where(eq(sites.id, siteId))
    if (!site) throw new AppError(404, 'site_not_found', 'No such site.')
    return site.id
  }

  return new Hono<AppEnv>()
    .use('/:id/zaptec', requireUser)
    .get('/:id/zaptec', async (c) => {
      const siteId = await ownedSiteId(c)
      return c.json({ installation: await zaptecInstallationOfSite(d.db, siteId), urls: portalUrls(d.publicUrl) })
    })
    // Ownership first: someone else learns nothing, not even what a valid body looks like.
    .put('/:id/zaptec', async (c, next) => (await ownedSiteId(c), next()), json(setup), async (c) => {
      const siteId = await ownedSiteId(c)
      const body = c.req.valid('json')
      const result = await setUpZaptecInstallation(d.db, { siteId, ...body, zaptecInstallationId: body.zaptecInstallationId || undefined }, d.publicUrl)
      return c.json(result)
    })
}
