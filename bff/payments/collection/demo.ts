/**
 * The demo's two ways of collecting: site `demo` in platform mode (the platform sells, keeps its fee
 * and pays the owner out), and site `demo-own` ("Bergs Bilservice", charger OWN-1) in own mode (the
 * owner's own account collects and the owner sells). With the simulated provider there are no
 * Stripe accounts: the modes show in who sells, the receipt series and the monthly statements.
 */
import { eq } from 'drizzle-orm'
import type { Db } from '../../store/db'
import { chargers, connectors, sites, tariffs, userRoles } from '../../store/schema'
import { demoSiteId, evseIdFor } from '../../store/seed'
import { hashPassword } from '../../secrets'
import type { TariffComponent } from '../../domain/tariff'
import { siteCollections } from './schema'

export const ownDemoSiteId = 'demo-own'
export const ownDemoCharger = { id: 'OWN-1', label: 'Gården', plug: 'Type2', maxPowerW: 11_000, dc: false } as const
export const ownDemoChargerPassword = 'demo-own-1-password'

const components: TariffComponent[] = [
  { type: 'energy', price: 450, unit: 'kWh' },
  { type: 'time', price: 0, unit: 'minute' },
  { type: 'session', price: 0, unit: 'session' },
  { type: 'idle', price: 100, unit: 'minute', graceMinutes: 30, capAmount: 6000 },
]

/** Seeds both collection setups once, after the demo seed; returns whether it seeded. */
export async function seedCollectionDemo(db: Db, platformFeeBp: number): Promise<boolean> {
  const [demo] = await db.select({ id: sites.id }).from(sites).where(eq(sites.id, demoSiteId))
  const [done] = await db.select({ id: siteCollections.siteId }).from(siteCollections).where(eq(siteCollections.siteId, demoSiteId))
  if (!demo || done) return false
  await db.transaction(async (tx) => {
    await tx.insert(siteCollections).values({ siteId: demoSiteId, mode: 'platform', feeBp: platformFeeBp, accountReady: true })
    await tx.insert(sites).values({
      id: ownDemoSiteId,
      name: 'Bergs Bilservice',
      legalName: 'Bergs Bilservice AB',
      orgNumber: '556677-8899',
      vatNumber: 'SE556677889901',
      street: 'Storgatan 12',
      postalCode: '753 20',
      city: 'Uppsala',
      country: 'SE',
      currency: 'SEK',
      timezone: 'Europe/Stockholm',
      accessMode: 'paid',
    })
    const [tariff] = await tx.insert(tariffs).values({ siteId: ownDemoSiteId, currency: 'SEK', vatRateBp: 2500, components, holdAmount: 30_000 }).returning()
    await tx.insert(chargers).values({
      id: ownDemoCharger.id,
      siteId: ownDemoSiteId,
      tariffId: tariff.id,
      label: ownDemoCharger.label,
      passwordHash: await hashPassword(ownDemoChargerPassword),
    })
    for (const connectorId of [1, 2]) {
      await tx.insert(connectors).values({ chargerId: ownDemoCharger.id, connectorId, evseId: evseIdFor(ownDemoCharger.id, connectorId), plug: ownDemoCharger.plug, maxPowerW: ownDemoCharger.maxPowerW })
    }
    await tx.insert(userRoles).values({ userId: 'demo-owner', role: 'owner', siteId: ownDemoSiteId })
    await tx.insert(siteCollections).values({ siteId: ownDemoSiteId, mode: 'own', feeBp: 0 })
  })
  return true
}

/** The own-account site's charger for the simulator fleet. */
export const ownDemoFleetCharger = { id: ownDemoCharger.id, password: ownDemoChargerPassword, connectors: 2, maxPowerW: ownDemoCharger.maxPowerW, dc: ownDemoCharger.dc }
