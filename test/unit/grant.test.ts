import { describe, expect, it } from 'vitest'
import {
  capLeft,
  covers,
  grantComponents,
  grantStatus,
  monthOf,
  monthRange,
  monthStart,
  nextMonth,
  noUsage,
  priceKind,
  startDecision,
  type GrantTerms,
  type GrantUsage,
} from '../../bff/domain/grant'
import type { TariffComponent } from '../../bff/domain/tariff'

const now = new Date('2025-03-15T12:00:00Z')
const day = 86_400_000

function grant(over: Partial<GrantTerms> = {}): GrantTerms {
  return {
    id: 'g1',
    siteId: 'demo',
    chargerId: null,
    userId: 'u1',
    validFrom: null,
    validUntil: null,
    revokedAt: null,
    tariffOverride: null,
    capEnergyWh: null,
    capAmount: null,
    ...over,
  }
}

const at = (usage: Record<string, GrantUsage> = {}) => ({ siteId: 'demo', chargerId: 'DEMO-1', now, usage: (id: string) => usage[id] ?? noUsage })

describe('grantStatus', () => {
  it('is active with no window and a user', () => expect(grantStatus(grant(), now)).toBe('active'))
  it('is pending while no account holds it', () => expect(grantStatus(grant({ userId: null }), now)).toBe('pending'))
  it('is revoked from the moment of revocation', () => {
    expect(grantStatus(grant({ revokedAt: now }), now)).toBe('revoked')
    expect(grantStatus(grant({ revokedAt: new Date(now.getTime() + 1) }), now)).toBe('active')
  })
  it('expires at validUntil exactly', () => {
    expect(grantStatus(grant({ validUntil: now }), now)).toBe('expired')
    expect(grantStatus(grant({ validUntil: new Date(now.getTime() + 1) }), now)).toBe('active')
  })
  it('is not yet valid before validFrom, valid at it', () => {
    expect(grantStatus(grant({ validFrom: new Date(now.getTime() + 1) }), now)).toBe('not_yet_valid')
    expect(grantStatus(grant({ validFrom: now }), now)).toBe('active')
  })
  it('names revocation before expiry before the window', () => {
    const past = new Date(now.getTime() - day)
    const future = new Date(now.getTime() + day)
    expect(grantStatus(grant({ revokedAt: past, validUntil: past }), now)).toBe('revoked')
    expect(grantStatus(grant({ validUntil: past, validFrom: future }), now)).toBe('expired')
    expect(grantStatus(grant({ validFrom: future, userId: null }), now)).toBe('not_yet_valid')
  })
})

describe('covers', () => {
  it('a site grant covers every charger of the site', () => {
    expect(covers(grant(), 'DEMO-1', 'demo')).toBe(true)
    expect(covers(grant(), 'DEMO-4', 'demo')).toBe(true)
  })
  it('a charger grant covers that charger only', () => {
    expect(covers(grant({ chargerId: 'DEMO-2' }), 'DEMO-2', 'demo')).toBe(true)
    expect(covers(grant({ chargerId: 'DEMO-2' }), 'DEMO-1', 'demo')).toBe(false)
  })
  it('never covers another site', () => expect(covers(grant(), 'OTHER-1', 'other')).toBe(false))
})

describe('capLeft', () => {
  it('has no caps: nothing left to count, never reached', () => expect(capLeft(grant(), { energyWh: 1e9, amount: 1e9 })).toEqual({ energyWh: null, amount: null, reached: false }))
  it('counts down each cap and stops at zero', () => {
    const g = grant({ capEnergyWh: 10_000, capAmount: 5_000 })
    expect(capLeft(g, { energyWh: 2_500, amount: 1_000 })).toEqual({ energyWh: 7_500, amount: 4_000, reached: false })
    expect(capLeft(g, { energyWh: 12_000, amount: 1_000 })).toEqual({ energyWh: 0, amount: 4_000, reached: true })
    expect(capLeft(g, { energyWh: 0, amount: 5_000 })).toEqual({ energyWh: 10_000, amount: 0, reached: true })
  })
  it('one Wh below the cap is not reached', () => expect(capLeft(grant({ capEnergyWh: 100 }), { energyWh: 99, amount: 0 }).reached).toBe(false))
  it('exactly at the cap is reached', () => {
    expect(capLeft(grant({ capEnergyWh: 100 }), { energyWh: 100, amount: 0 })).toEqual({ energyWh: 0, amount: null, reached: true })
    expect(capLeft(grant({ capAmount: 500 }), { energyWh: 0, amount: 500 }).reached).toBe(true)
  })
  it('a stop at the cap uses the month up, though it came before the cap; caps set again after it count afresh', () => {
    const stop = new Date('2026-05-10T12:00:00Z')
    const used = { energyWh: 480, amount: 0, capStopAt: stop }
    expect(capLeft(grant({ capEnergyWh: 500 }), used)).toEqual({ energyWh: 0, amount: null, reached: true })
    expect(capLeft(grant({ capEnergyWh: 500, capsChangedAt: new Date('2026-05-01T00:00:00Z') }), used).reached).toBe(true)
    expect(capLeft(grant({ capEnergyWh: 900, capsChangedAt: new Date('2026-05-11T00:00:00Z') }), used)).toEqual({ energyWh: 420, amount: null, reached: false })
    // Without caps a stop at the cap cannot have happened (or no longer matters).
    expect(capLeft(grant(), used).reached).toBe(false)
  })
})

describe('prices', () => {
  const site: TariffComponent[] = [
    { type: 'energy', price: 495, unit: 'kWh' },
    { type: 'idle', price: 100, unit: 'minute', graceMinutes: 30 },
  ]
  const mine: TariffComponent[] = [{ type: 'energy', price: 200, unit: 'kWh' }]
  it('free keeps the lines with every price 0', () => {
    expect(grantComponents(grant({ tariffOverride: { kind: 'free' } }), site)).toEqual([
      { type: 'energy', price: 0, unit: 'kWh' },
      { type: 'idle', price: 0, unit: 'minute', graceMinutes: 30 },
    ])
  })
  it('private uses the override, none the site price', () => {
    expect(grantComponents(grant({ tariffOverride: { kind: 'tariff', components: mine } }), site)).toEqual(mine)
    expect(grantComponents(grant(), site)).toBe(site)
  })
  it('names the kind', () => {
    expect(priceKind(grant({ tariffOverride: { kind: 'free' } }))).toBe('free')
    expect(priceKind(grant({ tariffOverride: { kind: 'tariff', components: mine } }))).toBe('private')
    expect(priceKind(grant())).toBe('site')
  })
})

describe('startDecision', () => {
  it('refuses with no_grant when nothing covers the charger', () => {
    const d = startDecision([grant({ chargerId: 'DEMO-2' }), grant({ id: 'g2', siteId: 'other' })], at())
    expect(d).toMatchObject({ ok: false, code: 'no_grant' })
  })
  it('accepts an active covering grant', () => {
    const g = grant()
    expect(startDecision([g], at())).toEqual({ ok: true, grant: g })
  })
  it('picks free over private over the site price', () => {
    const site = grant({ id: 'site' })
    const priv = grant({ id: 'private', tariffOverride: { kind: 'tariff', components: [{ type: 'energy', price: 1, unit: 'kWh' }] } })
    const free = grant({ id: 'free', tariffOverride: { kind: 'free' } })
    expect(startDecision([site, priv, free], at())).toMatchObject({ ok: true, grant: { id: 'free' } })
    expect(startDecision([site, priv], at())).toMatchObject({ ok: true, grant: { id: 'private' } })
  })
  it('skips a better grant that is used up', () => {
    const free = grant({ id: 'free', tariffOverride: { kind: 'free' }, capEnergyWh: 1000 })
    const site = grant({ id: 'site' })
    expect(startDecision([free, site], at({ free: { energyWh: 1000, amount: 0 } }))).toMatchObject({ ok: true, grant: { id: 'site' } })
  })
  it('says why: cap reached, expired, not yet valid, revoked', () => {
    expect(startDecision([grant({ capAmount: 100 })], at({ g1: { energyWh: 0, amount: 100 } }))).toMatchObject({ ok: false, code: 'grant_cap_reached' })
    expect(startDecision([grant({ validUntil: new Date('2025-03-01T00:00:00Z') })], at())).toMatchObject({
      ok: false,
      code: 'grant_expired',
      message: expect.stringContaining('2025-03-01'),
    })
    expect(startDecision([grant({ validFrom: new Date('2025-04-01T00:00:00Z') })], at())).toMatchObject({ ok: false, code: 'grant_not_yet_valid' })
    expect(startDecision([grant({ revokedAt: new Date('2025-03-10T00:00:00Z') })], at())).toMatchObject({ ok: false, code: 'grant_revoked' })
  })
  it('prefers the most useful reason among several refusals', () => {
    const revoked = grant({ id: 'a', revokedAt: now })
    const expired = grant({ id: 'b', validUntil: now })
    const capped = grant({ id: 'c', capEnergyWh: 1 })
    expect(startDecision([revoked, expired], at())).toMatchObject({ code: 'grant_expired' })
    expect(startDecision([revoked, expired, capped], at({ c: { energyWh: 1, amount: 0 } }))).toMatchObject({ code: 'grant_cap_reached' })
  })
  it('ignores pending grants (not yet linked to an account)', () => {
    expect(startDecision([grant({ userId: null })], at())).toMatchObject({ ok: false, code: 'no_grant' })
  })
})

describe('months in a timezone', () => {
  const tz = 'Europe/Stockholm'
  it('puts the last hours of UTC month into the next Stockholm month', () => {
    expect(monthOf(new Date('2025-01-31T22:59:59Z'), tz)).toBe('2025-01')
    expect(monthOf(new Date('2025-01-31T23:00:00Z'), tz)).toBe('2025-02')
    expect(monthOf(new Date('2025-06-30T22:00:00Z'), tz)).toBe('2025-07') // summer time: UTC+2
    expect(monthOf(new Date('2025-06-30T21:59:59Z'), tz)).toBe('2025-06')
  })
  it('finds the first instant of a month, winter and summer', () => {
    expect(monthStart('2025-02', tz).toISOString()).toBe('2025-01-31T23:00:00.000Z')
    expect(monthStart('2025-07', tz).toISOString()).toBe('2025-06-30T22:00:00.000Z')
    expect(monthStart('2025-04', tz).toISOString()).toBe('2025-03-31T22:00:00.000Z') // just after the spring change
    expect(monthStart('2025-11', tz).toISOString()).toBe('2025-10-31T23:00:00.000Z') // just after the autumn change
    expect(monthStart('2025-03', 'UTC').toISOString()).toBe('2025-03-01T00:00:00.000Z')
  })
  it('rolls the year over', () => {
    expect(nextMonth('2025-12')).toBe('2026-01')
    expect(nextMonth('2025-09')).toBe('2025-10')
  })
  it('gives the month an instant falls in as [start, end)', () => {
    const r = monthRange(new Date('2025-03-31T22:30:00Z'), tz) // 00:30 on 1 April in Stockholm
    expect(r).toEqual({ month: '2025-04', start: new Date('2025-03-31T22:00:00Z'), end: new Date('2025-04-30T22:00:00Z') })
  })
})
