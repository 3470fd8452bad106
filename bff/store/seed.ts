/**
 * The fixed demo seed (DESIGN.md section 6): site `demo`, chargers DEMO-1 … DEMO-4 with connectors
 * 1 and 2, EVSE ids SE*LDP*EDEMO1*1 and so on. Written only into an empty embedded database.
 */
import { sql } from 'drizzle-orm'
import type { Db } from './db'
import { chargers, connectors, sites, tariffs, userRoles, users } from './schema'
import { hashPassword } from '../secrets'
import type { TariffComponent } from '../domain/tariff'

export const demoSiteId = 'demo'

/** Demo chargers' OCPP passwords: public on purpose, the simulator fleet logs in with them. */
export const demoChargerPassword = (chargerId: string) => `demo-${chargerId.toLowerCase()}-password`

export const demoChargers = [
  { id: 'DEMO-1', label: 'Plats 1–2', plug: 'Type2', maxPowerW: 11_000, dc: false },
  { id: 'DEMO-2', label: 'Plats 3–4', plug: 'Type2', maxPowerW: 22_000, dc: false },
  { id: 'DEMO-3', label: 'Plats 5–6', plug: 'Type2', maxPowerW: 22_000, dc: false },
  { id: 'DEMO-4', label: 'Snabbladdare', plug: 'CCS2', maxPowerW: 50_000, dc: true },
] as const

export const evseIdFor = (chargerId: string, connectorId: number) =>
  `SE*LDP*E${chargerId.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}*${connectorId}`

const acComponents: TariffComponent[] = [
  { type: 'energy', price: 495, unit: 'kWh' },
  { type: 'time', price: 0, unit: 'minute' },
  { type: 'session', price: 0, unit: 'session' },
  { type: 'idle', price: 100, unit: 'minute', graceMinutes: 30, capAmount: 6000 },
]

const dcComponents: TariffComponent[] = [
  { type: 'energy', price: 695, unit: 'kWh' },
  { type: 'time', price: 0, unit: 'minute' },
  { type: 'session', price: 0, unit: 'session' },
  { type: 'idle', price: 300, unit: 'minute', graceMinutes: 15, capAmount: 9000 },
]

/** Demo accounts (sign in with a code from the development outbox): the site's owner and support. */
export const demoOwnerEmail = 'owner@demo.laddpunkt.test'
export const demoSupportEmail = 'support@demo.laddpunkt.test'

/** Seeds the demo site when the database has no site yet. Returns whether it seeded. */
export async function seedDemo(db: Db): Promise<boolean> {
  const [{ count }] = await db.select({ count: sql<number>`count(*)::int` }).from(sites)
  if (count > 0) return false
  await db.transaction(async (tx) => {
    await tx.insert(sites).values({
      id: demoSiteId,
      name: 'Demo Garage',
      legalName: 'Laddpunkt Demo AB',
      orgNumber: '559123-4567',
      vatNumber: 'SE559123456701',
      street: 'Sveavägen 44',
      postalCode: '111 34',
      city: 'Stockholm',
      country: 'SE',
      currency: 'SEK',
      timezone: 'Europe/Stockholm',
      accessMode: 'paid',
    })
    const [ac] = await tx
      .insert(tariffs)
      .values({ siteId: demoSiteId, currency: 'SEK', vatRateBp: 2500, components: acComponents, holdAmount: 30_000 })
      .returning()
    const [dc] = await tx
      .insert(tariffs)
      .values({ siteId: demoSiteId, currency: 'SEK', vatRateBp: 2500, components: dcComponents, holdAmount: 50_000 })
      .returning()
    await tx.insert(users).values([
      { id: 'demo-owner', email: demoOwnerEmail, name: 'Demo Owner' },
      { id: 'demo-support', email: demoSupportEmail, name: 'Demo Support' },
    ])
    await tx.insert(userRoles).values([
      { userId: 'demo-owner', role: 'owner', siteId: demoSiteId },
      { userId: 'demo-support', role: 'support', siteId: null },
    ])
    for (const charger of demoChargers) {
      await tx.insert(chargers).values({
        id: charger.id,
        siteId: demoSiteId,
        tariffId: charger.dc ? dc.id : ac.id,
        label: charger.label,
        passwordHash: await hashPassword(demoChargerPassword(charger.id)),
      })
      for (const connectorId of [1, 2]) {
        await tx.insert(connectors).values({
          chargerId: charger.id,
          connectorId,
          evseId: evseIdFor(charger.id, connectorId),
          plug: charger.plug,
          maxPowerW: charger.maxPowerW,
        })
      }
    }
  })
  return true
}
