import { describe, expect, it } from 'vitest'
import {
  assertTariff, billableIdleSeconds, costOf, idleFeeOf, intervalWorth, priceOf, reachesHoldLimit, settlement,
  unplugWaitSeconds, usageTimes, type Tariff, type Usage,
} from '../../bff/domain/tariff'
import { vatOf } from '../../bff/domain/money'

/** The demo AC tariff: 4.95 SEK/kWh, 1 SEK/min idle after 30 min. */
const ac: Tariff = {
  currency: 'SEK',
  vatRateBp: 2500,
  components: [
    { type: 'energy', price: 495, unit: 'kWh' },
    { type: 'time', price: 0, unit: 'minute' },
    { type: 'session', price: 0, unit: 'session' },
    { type: 'idle', price: 100, unit: 'minute', graceMinutes: 30 },
  ],
}

/** Every component priced. */
const full: Tariff = {
  currency: 'SEK',
  vatRateBp: 2500,
  components: [
    { type: 'energy', price: 400, unit: 'kWh' },
    { type: 'time', price: 60, unit: 'minute' },
    { type: 'session', price: 500, unit: 'session' },
    { type: 'idle', price: 200, unit: 'minute', graceMinutes: 10 },
  ],
}

const energyOnly = (price: number): Tariff => ({
  currency: 'SEK', vatRateBp: 2500, components: [{ type: 'energy', price, unit: 'kWh' }],
})
const timeOnly = (price: number): Tariff => ({
  currency: 'SEK', vatRateBp: 2500, components: [{ type: 'time', price, unit: 'minute' }],
})
const idleOnly = (price: number, graceMinutes: number): Tariff => ({
  currency: 'SEK', vatRateBp: 2500, components: [{ type: 'idle', price, unit: 'minute', graceMinutes }],
})

const usage = (u: Partial<Usage>): Usage => ({ energyWh: 0, chargingSeconds: 0, idleSeconds: 0, ...u })
const at = (iso: string) => new Date(iso)

describe('usageTimes', () => {
  const now = at('2025-06-01T12:00:00Z')

  it('is zero before charging started', () => {
    expect(usageTimes({ startedAt: null, stoppedAt: null, stopSeenAt: null, unpluggedAt: null, now })).toEqual({
      chargingSeconds: 0, idleSeconds: 0,
    })
  })

  it('runs charging time to now while charging, and no idle time yet', () => {
    const t = usageTimes({ startedAt: at('2025-06-01T11:00:00Z'), stoppedAt: null, stopSeenAt: null, unpluggedAt: null, now })
    expect(t).toEqual({ chargingSeconds: 3600, idleSeconds: 0 })
  })

  it('ends charging time at the stop and runs idle time to now until unplugged', () => {
    const t = usageTimes({
      startedAt: at('2025-06-01T10:00:00Z'), stoppedAt: at('2025-06-01T11:30:00Z'), stopSeenAt: at('2025-06-01T11:30:00Z'), unpluggedAt: null, now,
    })
    expect(t).toEqual({ chargingSeconds: 5400, idleSeconds: 1800 })
  })

  it('ends idle time when the car is unplugged', () => {
    const t = usageTimes({
      startedAt: at('2025-06-01T10:00:00Z'), stoppedAt: at('2025-06-01T11:00:00Z'), stopSeenAt: at('2025-06-01T11:00:00Z'),
      unpluggedAt: at('2025-06-01T11:45:10Z'), now,
    })
    expect(t).toEqual({ chargingSeconds: 3600, idleSeconds: 2710 })
  })

  it('counts whole seconds, dropping milliseconds', () => {
    const t = usageTimes({
      startedAt: at('2025-06-01T11:59:58.001Z'), stoppedAt: at('2025-06-01T12:00:00.000Z'), stopSeenAt: at('2025-06-01T12:00:00.000Z'),
      unpluggedAt: at('2025-06-01T12:00:00.999Z'), now,
    })
    expect(t).toEqual({ chargingSeconds: 1, idleSeconds: 0 })
  })

  it('clamps at zero when the charger clock is behind ours', () => {
    const t = usageTimes({ startedAt: at('2025-06-01T12:05:00Z'), stoppedAt: null, stopSeenAt: null, unpluggedAt: null, now })
    expect(t.chargingSeconds).toBe(0)
    const u = usageTimes({
      startedAt: at('2025-06-01T11:00:00Z'), stoppedAt: at('2025-06-01T11:10:00Z'), stopSeenAt: at('2025-06-01T11:10:00Z'),
      unpluggedAt: at('2025-06-01T11:05:00Z'), now,
    })
    expect(u).toEqual({ chargingSeconds: 600, idleSeconds: 0 })
  })

  it('has no calendar effect over midnight', () => {
    const t = usageTimes({
      startedAt: at('2025-06-01T23:59:30+02:00'), stoppedAt: at('2025-06-02T00:00:30+02:00'), stopSeenAt: at('2025-06-02T00:00:30+02:00'),
      unpluggedAt: at('2025-06-02T00:31:00+02:00'), now,
    })
    expect(t).toEqual({ chargingSeconds: 60, idleSeconds: 1830 })
  })

  it('counts real elapsed time across a daylight saving change', () => {
    // Stockholm springs forward at 02:00 local on 2025-03-30: one real hour passes 01:30 -> 03:30
    const t = usageTimes({
      startedAt: at('2025-03-30T01:30:00+01:00'), stoppedAt: at('2025-03-30T03:30:00+02:00'), stopSeenAt: at('2025-03-30T03:30:00+02:00'), unpluggedAt: null,
      now: at('2025-03-30T03:30:00+02:00'),
    })
    expect(t).toEqual({ chargingSeconds: 3600, idleSeconds: 0 })
  })

  it('counts a 30 hour session', () => {
    const t = usageTimes({ startedAt: at('2025-06-01T06:00:00Z'), stoppedAt: at('2025-06-02T12:00:00Z'), stopSeenAt: at('2025-06-02T12:00:00Z'), unpluggedAt: null, now: at('2025-06-02T12:00:00Z') })
    expect(t.chargingSeconds).toBe(30 * 3600)
  })

  it('counts idle time from when the stop reached us, not from the charger\'s stop time', () => {
    // the charger's clock is an hour behind: its stop says 10:00, the stop reached us at 11:55
    const t = usageTimes({
      startedAt: at('2025-06-01T09:00:00Z'), stoppedAt: at('2025-06-01T10:00:00Z'), stopSeenAt: at('2025-06-01T11:55:00Z'),
      unpluggedAt: null, now,
    })
    expect(t).toEqual({ chargingSeconds: 3600, idleSeconds: 300 })
  })

  it('never counts more idle time than the longest wait', () => {
    const t = usageTimes({
      startedAt: at('2025-06-01T09:00:00Z'), stoppedAt: at('2025-06-01T10:00:00Z'), stopSeenAt: at('2025-06-01T10:00:00Z'),
      unpluggedAt: null, now, maxIdleSeconds: 900,
    })
    expect(t.idleSeconds).toBe(900)
  })

  it('refuses an invalid date', () => {
    expect(() => usageTimes({ startedAt: new Date('nope'), stoppedAt: null, stopSeenAt: null, unpluggedAt: null, now })).toThrow(RangeError)
  })
})

describe('costOf', () => {
  it('prices energy per Wh, rounded once half up', () => {
    const cost = costOf(ac, usage({ energyWh: 12_345, chargingSeconds: 3600 }))
    // 12.345 kWh × 4.95 = 61.10775 SEK
    expect(cost.lines[0]).toEqual({ type: 'energy', quantity: 12_345, unit: 'Wh', unitPrice: 495, amount: 6111 })
  })

  it.each([
    [100, 50], // 49.5 -> 50: a half goes up
    [300, 149], // 148.5 -> 149
    [1, 0], // 0.495
    [2, 1], // 0.99
    [1010, 500], // 499.95
    [1_000_000, 495_000], // 1 MWh
  ])('%d Wh at 4.95/kWh costs %d öre', (energyWh, amount) => {
    expect(costOf(energyOnly(495), usage({ energyWh })).lines[0].amount).toBe(amount)
  })

  it.each([
    [1499, 1], // 1.499 down
    [1500, 2], // 1.5 up
    [2500, 3],
    [2499, 2],
  ])('%d Wh at 0.01/kWh costs %d öre', (energyWh, amount) => {
    expect(costOf(energyOnly(1), usage({ energyWh })).lines[0].amount).toBe(amount)
  })

  it('rounds each line once: no sub-rounding of Wh to kWh', () => {
    // 999 Wh at 10.00/kWh: 9.99 SEK, not 0 (kWh floored) nor 10.00 (kWh rounded)
    expect(costOf(energyOnly(1000), usage({ energyWh: 999 })).total).toBe(999)
  })

  it('prices time per second pro rata', () => {
    const cases: [number, number, number][] = [
      [90, 120, 180],
      [1, 1, 0], // 1/60
      [30, 1, 1], // 0.5 up
      [29, 1, 0], // 0.483
      [31, 1, 1],
      [59, 60, 59],
    ]
    for (const [chargingSeconds, price, amount] of cases) {
      const line = costOf(timeOnly(price), usage({ chargingSeconds })).lines.find((l) => l.type === 'time')
      expect(line).toEqual({ type: 'time', quantity: chargingSeconds, unit: 'second', unitPrice: price, amount })
    }
  })

  it('lists lines in AFIR order and totals them', () => {
    const cost = costOf(full, usage({ energyWh: 20_000, chargingSeconds: 5400, idleSeconds: 900 }))
    expect(cost.lines.map((l) => l.type)).toEqual(['energy', 'time', 'session', 'idle'])
    expect(cost.lines.map((l) => l.amount)).toEqual([
      8000, // 20 kWh × 4.00
      5400, // 90 min × 0.60
      500,
      1000, // 5 min after a 10 min grace × 2.00
    ])
    expect(cost.total).toBe(14_900)
    expect(cost.vat).toBe(2980)
    expect(cost.currency).toBe('SEK')
  })

  it('always has the energy line, also at zero energy and zero price', () => {
    const zeroPrice: Tariff = { ...ac, components: [{ type: 'energy', price: 0, unit: 'kWh' }] }
    expect(costOf(zeroPrice, usage({ energyWh: 5000 })).lines).toEqual([
      { type: 'energy', quantity: 5000, unit: 'Wh', unitPrice: 0, amount: 0 },
    ])
    expect(costOf(energyOnly(495), usage({})).lines).toEqual([
      { type: 'energy', quantity: 0, unit: 'Wh', unitPrice: 495, amount: 0 },
    ])
  })

  it('adds an energy line at price zero when the tariff has no energy price', () => {
    const cost = costOf(timeOnly(60), usage({ energyWh: 700, chargingSeconds: 120 }))
    expect(cost.lines).toEqual([
      { type: 'energy', quantity: 700, unit: 'Wh', unitPrice: 0, amount: 0 },
      { type: 'time', quantity: 120, unit: 'second', unitPrice: 60, amount: 120 },
    ])
  })

  it('omits components priced zero (other than energy)', () => {
    const cost = costOf(ac, usage({ energyWh: 1000, chargingSeconds: 600 }))
    expect(cost.lines.map((l) => l.type)).toEqual(['energy', 'idle'])
  })

  it('charges the session fee only once something happened', () => {
    const sessionFee: Tariff = { ...ac, components: [{ type: 'session', price: 500, unit: 'session' }] }
    expect(costOf(sessionFee, usage({})).lines.map((l) => l.type)).toEqual(['energy'])
    expect(costOf(sessionFee, usage({})).total).toBe(0)
    expect(costOf(sessionFee, usage({ chargingSeconds: 1 })).total).toBe(500)
    expect(costOf(sessionFee, usage({ energyWh: 1 })).lines[1]).toEqual({
      type: 'session', quantity: 1, unit: 'session', unitPrice: 500, amount: 500,
    })
  })

  it('costs nothing at zero energy and no idling', () => {
    const cost = costOf(ac, usage({}))
    expect(cost).toEqual({
      currency: 'SEK',
      total: 0,
      vat: 0,
      lines: [
        { type: 'energy', quantity: 0, unit: 'Wh', unitPrice: 495, amount: 0 },
        { type: 'idle', quantity: 0, unit: 'second', unitPrice: 100, amount: 0 },
      ],
    })
  })

  describe('idle fee grace edges (1.00/min after 30 min)', () => {
    it.each([
      [0, 0, 0],
      [1799, 0, 0],
      [1800, 0, 0], // exactly at the end of grace
      [1801, 1, 2], // 1.67 öre
      [1830, 30, 50],
      [1859, 59, 98], // 98.33
      [1860, 60, 100],
      [1800 + 3600, 3600, 6000],
    ])('%d idle seconds bill %d seconds, %d öre', (idleSeconds, billable, amount) => {
      const idle = costOf(ac, usage({ energyWh: 1000, idleSeconds })).lines.find((l) => l.type === 'idle')
      expect(idle).toEqual({ type: 'idle', quantity: billable, unit: 'second', unitPrice: 100, amount })
    })

    it('bills from the first second without grace', () => {
      const idle = costOf(idleOnly(60, 0), usage({ idleSeconds: 61 })).lines.find((l) => l.type === 'idle')
      expect(idle?.amount).toBe(61)
    })

    it('billableIdleSeconds never goes negative', () => {
      expect(billableIdleSeconds(10, 30)).toBe(0)
      expect(billableIdleSeconds(1900, 30)).toBe(100)
    })
  })

  it('costs a long session exactly: 30 h, 1 MWh', () => {
    const cost = costOf(full, usage({ energyWh: 1_000_000, chargingSeconds: 30 * 3600, idleSeconds: 12 * 3600 }))
    // 1000 kWh × 4.00 + 1800 min × 0.60 + 5.00 + (720 − 10) min × 2.00
    expect(cost.lines.map((l) => l.amount)).toEqual([400_000, 108_000, 500, 142_000])
    expect(cost.total).toBe(650_500)
    expect(cost.vat).toBe(130_100)
  })

  it('has vat = vatOf(total) at the tariff rate', () => {
    const reduced: Tariff = { ...ac, vatRateBp: 1200 }
    for (let energyWh = 0; energyWh <= 50_000; energyWh += 777) {
      const cost = costOf(reduced, usage({ energyWh, idleSeconds: energyWh }))
      expect(cost.total).toBe(cost.lines.reduce((s, l) => s + l.amount, 0))
      expect(cost.vat).toBe(vatOf(cost.total, 1200))
    }
  })

  it('refuses usage that is not whole and non-negative', () => {
    expect(() => costOf(ac, usage({ energyWh: -1 }))).toThrow(RangeError)
    expect(() => costOf(ac, usage({ energyWh: 1.5 }))).toThrow(RangeError)
    expect(() => costOf(ac, usage({ chargingSeconds: NaN }))).toThrow(RangeError)
    expect(() => costOf(ac, usage({ idleSeconds: -60 }))).toThrow(RangeError)
  })

  it('refuses an invalid tariff', () => {
    expect(() => costOf({ ...ac, components: [...ac.components].reverse() }, usage({}))).toThrow(/order/)
  })
})

describe('assertTariff', () => {
  it('accepts the demo tariffs, a subset in order, and no components at all', () => {
    expect(() => assertTariff(ac)).not.toThrow()
    expect(() => assertTariff(full)).not.toThrow()
    expect(() => assertTariff(timeOnly(10))).not.toThrow()
    expect(() => assertTariff({ currency: 'EUR', vatRateBp: 0, components: [] })).not.toThrow()
  })

  const bad: [string, Tariff, RegExp][] = [
    ['out of order', { ...ac, components: [ac.components[1], ac.components[0]] }, /order/],
    ['idle before session', { ...ac, components: [ac.components[0], ac.components[3], ac.components[2]] }, /order/],
    ['a duplicate', { ...ac, components: [ac.components[0], ac.components[0]] }, /at most once/],
    ['an unknown type', { ...ac, components: [{ type: 'parking', price: 1, unit: 'minute' } as never] }, /unknown/],
    ['a negative price', energyOnly(-1), /energy price/],
    ['a fractional price', energyOnly(4.95), /energy price/],
    ['a NaN price', energyOnly(NaN), /energy price/],
    ['a negative grace', idleOnly(100, -1), /grace/],
    ['a fractional grace', idleOnly(100, 0.5), /grace/],
    ['a wrong unit', { ...ac, components: [{ type: 'energy', price: 1, unit: 'minute' } as never] }, /per kWh/],
    ['a lower-case currency', { ...ac, currency: 'sek' }, /currency/],
    ['an empty currency', { ...ac, currency: '' }, /currency/],
    ['a VAT rate over 100 %', { ...ac, vatRateBp: 10_001 }, /VAT/],
    ['a fractional VAT rate', { ...ac, vatRateBp: 2500.5 }, /VAT/],
  ]
  it.each(bad)('refuses %s', (_, tariff, message) => {
    expect(() => assertTariff(tariff)).toThrow(message)
  })
})

describe('tariff lookups', () => {
  it('priceOf finds a component price or 0', () => {
    expect(priceOf(ac, 'energy')).toBe(495)
    expect(priceOf(ac, 'idle')).toBe(100)
    expect(priceOf(energyOnly(495), 'time')).toBe(0)
  })

  it('unplugWaitSeconds: no wait without an idle fee; until the cap is reached; never past the longest wait', () => {
    expect(unplugWaitSeconds(energyOnly(495), 7200)).toBe(0)
    expect(unplugWaitSeconds(ac, 7200)).toBe(7200)
    const capped: Tariff = { ...ac, components: ac.components.map((c) => (c.type === 'idle' ? { ...c, capAmount: 3000 } : c)) }
    // 30 min grace, then 100 öre a minute reaches 3000 öre after 30 more minutes
    expect(unplugWaitSeconds(capped, 7200)).toBe(3600)
    expect(unplugWaitSeconds(capped, 600)).toBe(600)
  })

  it('the idle line never exceeds the idle fee cap', () => {
    const capped: Tariff = { ...ac, components: ac.components.map((c) => (c.type === 'idle' ? { ...c, capAmount: 3000 } : c)) }
    const cost = costOf(capped, { energyWh: 0, chargingSeconds: 0, idleSeconds: 10 * 3600 })
    expect(cost.lines.find((l) => l.type === 'idle')!.amount).toBe(3000)
    expect(costOf(ac, { energyWh: 0, chargingSeconds: 0, idleSeconds: 10 * 3600 }).lines.find((l) => l.type === 'idle')!.amount).toBe(57_000)
  })

  it('idleFeeOf says whether settlement waits for unplugging', () => {
    expect(idleFeeOf(ac)).toEqual({ pricePerMinute: 100, graceMinutes: 30, capAmount: null })
    expect(idleFeeOf(energyOnly(495))).toBeNull()
    expect(idleFeeOf(idleOnly(0, 30))).toBeNull()
  })
})

describe('intervalWorth', () => {
  it.each([
    [ac, 11_000, 10, 16], // 495 × 11 kW × 10 s / 3600 = 15.125 -> up
    [ac, 0, 10, 0],
    [ac, 3600, 1000, 495], // exactly 1 kWh: no rounding
    [ac, 1, 1, 1], // any fraction rounds up
    [timeOnly(60), 11_000, 10, 10],
    [timeOnly(1), 0, 1, 1],
    [idleOnly(100, 0), 22_000, 60, 0], // the idle fee does not run while charging
    [full, 50_000, 60, 394], // energy 4.00 × 50 kW × 60 s / 3600 = 333.33, time 60: 393.33 -> up
  ])('%#: at %d W over %d s is worth %d', (tariff, powerW, seconds, expected) => {
    expect(intervalWorth(tariff, powerW, seconds)).toBe(expected)
  })

  it('rounds the sum once, not each part', () => {
    const t: Tariff = {
      currency: 'SEK', vatRateBp: 2500,
      components: [{ type: 'energy', price: 100, unit: 'kWh' }, { type: 'time', price: 3, unit: 'minute' }],
    }
    // energy 100 × 16.2 kW × 10 s / 3600 = 4.5, time 3 × 10/60 = 0.5: 5 exactly (each part up would be 6)
    expect(intervalWorth(t, 16_200, 10)).toBe(5)
  })

  it('counts power below zero (flowing out of the car) as no energy, leaving the time price', () => {
    expect(intervalWorth(ac, -500, 10)).toBe(0)
    expect(intervalWorth(full, -500, 60)).toBe(60)
  })

  it('refuses fractional power or a bad interval', () => {
    expect(() => intervalWorth(ac, 1000.5, 10)).toThrow(RangeError)
    expect(() => intervalWorth(ac, NaN, 10)).toThrow(RangeError)
    expect(() => intervalWorth(ac, 1000, 0.5)).toThrow(RangeError)
    expect(() => intervalWorth(ac, 1000, -10)).toThrow(RangeError)
  })
})

describe('reachesHoldLimit', () => {
  it.each([
    [29_983, 30_000, 16, false],
    [29_984, 30_000, 16, true], // exactly one interval below the hold
    [30_000, 30_000, 16, true],
    [30_500, 30_000, 16, true],
    [29_999, 30_000, 0, false],
    [30_000, 30_000, 0, true],
    [0, 0, 0, true],
  ])('cost %d, hold %d, margin %d -> %s', (cost, hold, margin, expected) => {
    expect(reachesHoldLimit(cost, hold, margin)).toBe(expected)
  })

  it('stops a metered session within one interval of the hold, never above it', () => {
    const hold = 30_000
    const powerW = 11_000
    const intervalSeconds = 10
    let energyWh = 0
    let seconds = 0
    let previousTotal = 0
    for (;;) {
      seconds += intervalSeconds
      energyWh += Math.round((powerW * intervalSeconds) / 3600)
      const { total } = costOf(ac, usage({ energyWh, chargingSeconds: seconds }))
      const margin = intervalWorth(ac, powerW, intervalSeconds)
      if (reachesHoldLimit(total, hold, margin)) {
        expect(total).toBeLessThanOrEqual(hold)
        expect(total + margin).toBeGreaterThanOrEqual(hold)
        expect(previousTotal).toBeLessThan(hold - margin)
        break
      }
      previousTotal = total
    }
    expect(seconds).toBeGreaterThan(5 * 3600) // 30000 öre at 4.95/kWh and 11 kW: about 5.5 h
  })
})

describe('settlement', () => {
  const sek = { holdAmount: 30_000, minimumCharge: 300 }

  it.each([
    ['an ordinary session', { total: 6111, energyWh: 12_345 }, { capture: 6111, release: 23_889, nothingCharged: false }],
    ['exactly the minimum', { total: 300, energyWh: 600 }, { capture: 300, release: 29_700, nothingCharged: false }],
    ['under the minimum', { total: 299, energyWh: 600 }, { capture: 0, release: 30_000, nothingCharged: true }],
    ['zero energy with an idle fee', { total: 5000, energyWh: 0 }, { capture: 0, release: 30_000, nothingCharged: true }],
    ['zero energy and zero cost', { total: 0, energyWh: 0 }, { capture: 0, release: 30_000, nothingCharged: true }],
    ['exactly at the hold', { total: 30_000, energyWh: 60_000 }, { capture: 30_000, release: 0, nothingCharged: false }],
    ['over the hold', { total: 30_500, energyWh: 61_000 }, { capture: 30_000, release: 0, nothingCharged: false }],
    ['one öre under the hold', { total: 29_999, energyWh: 60_000 }, { capture: 29_999, release: 1, nothingCharged: false }],
  ])('%s', (_, input, expected) => {
    expect(settlement({ ...sek, ...input })).toEqual(expected)
  })

  it('charges nothing when the hold itself is under the minimum', () => {
    expect(settlement({ total: 1000, energyWh: 2000, holdAmount: 200, minimumCharge: 300 })).toEqual({
      capture: 0, release: 200, nothingCharged: true,
    })
  })

  it('charges nothing when the cost is zero, even without a minimum', () => {
    expect(settlement({ total: 0, energyWh: 2000, holdAmount: 30_000, minimumCharge: 0 })).toEqual({
      capture: 0, release: 30_000, nothingCharged: true,
    })
  })

  it('always captures plus releases the whole hold', () => {
    for (let total = 0; total <= 40_000; total += 37) {
      const s = settlement({ total, energyWh: total, holdAmount: 30_000, minimumCharge: 300 })
      expect(s.capture + s.release).toBe(30_000)
      expect(s.capture).toBeLessThanOrEqual(Math.min(total, 30_000))
    }
  })

  it('refuses amounts that are not minor units', () => {
    expect(() => settlement({ total: -1, energyWh: 0, holdAmount: 100, minimumCharge: 0 })).toThrow(RangeError)
    expect(() => settlement({ total: 1, energyWh: 0, holdAmount: 10.5, minimumCharge: 0 })).toThrow(RangeError)
  })
})
