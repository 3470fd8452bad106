import { describe, expect, it } from 'vitest'
import { billingStart, billingStop } from '../../bff/domain/billing-clock'

const at = (iso: string) => new Date(iso)
const minute = 60_000
const tolerance = 5 * minute
const createdAt = at('2026-05-01T10:00:00Z')

describe('billingStart', () => {
  it('believes a charger whose clock agrees with ours', () => {
    const start = billingStart({ chargerAt: at('2026-05-01T10:01:00Z'), receivedAt: at('2026-05-01T10:01:02Z'), createdAt, toleranceMs: tolerance })
    expect(start).toEqual({ startedAt: at('2026-05-01T10:01:00Z'), skewMs: -2000, chargerClock: true })
  })

  it('believes a start delivered late after the charger was offline, as long as it is after the session began', () => {
    const start = billingStart({ chargerAt: at('2026-05-01T10:02:00Z'), receivedAt: at('2026-05-01T11:30:00Z'), createdAt, toleranceMs: tolerance })
    expect(start.chargerClock).toBe(true)
    expect(start.startedAt).toEqual(at('2026-05-01T10:02:00Z'))
  })

  it('never starts later than the message arrived, also with a charger slightly ahead', () => {
    const start = billingStart({ chargerAt: at('2026-05-01T10:03:00Z'), receivedAt: at('2026-05-01T10:01:00Z'), createdAt, toleranceMs: tolerance })
    expect(start).toMatchObject({ startedAt: at('2026-05-01T10:01:00Z'), chargerClock: true })
  })

  it.each([
    ['an hour behind', '2026-05-01T09:01:00Z', -3600_000],
    ['six hours ahead', '2026-05-01T16:01:00Z', 6 * 3600_000],
    ['reset to 1970', '1970-01-01T00:00:00Z', at('1970-01-01T00:00:00Z').getTime() - at('2026-05-01T10:01:00Z').getTime()],
    ['in 2099', '2099-01-01T00:00:00Z', at('2099-01-01T00:00:00Z').getTime() - at('2026-05-01T10:01:00Z').getTime()],
  ])('runs on our clock when the charger is %s, and records the skew', (_, charger, skew) => {
    const start = billingStart({ chargerAt: at(charger), receivedAt: at('2026-05-01T10:01:00Z'), createdAt, toleranceMs: tolerance })
    expect(start).toEqual({ startedAt: at('2026-05-01T10:01:00Z'), skewMs: skew, chargerClock: false })
  })

  it('runs on our clock when the charger sends an invalid date', () => {
    const start = billingStart({ chargerAt: new Date('nope'), receivedAt: at('2026-05-01T10:01:00Z'), createdAt, toleranceMs: tolerance })
    expect(start).toEqual({ startedAt: at('2026-05-01T10:01:00Z'), skewMs: 0, chargerClock: false })
  })
})

describe('billingStop', () => {
  const startedAt = at('2026-05-01T10:01:00Z')

  it('takes the charger\'s stop when its clock was believed, also delivered late', () => {
    const stop = billingStop({ chargerAt: at('2026-05-01T10:31:00Z'), receivedAt: at('2026-05-01T12:00:00Z'), startedAt, skewMs: 0, chargerClock: true })
    expect(stop).toEqual(at('2026-05-01T10:31:00Z'))
  })

  it('translates the stop of a charger an hour behind by the skew seen at the start', () => {
    const stop = billingStop({ chargerAt: at('2026-05-01T09:31:00Z'), receivedAt: at('2026-05-01T10:31:01Z'), startedAt, skewMs: -3600_000, chargerClock: false })
    expect(stop).toEqual(at('2026-05-01T10:31:00Z'))
  })

  it('keeps the stop between the start and its arrival, whatever the clock did in between', () => {
    // reset to 1970 after a power loss mid-session: no negative time
    expect(billingStop({ chargerAt: at('1970-01-01T00:05:00Z'), receivedAt: at('2026-05-01T10:40:00Z'), startedAt, skewMs: 0, chargerClock: true })).toEqual(startedAt)
    // jumped to 2099: never past the moment the stop reached us
    expect(billingStop({ chargerAt: at('2099-01-01T00:00:00Z'), receivedAt: at('2026-05-01T10:40:00Z'), startedAt, skewMs: 0, chargerClock: true })).toEqual(at('2026-05-01T10:40:00Z'))
  })

  it('uses the arrival when the charger sends an invalid date', () => {
    expect(billingStop({ chargerAt: new Date('nope'), receivedAt: at('2026-05-01T10:40:00Z'), startedAt, skewMs: 0, chargerClock: true })).toEqual(at('2026-05-01T10:40:00Z'))
  })
})
