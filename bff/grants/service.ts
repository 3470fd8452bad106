/**
 * Grants and invites against storage: loading a driver's grants with this month's usage, deciding
 * a start, linking grants made out to an email once that email signs in, and the JSON views.
 */
import { and, eq, gte, inArray, isNull, lt, notInArray, sql } from 'drizzle-orm'
import type { Db } from '../store/db'
import { grants, invites, sessionEvents, sessions, sites } from '../store/schema'
import {
  capLeft,
  grantComponents,
  grantStatus,
  monthRange,
  noUsage,
  priceKind,
  startDecision,
  type CapLeft,
  type GrantStatus,
  type GrantUsage,
  type StartDecision,
  type StartRefusal,
  type TariffOverride,
} from '../domain/grant'
import type { TariffComponent } from '../domain/tariff'

export type GrantRow = typeof grants.$inferSelect
export type InviteRow = typeof invites.$inferSelect

export interface GrantView {
  id: string
  siteId: string
  siteName: string
  chargerId: string | null
  email: string | null
  userId: string | null
  label: string | null
  validFrom: string | null
  validUntil: string | null
  tariffOverride: TariffOverride | null
  capEnergyWh: number | null
  capAmount: number | null
  createdAt: string
  revokedAt: string | null
  status: GrantStatus
  usedThisMonth: { energyWh: number; amount: number }
}

export interface InviteView {
  id: string
  siteId: string
  chargerId: string | null
  label: string | null
  grantValidUntil: string | null
  tariffOverride: TariffOverride | null
  capEnergyWh: number | null
  capAmount: number | null
  maxUses: number
  uses: number
  expiresAt: string
  createdAt: string
  revokedAt: string | null
  usable: boolean
  reason: InviteRefusal | null
}

export type InviteRefusal = 'expired' | 'revoked' | 'used_up'

/** A grant as the charger page shows it: the best one covering this charger for this driver. */
export interface ChargerGrant {
  id: string
  label: string | null
  price: 'free' | 'private' | 'site'
  capLeft: CapLeft
  caps: { energyWh: number | null; amount: number | null }
  /** The grant's components: what this driver is priced with. */
  components: TariffComponent[]
}

const iso = (d: Date | null) => d?.toISOString() ?? null

export function grantView(g: GrantRow, siteName: string, used: GrantUsage, now: Date): GrantView {
  return {
    id: g.id,
    siteId: g.siteId,
    siteName,
    chargerId: g.chargerId,
    email: g.email,
    userId: g.userId,
    label: g.label,
    validFrom: iso(g.validFrom),
    validUntil: iso(g.validUntil),
    tariffOverride: g.tariffOverride,
    capEnergyWh: g.capEnergyWh,
    capAmount: g.capAmount,
    createdAt: g.createdAt.toISOString(),
    revokedAt: iso(g.revokedAt),
    status: grantStatus(g, now),
    usedThisMonth: { energyWh: used.energyWh, amount: used.amount },
  }
}

export function inviteRefusal(i: InviteRow, now: Date): InviteRefusal | null {
  if (i.revokedAt) return 'revoked'
  if (now.getTime() >= i.expiresAt.getTime()) return 'expired'
  if (i.uses >= i.maxUses) return 'used_up'
  return null
}

export function inviteView(i: InviteRow, now: Date): InviteView {
  const reason = inviteRefusal(i, now)
  return {
    id: i.id,
    siteId: i.siteId,
    chargerId: i.chargerId,
    label: i.label,
    grantValidUntil: iso(i.grantValidUntil),
    tariffOverride: i.tariffOverride,
    capEnergyWh: i.capEnergyWh,
    capAmount: i.capAmount,
    maxUses: i.maxUses,
    uses: i.uses,
    expiresAt: i.expiresAt.toISOString(),
    createdAt: i.createdAt.toISOString(),
    revokedAt: iso(i.revokedAt),
    usable: reason === null,
    reason,
  }
}

/**
 * This month's use of each grant (month in the site's timezone): energy and cost of its sessions,
 * failed and cancelled ones left out. `except` leaves one session out (the one being metered).
 */
export async function usageThisMonth(db: Db, list: Pick<GrantRow, 'id' | 'siteId'>[], now: Date, except?: string): Promise<Map<string, GrantUsage>> {
  const usage = new Map<string, GrantUsage>()
  if (list.length === 0) return usage
  const siteIds = [...new Set(list.map((g) => g.siteId))]
  const zones = await db.select({ id: sites.id, timezone: sites.timezone }).from(sites).where(inArray(sites.id, siteIds))
  for (const zone of zones) {
    const ids = list.filter((g) => g.siteId === zone.id).map((g) => g.id)
    const { start, end } = monthRange(now, zone.timezone)
    const startedAt = sql`coalesce(${sessions.startedAt}, ${sessions.createdAt})`
    const rows = await db
      .select({
        grantId: sessions.grantId,
        energyWh: sql<number>`coalesce(sum(${sessions.energyWh}), 0)::int`,
        amount: sql<number>`coalesce(sum(${sessions.costTotal}), 0)::int`,
      })
      .from(sessions)
      .where(
        and(
          inArray(sessions.grantId, ids),
          notInArray(sessions.state, ['failed', 'cancelled']),
          gte(startedAt, start),
          lt(startedAt, end),
          except ? sql`${sessions.id} <> ${except}` : undefined,
        ),
      )
      .groupBy(sessions.grantId)
    const capStops = await db
      .select({ grantId: sessions.grantId, at: sql<Date | string>`max(${sessionEvents.at})` })
      .from(sessions)
      .innerJoin(sessionEvents, eq(sessionEvents.sessionId, sessions.id))
      .where(
        and(
          inArray(sessions.grantId, ids),
          eq(sessionEvents.kind, 'stop_requested'),
          sql`${sessionEvents.data}->>'reason' = 'grant_cap'`,
          gte(startedAt, start),
          lt(startedAt, end),
          except ? sql`${sessions.id} <> ${except}` : undefined,
        ),
      )
      .groupBy(sessions.grantId)
    for (const r of rows) usage.set(r.grantId!, { energyWh: r.energyWh, amount: r.amount })
    for (const r of capStops) {
      const used = usage.get(r.grantId!) ?? { ...noUsage }
      usage.set(r.grantId!, { ...used, capStopAt: new Date(r.at) })
    }
  }
  return usage
}

export async function grantsOfUser(db: Db, userId: string, siteId?: string): Promise<GrantRow[]> {
  return db
    .select()
    .from(grants)
    .where(and(eq(grants.userId, userId), siteId ? eq(grants.siteId, siteId) : undefined))
}

/** Whether the user may start at this charger now under one of their grants, and which. */
export async function decideStart(db: Db, at: { userId: string; siteId: string; chargerId: string; now: Date }): Promise<StartDecision<GrantRow>> {
  const mine = await grantsOfUser(db, at.userId, at.siteId)
  const usage = await usageThisMonth(db, mine, at.now)
  return startDecision(mine, { siteId: at.siteId, chargerId: at.chargerId, now: at.now, usage: (id) => usage.get(id) ?? noUsage })
}

/**
 * The charger page's view of the driver's access here: their best usable grant (priced from the
 * site's components), or why the grants they have here cannot start now (a used-up cap, say).
 */
export async function chargerGrant(
  db: Db,
  at: { userId: string; siteId: string; chargerId: string; now: Date; siteComponents: TariffComponent[] },
): Promise<{ grant: ChargerGrant } | { refused: Exclude<StartRefusal, 'no_grant'> } | null> {
  const decision = await decideStart(db, at)
  if (!decision.ok) return decision.code === 'no_grant' ? null : { refused: decision.code }
  const g = decision.grant
  const usage = await usageThisMonth(db, [g], at.now)
  const grant: ChargerGrant = {
    id: g.id,
    label: g.label,
    price: priceKind(g),
    capLeft: capLeft(g, usage.get(g.id) ?? noUsage),
    caps: { energyWh: g.capEnergyWh, amount: g.capAmount },
    components: grantComponents(g, at.siteComponents),
  }
  return { grant }
}

/** Grants made out to this email before it had an account become the user's when they sign in. */
export async function linkPendingGrants(db: Db, userId: string, email: string): Promise<number> {
  const linked = await db
    .update(grants)
    .set({ userId })
    .where(and(eq(grants.email, email), isNull(grants.userId)))
    .returning({ id: grants.id })
  return linked.length
}

/** Views of grants with their usage this month. */
export async function grantViews(db: Db, list: GrantRow[], now: Date): Promise<GrantView[]> {
  if (list.length === 0) return []
  const usage = await usageThisMonth(db, list, now)
  const names = await db
    .select({ id: sites.id, name: sites.name })
    .from(sites)
    .where(inArray(sites.id, [...new Set(list.map((g) => g.siteId))]))
  const nameOf = new Map(names.map((s) => [s.id, s.name]))
  return list.map((g) => grantView(g, nameOf.get(g.siteId) ?? '', usage.get(g.id) ?? noUsage, now))
}
