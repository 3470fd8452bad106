import { describe, expect, it } from 'vitest'
import {
  buildReceipt, formatDuration, formatKwh, normalizeReceiptNumber, receiptNumber, type ReceiptInput,
} from '../../bff/domain/receipt'
import { costOf, type Tariff } from '../../bff/domain/tariff'

describe('receiptNumber', () => {
  it.each([
    ['559123-4567', 42, '5591234567-000042'],
    ['5591234567', 1, '5591234567-000001'],
    ['559123 4567', 999_999, '5591234567-999999'],
    ['559123-4567', 1_000_000, '5591234567-1000000'], // grows past six digits
  ])('%s #%d is %s', (org, sequence, expected) => {
    expect(receiptNumber(org, sequence)).toBe(expected)
  })

  it.each([
    ['55912-4567', 1],
    ['559123-45678', 1],
    ['', 1],
    ['559123-4567', 0],
    ['559123-4567', -1],
    ['559123-4567', 1.5],
    ['559123-4567', NaN],
  ])('refuses org %s with sequence %d', (org, sequence) => {
    expect(() => receiptNumber(org, sequence)).toThrow(RangeError)
  })
})

describe('normalizeReceiptNumber', () => {
  it.each([
    ['5591234567-000042', '5591234567-000042'],
    ['559123 4567 000042', '5591234567-000042'],
    ['5591234567000042', '5591234567-000042'],
    [' 5591234567-42 ', '5591234567-000042'],
    ['559123-4567-42', '5591234567-000042'],
    ['559.123.4567.000042', '5591234567-000042'],
    ['5591234567-1', '5591234567-000001'],
    ['5591234567-0000000042', '5591234567-000042'],
    ['5591234567-1234567', '5591234567-1234567'],
    ['\t5591234567 – 000042\n', '5591234567-000042'],
  ])('%j -> %s', (input, expected) => {
    expect(normalizeReceiptNumber(input)).toBe(expected)
  })

  it.each([
    [''],
    ['   '],
    ['5591234567'], // no sequence
    ['559123-4567-'],
    ['5591234567-0'], // sequences start at 1
    ['5591234567-000000'],
    ['123-45'],
    ['receipt'],
    ['5591234567-99999999999999999999'], // beyond any sequence
    ['5'.repeat(65)],
  ])('%j is not a receipt number', (input) => {
    expect(normalizeReceiptNumber(input)).toBeNull()
  })

  it('round-trips every issued number, also as people write them', () => {
    const wrong: string[] = []
    for (let sequence = 1; sequence <= 2_000_000; sequence += 997) {
      const number = receiptNumber('559123-4567', sequence)
      const spaced = `559123 4567 ${sequence}`
      const bare = number.replace('-', '')
      if (normalizeReceiptNumber(number) !== number || normalizeReceiptNumber(spaced) !== number
        || normalizeReceiptNumber(bare) !== number) wrong.push(number)
    }
    expect(wrong).toEqual([])
  })
})

describe('formatKwh and formatDuration', () => {
  it.each([
    [0, '0.000'],
    [1, '0.001'],
    [999, '0.999'],
    [1000, '1.000'],
    [12_345, '12.345'],
    [1_000_000, '1000.000'],
  ])('%d Wh is %s kWh', (wh, kwh) => {
    expect(formatKwh(wh)).toBe(kwh)
  })

  it('refuses fractional or negative Wh', () => {
    expect(() => formatKwh(1.5)).toThrow(RangeError)
    expect(() => formatKwh(-1)).toThrow(RangeError)
  })

  it.each([
    [0, '0 s'],
    [45, '45 s'],
    [60, '1 min 00 s'],
    [750, '12 min 30 s'],
    [3725, '1 h 02 min 05 s'],
    [30 * 3600, '30 h 00 min 00 s'],
  ])('%d s is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text)
  })
})

describe('buildReceipt', () => {
  const tariff: Tariff = {
    currency: 'SEK',
    vatRateBp: 2500,
    components: [
      { type: 'energy', price: 495, unit: 'kWh' },
      { type: 'time', price: 0, unit: 'minute' },
      { type: 'session', price: 0, unit: 'session' },
      { type: 'idle', price: 100, unit: 'minute', graceMinutes: 30 },
    ],
  }

  const input = (over: Partial<ReceiptInput> & { energyWh: number; idleSeconds?: number; captured: number }): ReceiptInput => {
    const cost = costOf(tariff, { energyWh: over.energyWh, chargingSeconds: 3600, idleSeconds: over.idleSeconds ?? 0 })
    return {
      number: '5591234567-000042',
      issuedAt: new Date('2025-06-02T00:15:00Z'),
      sessionId: 'ses_1',
      site: {
        name: 'Demo Garage', legalName: 'Laddpunkt Demo AB', orgNumber: '559123-4567', vatNumber: 'SE559123456701',
        street: 'Sveavägen 44', postalCode: '111 34', city: 'Stockholm', country: 'SE',
      },
      charger: { id: 'DEMO-1', connectorId: 2, evseId: 'SE*LDP*EDEMO1*2' },
      startedAt: new Date('2025-06-01T23:10:00Z'),
      stoppedAt: new Date('2025-06-02T00:10:00Z'),
      tariff,
      cost,
      payment: {
        method: 'card', card: { brand: 'visa', last4: '4242' }, holdAmount: 30_000,
        captured: over.captured, released: 30_000 - over.captured, refunded: 0,
      },
      nothingCharged: false,
      ...over,
    }
  }

  it('is a simplified invoice with the seller, the site and what was sold', () => {
    const receipt = buildReceipt(input({ energyWh: 12_345, captured: 6111 }))
    expect(receipt).toEqual({
      number: '5591234567-000042',
      issuedAt: '2025-06-02T00:15:00.000Z',
      kind: 'simplified_invoice',
      seller: {
        legalName: 'Laddpunkt Demo AB', orgNumber: '559123-4567', vatNumber: 'SE559123456701',
        address: 'Sveavägen 44, 111 34 Stockholm',
      },
      site: { name: 'Demo Garage', address: 'Sveavägen 44, 111 34 Stockholm' },
      charger: { id: 'DEMO-1', connectorId: 2, evseId: 'SE*LDP*EDEMO1*2' },
      startedAt: '2025-06-01T23:10:00.000Z',
      stoppedAt: '2025-06-02T00:10:00.000Z',
      energyWh: 12_345,
      energyKwh: '12.345',
      currency: 'SEK',
      lines: [
        { type: 'energy', description: 'Energy 12.345 kWh', quantity: 12_345, unit: 'Wh', unitPrice: 495, amount: 6111 },
        { type: 'idle', description: 'Idle fee 0 s', quantity: 0, unit: 'second', unitPrice: 100, amount: 0 },
      ],
      total: 6111,
      vatRate: 0.25,
      vat: 1222,
      net: 4889,
      payment: {
        method: 'card', card: { brand: 'visa', last4: '4242' }, holdAmount: 30_000, captured: 6111,
        released: 23_889, refunded: 0,
      },
      nothingCharged: false,
      sessionId: 'ses_1',
      capReduction: 0,
    })
  })

  it('describes idle and charging time in plain words', () => {
    const withTime: Tariff = { ...tariff, components: [tariff.components[0], { type: 'time', price: 60, unit: 'minute' }, tariff.components[3]] }
    const cost = costOf(withTime, { energyWh: 1000, chargingSeconds: 3725, idleSeconds: 1800 + 750 })
    const receipt = buildReceipt({ ...input({ energyWh: 1000, captured: cost.total }), tariff: withTime, cost })
    expect(receipt.lines.map((l) => l.description)).toEqual([
      'Energy 1.000 kWh', 'Charging time 1 h 02 min 05 s', 'Idle fee 12 min 30 s',
    ])
    expect(receipt.total).toBe(495 + 3725 + 1250)
  })

  it('says nothing was charged: quantities kept, every amount zero', () => {
    const receipt = buildReceipt({ ...input({ energyWh: 0, idleSeconds: 2000, captured: 0 }), nothingCharged: true })
    expect(receipt.nothingCharged).toBe(true)
    expect(receipt.lines).toEqual([
      { type: 'energy', description: 'Energy 0.000 kWh', quantity: 0, unit: 'Wh', unitPrice: 495, amount: 0 },
      { type: 'idle', description: 'Idle fee 3 min 20 s', quantity: 200, unit: 'second', unitPrice: 100, amount: 0 },
    ])
    expect([receipt.total, receipt.vat, receipt.net, receipt.capReduction]).toEqual([0, 0, 0, 0])
    expect(receipt.energyKwh).toBe('0.000')
  })

  it('says nothing was charged under the minimum, although the cost was not zero', () => {
    const receipt = buildReceipt({ ...input({ energyWh: 500, captured: 0 }), nothingCharged: true })
    expect(receipt.lines[0].quantity).toBe(500)
    expect(receipt.lines.every((l) => l.amount === 0)).toBe(true)
    expect(receipt.total).toBe(0)
  })

  it('totals what was captured when the hold capped the session, and says by how much', () => {
    const receipt = buildReceipt(input({ energyWh: 61_000, captured: 30_000 }))
    // 61 kWh × 4.95 = 301.95 SEK, capped at the 300 SEK hold
    expect(receipt.lines[0].amount).toBe(30_195)
    expect(receipt.total).toBe(30_000)
    expect(receipt.capReduction).toBe(195)
    expect(receipt.vat).toBe(6000)
    expect(receipt.net).toBe(24_000)
  })

  it('has vat + net = total with VAT a fifth of the gross at 25 %', () => {
    for (let energyWh = 1000; energyWh <= 60_000; energyWh += 1111) {
      const cost = costOf(tariff, { energyWh, chargingSeconds: 60, idleSeconds: 0 })
      const receipt = buildReceipt({ ...input({ energyWh, captured: cost.total }), cost })
      expect(receipt.vat + receipt.net).toBe(receipt.total)
      expect(Math.abs(receipt.vat * 5 - receipt.total)).toBeLessThanOrEqual(2)
    }
  })

  it('keeps timestamps null for a session that never started', () => {
    const receipt = buildReceipt({ ...input({ energyWh: 0, captured: 0 }), startedAt: null, stoppedAt: null, nothingCharged: true })
    expect(receipt.startedAt).toBeNull()
    expect(receipt.stoppedAt).toBeNull()
  })

  it('refuses to show more captured than the session cost', () => {
    expect(() => buildReceipt(input({ energyWh: 1000, captured: 1000 }))).toThrow(/more than the session cost/)
  })
})
