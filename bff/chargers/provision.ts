import { asc, eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { chargers, connectors, sites, tariffs } from '../store/schema'
import { evseIdFor } from '../store/seed'
import { hashPassword, newToken } from '../secrets'
import { AppError } from '../errors'

export interface NewCharger {
  id: string
  siteId: string
  connectors: number
  maxPowerW?: number
  plug?: string
  label?: string
}

/** OCPP chargePointId: what a charger can put in its URL path. */
const chargerIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,47}$/

/**
 * Creates a charger with its connectors and a generated OCPP password, returned once and stored
 * only as a hash. The charger gets the site's first tariff.
 */
export async function provisionCharger(db: Db, input: NewCharger, publicUrl: string) {
  if (!chargerIdPattern.test(input.id)) {
    throw new AppError(400, 'invalid_charger_id', 'A charger id is 1–48 letters, digits, "-", "_", "." or ":".')
  }
  if (!Number.isInteger(input.connectors) || input.connectors < 1 || input.connectors > 8) {
    throw new AppError(400, 'invalid_connectors', 'A charger has 1 to 8 connectors.')
  }
  const [site] = await db.select().from(sites).where(eq(sites.id, input.siteId))
  if (!site) throw new AppError(404, 'site_not_found', `No site "${input.siteId}".`)
  const [tariff] = await db.select().from(tariffs).where(eq(tariffs.siteId, site.id)).orderBy(asc(tariffs.id)).limit(1)
  if (!tariff) throw new AppError(409, 'site_has_no_tariff', `Site "${site.id}" has no tariff yet.`)
  const [existing] = await db.select({ id: chargers.id }).from(chargers).where(eq(chargers.id, input.id))
  if (existing) throw new AppError(409, 'charger_exists', `Charger "${input.id}" already exists.`)
  const password = newToken(18)
  const passwordHash = await hashPassword(password)
  await db.transaction(async (tx) => {
    await tx.insert(chargers).values({ id: input.id, siteId: site.id, tariffId: tariff.id, label: input.label ?? null, passwordHash })
    for (let n = 1; n <= input.connectors; n++) {
      await tx.insert(connectors).values({
        chargerId: input.id,
        connectorId: n,
        evseId: evseIdFor(input.id, n),
        plug: input.plug ?? 'Type2',
        maxPowerW: input.maxPowerW ?? 22_000,
      })
    }
  })
  const ocppUrl = `${publicUrl.replace(/^http/, 'ws')}/ocpp/${encodeURIComponent(input.id)}`
  return { id: input.id, siteId: site.id, ocppUrl, password }
}
