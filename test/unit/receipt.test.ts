import { describe, expect, it } from 'vitest'
import { inflateSync } from 'node:zlib'
import {
  buildReceipt, formatDuration, formatKwh, normalizeReceiptNumber, receiptCharge, receiptNumber, type ReceiptInput,
} from '../../bff/domain/receipt'
import { chargeFor } from '../../bff/domain/charge'
import { costOf, settlement, type Tariff } from '../../bff/domain/tariff'
import { renderReceiptPdf } from '../../bff/receipts/pdf'
import type { ReceiptView } from '../../bff/views'

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

  const input = (
    over: Partial<Omit<ReceiptInput, 'payment'>> & { energyWh: number; idleSeconds?: number; captured: number; method?: 'card' | 'grant' | 'open' },
  ): ReceiptInput => {
    const { idleSeconds = 0, captured, method = 'card', ...rest } = over
    const cost = costOf(tariff, { energyWh: over.energyWh, chargingSeconds: 3600, idleSeconds })
    const card = method === 'card'
    return {
      number: '5591234567-000042',
      issuedAt: new Date('2025-06-02T00:15:00Z'),
      sessionId: 'ses_1',
      site: {
        name: 'Demo Garage', legalName: 'Laddpunkt Demo AB', orgNumber: '559123-4567', vatNumber: 'SE559123456701',
        street: 'Sveavägen 44', postalCode: '111 34', city: 'Stockholm', country: 'SE', timezone: 'Europe/Stockholm',
      },
      charger: { id: 'DEMO-1', connectorId: 2, evseId: 'SE*LDP*EDEMO1*2' },
      startedAt: new Date('2025-06-01T23:10:00Z'),
      stoppedAt: new Date('2025-06-02T00:10:00Z'),
      tariff,
      cost,
      payment: {
        method, card: card ? { brand: 'visa', last4: '4242' } : null, holdAmount: card ? 30_000 : 0,
        captured, released: card ? 30_000 - captured : 0, refunded: 0,
      },
      minimumCharge: 300,
      ...rest,
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
      timeZone: 'Europe/Stockholm',
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
      charge: { amount: 6111, basis: 'card', cost: 6111, minimumCharge: 300 },
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

  it('keeps what each line cost when the cost is under the minimum, and charges nothing', () => {
    // 0.418 kWh × 4.95 = 2.0691 SEK: under the 3 SEK a card can be charged
    const receipt = buildReceipt(input({ energyWh: 418, captured: 0 }))
    expect(receipt.lines[0]).toMatchObject({ quantity: 418, unitPrice: 495, amount: 207 })
    expect(receipt.charge).toEqual({ amount: 0, basis: 'below_minimum', cost: 207, minimumCharge: 300 })
    expect([receipt.total, receipt.vat, receipt.net, receipt.capReduction]).toEqual([0, 0, 0, 0])
    expect(receipt.nothingCharged).toBe(true)
    expect(receipt.payment).toMatchObject({ captured: 0, released: 30_000 })
  })

  it('keeps the idle fee on its line when no energy was delivered, and charges nothing', () => {
    const receipt = buildReceipt(input({ energyWh: 0, idleSeconds: 2000, captured: 0 }))
    expect(receipt.lines).toEqual([
      { type: 'energy', description: 'Energy 0.000 kWh', quantity: 0, unit: 'Wh', unitPrice: 495, amount: 0 },
      // 2000 s − 30 min grace = 200 s at 1 SEK/min
      { type: 'idle', description: 'Idle fee 3 min 20 s', quantity: 200, unit: 'second', unitPrice: 100, amount: 333 },
    ])
    expect(receipt.charge).toEqual({ amount: 0, basis: 'nothing_used', cost: 333, minimumCharge: 300 })
    expect([receipt.total, receipt.vat, receipt.net]).toEqual([0, 0, 0])
    expect(receipt.energyKwh).toBe('0.000')
  })

  it('charges exactly the minimum, not a öre less', () => {
    // 607 Wh × 4.95 = 3.00465 → 300; 606 Wh → 299.97 → 300 as well; 605 Wh → 299.475 → 299
    expect(buildReceipt(input({ energyWh: 607, captured: 300 })).charge).toMatchObject({ amount: 300, basis: 'card' })
    expect(buildReceipt(input({ energyWh: 605, captured: 0 })).charge).toMatchObject({ amount: 0, basis: 'below_minimum', cost: 299 })
  })

  it('puts a grant session’s cost on the receipt as invoiced by the owner, with nothing captured', () => {
    const receipt = buildReceipt(input({ energyWh: 12_345, captured: 0, method: 'grant' }))
    expect(receipt.charge).toEqual({ amount: 6111, basis: 'invoiced_by_owner', cost: 6111, minimumCharge: 300 })
    expect([receipt.total, receipt.vat, receipt.net, receipt.capReduction]).toEqual([6111, 1222, 4889, 0])
    expect(receipt.payment).toEqual({ method: 'grant', card: null, holdAmount: 0, captured: 0, released: 0, refunded: 0 })
    expect(receipt.nothingCharged).toBe(false)
  })

  it('invoices a grant session even under the card minimum: no card is involved', () => {
    const receipt = buildReceipt(input({ energyWh: 242, captured: 0, method: 'grant' }))
    expect(receipt.charge).toMatchObject({ amount: 120, basis: 'invoiced_by_owner' })
    expect(receipt.total).toBe(120)
  })

  it('charges nothing on an open charger, whatever the lines cost', () => {
    const receipt = buildReceipt(input({ energyWh: 12_345, captured: 0, method: 'open' }))
    expect(receipt.lines[0].amount).toBe(6111)
    expect(receipt.charge).toEqual({ amount: 0, basis: 'free', cost: 6111, minimumCharge: 300 })
    expect([receipt.total, receipt.vat, receipt.net, receipt.capReduction]).toEqual([0, 0, 0, 0])
    expect(receipt.nothingCharged).toBe(true)
  })

  it('tells the truth when the card yielded nothing although the cost was above the minimum', () => {
    // The hold lapsed before capture: the receipt shows what was taken, nothing.
    const receipt = buildReceipt(input({ energyWh: 12_345, captured: 0 }))
    expect(receipt.charge).toEqual({ amount: 0, basis: 'card', cost: 6111, minimumCharge: 300 })
    expect(receipt.total).toBe(0)
    expect(receipt.nothingCharged).toBe(true)
  })

  it('totals what was captured when the hold capped the session, and says by how much', () => {
    const receipt = buildReceipt(input({ energyWh: 61_000, captured: 30_000 }))
    // 61 kWh × 4.95 = 301.95 SEK, capped at the 300 SEK hold
    expect(receipt.lines[0].amount).toBe(30_195)
    expect(receipt.total).toBe(30_000)
    expect(receipt.capReduction).toBe(195)
    expect(receipt.charge).toEqual({ amount: 30_000, basis: 'card', cost: 30_195, minimumCharge: 300 })
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
    const receipt = buildReceipt({ ...input({ energyWh: 0, captured: 0 }), startedAt: null, stoppedAt: null })
    expect(receipt.startedAt).toBeNull()
    expect(receipt.stoppedAt).toBeNull()
  })

  it('refuses to show more captured than the session cost', () => {
    expect(() => buildReceipt(input({ energyWh: 1000, captured: 1000 }))).toThrow(/more than the session cost/)
  })

  it('states the charge the session page shows, for every amount around the minimum and the hold', () => {
    const disagreements: string[] = []
    for (const method of ['card', 'grant', 'open'] as const) {
      for (const energyWh of [0, 1, 100, 418, 605, 606, 607, 1000, 12_345, 60_000, 60_606, 61_000, 200_000]) {
        for (const idleSeconds of [0, 1800, 2000, 9000]) {
          const cost = costOf(tariff, { energyWh, chargingSeconds: 3600, idleSeconds })
          const holdAmount = method === 'card' ? 30_000 : 0
          const shown = chargeFor({ method, cost, energyWh, holdAmount, minimumCharge: 300 })
          // What settlement captures from the card (nothing for grants and open chargers).
          const captured = method === 'card' ? settlement({ total: cost.total, energyWh, holdAmount, minimumCharge: 300 }).capture : 0
          const receipt = buildReceipt(input({ energyWh, idleSeconds, captured, method }))
          const linesTotal = receipt.lines.reduce((sum, l) => sum + l.amount, 0)
          const ok = JSON.stringify(receipt.charge) === JSON.stringify(shown)
            && receipt.total === shown.amount
            && receipt.vat + receipt.net === receipt.total
            && linesTotal === cost.total
            && receipt.charge.cost === cost.total
            && receipt.nothingCharged === (shown.amount === 0)
          if (!ok) disagreements.push(`${method} ${energyWh} Wh ${idleSeconds} s`)
        }
      }
    }
    expect(disagreements).toEqual([])
  })
})

describe('receiptCharge', () => {
  const base = { cost: { total: 6111 }, energyWh: 12_345, holdAmount: 30_000, minimumCharge: 300 }

  it.each([
    ['card, captured in full', { method: 'card', captured: 6111 }, { amount: 6111, basis: 'card' }],
    ['card, captured up to the hold', { method: 'card', cost: { total: 30_195 }, captured: 30_000 }, { amount: 30_000, basis: 'card' }],
    ['card, nothing captured', { method: 'card', captured: 0 }, { amount: 0, basis: 'card' }],
    ['card, under the minimum', { method: 'card', cost: { total: 207 }, energyWh: 418, captured: 0 }, { amount: 0, basis: 'below_minimum' }],
    ['card, no energy', { method: 'card', cost: { total: 0 }, energyWh: 0, captured: 0 }, { amount: 0, basis: 'nothing_used' }],
    ['grant', { method: 'grant', holdAmount: 0, captured: 0 }, { amount: 6111, basis: 'invoiced_by_owner' }],
    ['open', { method: 'open', holdAmount: 0, captured: 0 }, { amount: 0, basis: 'free' }],
  ] as const)('%s', (_, over, expected) => {
    expect(receiptCharge({ ...base, ...over })).toMatchObject(expected)
  })

  it('counts what was captured as charged to the card, whatever the cost says', () => {
    // A capture already made, under a minimum lowered since: the money moved, so it was charged.
    expect(receiptCharge({ ...base, method: 'card', cost: { total: 207 }, energyWh: 418, captured: 207 })).toMatchObject({ amount: 207, basis: 'card' })
  })
})

/** The text a PDF shows, in reading order (pdfkit writes WinAnsi hex strings in deflated streams). */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1')
  const winAnsi = new TextDecoder('windows-1252')
  const texts: string[] = []
  for (const m of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string
    try {
      content = inflateSync(Buffer.from(m[1], 'latin1')).toString('latin1')
    } catch {
      continue
    }
    for (const tj of content.matchAll(/\[(.*?)\] TJ/g)) {
      texts.push([...tj[1].matchAll(/<([0-9a-f]*)>/g)].map((h) => winAnsi.decode(Buffer.from(h[1], 'hex'))).join(''))
    }
  }
  return texts.join(' ').replace(/\s+/g, ' ')
}

describe('receipt PDF', () => {
  const tariff: Tariff = { currency: 'SEK', vatRateBp: 2500, components: [{ type: 'energy', price: 495, unit: 'kWh' }] }
  const receiptOf = (method: 'card' | 'grant' | 'open', energyWh: number, captured: number): ReceiptView =>
    buildReceipt({
      number: '5591234567-000042',
      issuedAt: new Date('2025-06-02T00:15:00Z'),
      sessionId: 'ses_1',
      site: {
        name: 'Demo Garage', legalName: 'Laddpunkt Demo AB', orgNumber: '559123-4567', vatNumber: 'SE559123456701',
        street: 'Sveavägen 44', postalCode: '111 34', city: 'Stockholm', country: 'SE', timezone: 'Europe/Stockholm',
      },
      charger: { id: 'DEMO-1', connectorId: 2, evseId: 'SE*LDP*EDEMO1*2' },
      startedAt: new Date('2025-06-01T23:10:00Z'),
      stoppedAt: new Date('2025-06-02T00:10:00Z'),
      energyWh,
      tariff,
      cost: costOf(tariff, { energyWh, chargingSeconds: 3600, idleSeconds: 0 }),
      payment: {
        method,
        card: method === 'card' ? { brand: 'visa', last4: '4242' } : null,
        holdAmount: method === 'card' ? 30_000 : 0,
        captured,
        released: method === 'card' ? 30_000 - captured : 0,
        refunded: 0,
      },
      minimumCharge: 300,
    })
  // pdfText turns the no-break space Swedish money has into a plain one
  const kr = (text: string) => `${text} kr`

  /** The minus of an amount taken off is an en dash (WinAnsi has no minus sign), whichever way it decodes. */
  const less = (amount: string) => new RegExp(`[–\u0096]${amount}`)
  const link = 'https://laddpunkt.example/r/5591234567-000042?t=share-token'

  it('keeps the line’s real amount under the minimum, takes it off and says why, in Swedish', async () => {
    const text = pdfText(await renderReceiptPdf(receiptOf('card', 418, 0)))
    expect(text).toContain(`Kvitto Förenklad faktura Laddpunkt Demo AB`)
    expect(text).toContain(`Energi ${kr('2,07')} 0,418 kWh × ${kr('4,95')}/kWh`)
    expect(text).toMatch(new RegExp(`Under minsta kortbelopp ${less(kr('2,07')).source}`))
    expect(text).toContain(`Totalt inkl. moms ${kr('0,00')}`)
    expect(text).toContain(`Inte debiterat: under minsta kortbelopp ${kr('3,00')}; reservationen har släppts.`)
    expect(text).toContain(`Debiterat ${kr('0,00')}`)
    expect(text).not.toMatch(/\bEnergy\b|\bTotal\b|Not charged| \/ /)
  })

  it('says a grant’s cost is invoiced by the owner and never that a card was charged', async () => {
    const text = pdfText(await renderReceiptPdf(receiptOf('grant', 242, 0)))
    expect(text).toContain(`Faktureras av ägaren inkl. moms ${kr('1,20')}`)
    expect(text).toContain('Kostnaden faktureras av laddarens ägare enligt dina åtkomstvillkor; inget kort debiterades.')
    expect(text).toContain('Tillgång från laddarens ägare')
    expect(text).not.toMatch(/Debiterat|Reserverat|Totalt inkl/)
  })

  it('totals what the card was charged, names the card, and prints times on the site’s clock', async () => {
    const text = pdfText(await renderReceiptPdf(receiptOf('card', 12_345, 6111)))
    expect(text).toContain(`Totalt inkl. moms ${kr('61,11')} Moms 25 % ${kr('12,22')} Belopp exkl. moms ${kr('48,89')}`)
    expect(text).toContain(`Visa ···· 4242 Reserverat ${kr('300,00')} Debiterat ${kr('61,11')} Släppt reservation ${kr('238,89')}`)
    // 23:10 and 00:10 UTC are 01:10 and 02:10 in Stockholm in June; issued 00:15 UTC
    expect(text).toContain('Kvittonummer 5591234567-000042 Utfärdat 2025-06-02 02:15')
    expect(text).toContain('Start 2025-06-02 01:10 Slut 2025-06-02 02:10')
    expect(text).toContain('Org.nr 559123-4567 Momsreg.nr SE559123456701')
    expect(text).not.toMatch(/Inte debiterat|Ingenting debiterades|visa/)
  })

  it('says an open charger was free', async () => {
    const text = pdfText(await renderReceiptPdf(receiptOf('open', 12_345, 0)))
    expect(text).toMatch(new RegExp(`Fri laddning ${less(kr('61,11')).source}`))
    expect(text).toContain('Laddaren är gratis att använda: ingenting debiterades.')
  })

  it('speaks the driver’s language when asked, with no Swedish beside it', async () => {
    const text = pdfText(await renderReceiptPdf({ ...receiptOf('card', 12_345, 6111), refunds: [{ amount: 1000, at: '2025-06-03T09:00:00Z' }] }, 'en'))
    expect(text).toContain('Receipt Simplified invoice')
    expect(text).toContain('Energy SEK 61.11 12.345 kWh × SEK 4.95/kWh')
    expect(text).toContain('Total incl. VAT SEK 61.11 VAT 25% SEK 12.22 Net amount SEK 48.89')
    expect(text).toMatch(/Refunded 03\/06\/2025, 11:00 [–\u0096]SEK 10.00/)
    expect(text).not.toMatch(/Kvitto|Energi|moms|Debiterat/)
    const german = pdfText(await renderReceiptPdf(receiptOf('card', 12_345, 6111), 'de'))
    expect(german).toContain('Energie 61,11 SEK 12,345 kWh × 4,95 SEK/kWh')
  })

  it('prints a QR code and the link back to the receipt', async () => {
    const pdf = await renderReceiptPdf({ ...receiptOf('card', 12_345, 6111), link })
    expect(pdfText(pdf)).toContain(`Skanna för att öppna kvittot ${link}`)
    const squares = [...pdf.toString('latin1').matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)]
      .map((m) => { try { return inflateSync(Buffer.from(m[1], 'latin1')).toString('latin1') } catch { return '' } })
      .join('').match(/ re\n/g)?.length ?? 0
    expect(squares).toBeGreaterThan(200) // a 33×33 or larger code is hundreds of dark modules
    const without = await renderReceiptPdf(receiptOf('card', 12_345, 6111))
    expect(pdfText(without)).not.toContain('Skanna')
  })
})
