import { asc, eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { chargers, connectors, sites, tariffs } from '../store/schema'
import { qrUrlFor } from '../domain/charger-ref'
import { minimumCharge } from '../payments/minimums'
import { startMethodsFor } from '../sessions/service'
import { chargerGrant } from '../grants/service'
import type { ChargerView, SiteView, TariffView } from '../views'

type SiteRow = typeof sites.$inferSelect
type TariffRow = typeof tariffs.$inferSelect

export function siteView(site: SiteRow): SiteView {
  return {
    id: site.id,
    name: site.name,
    street: site.street,
    postalCode: site.postalCode,
    city: site.city,
    country: site.country,
    currency: site.currency,
    timezone: site.timezone,
    accessMode: site.accessMode,
    seller: { legalName: site.legalName, orgNumber: site.orgNumber, vatNumber: site.vatNumber },
  }
}

export function tariffView(t: Pick<TariffRow, 'currency' | 'vatRateBp' | 'components'>, holdAmount: number): TariffView {
  return { currency: t.currency, vatRate: t.vatRateBp / 10_000, components: t.components, holdAmount, minimumCharge: minimumCharge(t.currency) }
}

/**
 * Everything a driver sees on the charger page; null when there is no such charger. Whether the
 * charger is online comes from the live connection, not the stored flag, which a crash can leave set.
 */
export async function chargerView(db: Db, chargerId: string, publicUrl: string, isOnline: (id: string) => boolean): Promise<ChargerView | null> {
  const [row] = await db
    .select({ charger: chargers, site: sites, tariff: tariffs })
    .from(chargers)
    .innerJoin(sites, eq(sites.id, chargers.siteId))
    .innerJoin(tariffs, eq(tariffs.id, chargers.tariffId))
    .where(eq(chargers.id, chargerId))
  if (!row) return null
  const plugs = await db.select().from(connectors).where(eq(connectors.chargerId, chargerId)).orderBy(asc(connectors.connectorId))
  const { charger, site, tariff } = row
  const online = isOnline(charger.id)
  return {
    id: charger.id,
    label: charger.label,
    online,
    lastSeenAt: charger.lastSeenAt?.toISOString() ?? null,
    site: siteView(site),
    connectors: plugs.map((c) => ({
      connectorId: c.connectorId,
      evseId: c.evseId,
      plug: c.plug,
      maxPowerW: c.maxPowerW,
      status: online ? c.status : 'Unavailable',
      statusAt: c.statusAt?.toISOString() ?? null,
    })),
    tariff: tariffView(tariff, tariff.holdAmount),
    startMethods: startMethodsFor(site.accessMode),
    qrUrl: qrUrlFor(publicUrl, charger.id),
  }
}

/**
 * The charger view for one driver: 'grant' first when a grant of theirs lets them start here now
 * (with that grant), then what the site offers everyone (card when paid, open when open).
 */
export async function forViewer(db: Db, view: ChargerView, userId: string | null, now: Date): Promise<ChargerView> {
  const everyone = startMethodsFor(view.site.accessMode).filter((m) => m !== 'grant')
  const found = userId ? await chargerGrant(db, { userId, siteId: view.site.id, chargerId: view.id, now, siteComponents: view.tariff.components }) : null
  if (!found || 'refused' in found) return { ...view, startMethods: everyone, grant: null, grantRefused: found?.refused ?? null }
  const { components, ...grant } = found.grant
  // The driver's own prices, in the site's currency and VAT; a grant session places no hold.
  const tariff = { ...view.tariff, components, holdAmount: 0 }
  return { ...view, startMethods: ['grant', ...everyone], grant: { ...grant, tariff } }
}
