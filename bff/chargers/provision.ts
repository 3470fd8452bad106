import { asc, eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { chargers, connectors, sites, tariffs } from '../store/schema'
import { evseIdFor } from '../store/seed'
import { hashPassword, newToken } from '../secrets'
import { AppError } from '../errors'
import { bindZaptecCharger } from '../charging/zaptec/installations'

export interface NewCharger {
  id: string
  siteId: string
  connectors: number
  maxPowerW?: number
  plug?: string
  label?: string
  /** How the charger reaches us: OCPP (default), or Zaptec's cloud (the site's Zaptec installation must be set up). */
  gateway?: 'ocpp' | 'zaptec'
  /** Zaptec: the charger's id in Zaptec's portal (a GUID). */
  zaptecChargerId?: string
}

export interface OcppChargerCreated {
  id: string
  siteId: string
  gateway: 'ocpp'
  ocppUrl: string
  /** Shown once. */
  password: string
}

export interface ZaptecChargerCreated {
  id: string
  siteId: string
  gateway: 'zaptec'
  zaptecChargerId: string
}

/** OCPP chargePointId: what a charger can put in its URL path. */
const chargerIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,47}$/

/**
 * Creates a charger with its connectors and a generated OCPP password, returned once and stored
 * only as a hash; a Zaptec charger instead gets one connector and no password (Zaptec's cloud speaks
 * for it). The charger gets the site's first tariff.
 */
export async function provisionCharger(db: Db, input: NewCharger & { gateway?: 'ocpp' }, publicUrl: string): Promise<OcppChargerCreated>
export async function provisionCharger(db: Db, input: NewCharger, publicUrl: string): Promise<OcppChargerCreated | ZaptecChargerCreated>
export async function provisionCharger(db: Db, input: NewCharger, publicUrl: string): Promise<OcppChargerCreated | ZaptecChargerCreated> {
  const gateway = input.gateway ?? 'ocpp'
  if (gateway === 'zaptec' && !input.zaptecChargerId) throw new AppError(400, 'zaptec_charger_required', 'A Zaptec charger needs its Zaptec charger id (--zaptec-charger).')
  // A Zaptec charger has one connector.
  const connectorCount = gateway === 'zaptec' ? 1 : input.connectors
  if (!chargerIdPattern.test(input.id)) {
    throw new AppError(400, 'invalid_charger_id', 'A charger id is 1–48 letters, digits, "-", "_", "." or ":".')
  }
  if (!Number.isInteger(connectorCount) || connectorCount < 1 || connectorCount > 8) {
    throw new AppError(400, 'invalid_connectors', 'A charger has 1 to 8 connectors.')
  }
  const [site] = await db.select().from(sites).where(eq(sites.id, input.siteId))
  if (!site) throw new AppError(404, 'site_not_found', `No site "${input.siteId}".`)
  const [tariff] = await db.select().from(tariffs).where(eq(tariffs.siteId, site.id)).orderBy(asc(tariffs.id)).limit(1)
  if (!tariff) throw new AppError(409, 'site_has_no_tariff', `Site "${site.id}" has no tariff yet.`)
  const [existing] = await db.select({ id: chargers.id }).from(chargers).where(eq(chargers.id, input.id))
  if (existing) throw new AppError(409, 'charger_exists', `Charger "${input.id}" already exists.`)
  const password = gateway === 'ocpp' ? newToken(18) : null
  const passwordHash = password ? await hashPassword(password) : null
  await db.transaction(async (tx) => {
    await tx.insert(chargers).values({ id: input.id, siteId: site.id, tariffId: tariff.id, label: input.label ?? null, gateway, passwordHash })
    for (let n = 1; n <= connectorCount; n++) {
      await tx.insert(connectors).values({
        chargerId: input.id,
        connectorId: n,
        evseId: evseIdFor(input.id, n),
        plug: input.plug ?? 'Type2',
        maxPowerW: input.maxPowerW ?? 22_000,
      })
    }
    if (gateway === 'zaptec') await bindZaptecCharger(tx as unknown as Db, { chargerId: input.id, siteId: site.id, zaptecChargerId: input.zaptecChargerId! })
  })
  if (gateway === 'zaptec') return { id: input.id, siteId: site.id, gateway: 'zaptec', zaptecChargerId: input.zaptecChargerId!.toLowerCase() }
  const ocppUrl = `${publicUrl.replace(/^http/, 'ws')}/ocpp/${encodeURIComponent(input.id)}`
  return { id: input.id, siteId: site.id, gateway: 'ocpp', ocppUrl, password: password! }
}
