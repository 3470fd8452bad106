import { Hono } from 'hono'
import { asc, eq } from 'drizzle-orm'
import type { AppContext } from '../app'
import { notFound } from '../errors'
import { chargers, sites } from '../store/schema'
import { siteView } from '../chargers/view'
import type { ChargerView } from '../views'

export function siteRoutes(d: AppContext) {
  return new Hono().get('/:id', async (c) => {
    const [site] = await d.db.select().from(sites).where(eq(sites.id, c.req.param('id')))
    if (!site) throw notFound('site_not_found', 'No such site.')
    const ids = await d.db.select({ id: chargers.id }).from(chargers).where(eq(chargers.siteId, site.id)).orderBy(asc(chargers.id))
    const views = await Promise.all(ids.map(({ id }) => d.chargerView(id)))
    return c.json({ site: siteView(site), chargers: views.filter((v): v is ChargerView => v !== null) })
  })
}
