/**
 * Access grants: who may start where, on what terms. Pure rules, no database: the callers load the
 * grants and this month's usage, and these functions decide.
 */
import type { TariffComponent } from './tariff'

export type TariffOverride = { kind: 'free' } | { kind: 'tariff'; components: TariffComponent[] }

export interface GrantTerms {
  id: string
  siteId: string
  /** Null: every charger of the site. */
  chargerId: string | null
  /** Null until the driver has an account (a grant to an email that has not signed in yet). */
  userId: string | null
  validFrom: Date | null
  validUntil: Date | null
  revokedAt: Date | null
  tariffOverride: TariffOverride | null
  capEnergyWh: number | null
  capAmount: number | null
  /** When the owner last changed the caps (null: as granted). */
  capsChangedAt?: Date | null
}

export type GrantStatus = 'active' | 'pending' | 'expired' | 'revoked' | 'not_yet_valid'

/** This month's use of one grant: energy and cost of its sessions (failed and cancelled ones left out). */
export interface GrantUsage {
  energyWh: number
  amount: number
  /**
   * The last time this month a session of the grant was stopped at its cap. The stop comes one
   * metering interval early, so the use stays a little under the cap: the month is used up all the same.
   */
  capStopAt?: Date | null
}

export const noUsage: GrantUsage = { energyWh: 0, amount: 0 }

/** Revoked beats expired beats not yet valid beats pending: the first reason a start is refused. */
export function grantStatus(g: Pick<GrantTerms, 'userId' | 'validFrom' | 'validUntil' | 'revokedAt'>, now: Date): GrantStatus {
  if (g.revokedAt && g.revokedAt.getTime() <= now.getTime()) return 'revoked'
  if (g.validUntil && now.getTime() >= g.validUntil.getTime()) return 'expired'
  if (g.validFrom && now.getTime() < g.validFrom.getTime()) return 'not_yet_valid'
  if (!g.userId) return 'pending'
  return 'active'
}

export function covers(g: Pick<GrantTerms, 'siteId' | 'chargerId'>, chargerId: string, siteId: string): boolean {
  return g.siteId === siteId && (g.chargerId === null || g.chargerId === chargerId)
}

export interface CapLeft {
  /** Null: no cap of that kind. */
  energyWh: number | null
  amount: number | null
  reached: boolean
}

/**
 * What is left of this month's caps. Reached when the use is at (or over) a cap, or when a session
 * was stopped at the cap since the owner last set the caps: a new start would be stopped at once.
 */
export function capLeft(g: Pick<GrantTerms, 'capEnergyWh' | 'capAmount' | 'capsChangedAt'>, used: GrantUsage): CapLeft {
  const capped = g.capEnergyWh !== null || g.capAmount !== null
  const stopped = capped && !!used.capStopAt && (!g.capsChangedAt || used.capStopAt.getTime() > g.capsChangedAt.getTime())
  const energyWh = g.capEnergyWh === null ? null : stopped ? 0 : Math.max(0, g.capEnergyWh - used.energyWh)
  const amount = g.capAmount === null ? null : stopped ? 0 : Math.max(0, g.capAmount - used.amount)
  return { energyWh, amount, reached: energyWh === 0 || amount === 0 }
}

/** What a driver pays under the grant: nothing, a private price, or the site's price. */
export function priceKind(g: Pick<GrantTerms, 'tariffOverride'>): 'free' | 'private' | 'site' {
  if (!g.tariffOverride) return 'site'
  return g.tariffOverride.kind === 'free' ? 'free' : 'private'
}

const priceRank = { free: 0, private: 1, site: 2 } as const

/**
 * The components a grant session is priced with: free keeps the site's components with every
 * price 0 (the receipt still shows energy and time), private uses the override's.
 */
export function grantComponents(g: Pick<GrantTerms, 'tariffOverride'>, siteComponents: TariffComponent[]): TariffComponent[] {
  const override = g.tariffOverride
  if (!override) return siteComponents
  if (override.kind === 'tariff') return override.components
  return siteComponents.map((c) => ({ ...c, price: 0 }))
}

export type StartRefusal = 'no_grant' | 'grant_expired' | 'grant_not_yet_valid' | 'grant_revoked' | 'grant_cap_reached'

export type StartDecision<G extends GrantTerms> = { ok: true; grant: G } | { ok: false; code: StartRefusal; message: string }

/** Among the refusals, the one that tells the driver most: a used-up cap, then a grant not valid yet, expired, revoked. */
const refusalOrder: StartRefusal[] = ['grant_cap_reached', 'grant_not_yet_valid', 'grant_expired', 'grant_revoked']

/**
 * Whether a driver holding `grants` may start at this charger now, and under which grant: the
 * cheapest usable one (free over private over the site's price).
 */
export function startDecision<G extends GrantTerms>(
  grants: G[],
  at: { siteId: string; chargerId: string; now: Date; usage: (grantId: string) => GrantUsage },
): StartDecision<G> {
  const covering = grants.filter((g) => covers(g, at.chargerId, at.siteId))
  const refusals: { code: StartRefusal; grant: G }[] = []
  const usable: G[] = []
  for (const g of covering) {
    const status = grantStatus(g, at.now)
    if (status === 'revoked') refusals.push({ code: 'grant_revoked', grant: g })
    else if (status === 'expired') refusals.push({ code: 'grant_expired', grant: g })
    else if (status === 'not_yet_valid') refusals.push({ code: 'grant_not_yet_valid', grant: g })
    else if (status === 'active') {
      if (capLeft(g, at.usage(g.id)).reached) refusals.push({ code: 'grant_cap_reached', grant: g })
      else usable.push(g)
    }
  }
  if (usable.length > 0) {
    const best = [...usable].sort((a, b) => priceRank[priceKind(a)] - priceRank[priceKind(b)])[0]
    return { ok: true, grant: best }
  }
  if (refusals.length === 0) return { ok: false, code: 'no_grant', message: refusalMessage('no_grant', null) }
  refusals.sort((a, b) => refusalOrder.indexOf(a.code) - refusalOrder.indexOf(b.code))
  const { code, grant } = refusals[0]
  return { ok: false, code, message: refusalMessage(code, grant) }
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : '')

function refusalMessage(code: StartRefusal, g: GrantTerms | null): string {
  switch (code) {
    case 'no_grant':
      return 'You have no access to this charger. Ask its owner for an invite, or pay by card where the charger takes cards.'
    case 'grant_expired':
      return `Your access to this charger ended on ${day(g!.validUntil)}. Ask its owner to extend it.`
    case 'grant_not_yet_valid':
      return `Your access to this charger starts on ${day(g!.validFrom)}.`
    case 'grant_revoked':
      return 'The owner has withdrawn your access to this charger.'
    case 'grant_cap_reached':
      return "You have used this month's allowance for this charger. It renews on the first of next month."
  }
}

// ——— months in a timezone ———

function wallClock(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at)
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value)
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') }
}

/** 'YYYY-MM' of an instant as the clock on the wall shows it in `timeZone`. */
export function monthOf(at: Date, timeZone: string): string {
  const { year, month } = wallClock(at, timeZone)
  return `${year}-${String(month).padStart(2, '0')}`
}

/** Offset of `timeZone` from UTC at an instant, in ms (Stockholm in summer: +2 h). */
function offsetMs(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone)
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return asUtc - Math.floor(at.getTime() / 1000) * 1000
}

/** The instant a month ('YYYY-MM') begins in `timeZone`. */
export function monthStart(month: string, timeZone: string): Date {
  const [year, m] = month.split('-').map(Number)
  const naive = Date.UTC(year, m - 1, 1)
  // The offset at midnight can differ from the offset a few hours off it; one correction settles it.
  const first = naive - offsetMs(new Date(naive), timeZone)
  return new Date(naive - offsetMs(new Date(first), timeZone))
}

export function nextMonth(month: string): string {
  const [year, m] = month.split('-').map(Number)
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`
}

/** The month `at` falls in, as [start, end) instants in `timeZone`. */
export function monthRange(at: Date, timeZone: string): { month: string; start: Date; end: Date } {
  const month = monthOf(at, timeZone)
  return { month, start: monthStart(month, timeZone), end: monthStart(nextMonth(month), timeZone) }
}
