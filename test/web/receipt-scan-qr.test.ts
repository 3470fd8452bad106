// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ReceiptView } from '../../bff/views'
import { apiError, arrivedAt, json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { charger } from './fixtures'
import { chargerRouteFor } from '../../web/scan/charger-route'
import { receiptRoute } from '../../web/api/receipts'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const receipt = (overrides: Partial<ReceiptView> = {}): ReceiptView => ({
  number: 'LP-2026-000123',
  issuedAt: '2026-01-10T11:00:00Z',
  kind: 'simplified_invoice',
  seller: { legalName: 'Laddpunkt Demo AB', orgNumber: '559123-4567', vatNumber: 'SE559123456701', address: 'Sveavägen 44, 111 34 Stockholm' },
  site: { name: 'Demo Garage', address: 'Sveavägen 44, 111 34 Stockholm' },
  charger: { id: 'DEMO-1', connectorId: 1, evseId: 'SE*LDP*EDEMO1*1' },
  startedAt: '2026-01-10T10:00:00Z',
  stoppedAt: '2026-01-10T10:30:00Z',
  energyWh: 10_000,
  energyKwh: '10.000',
  currency: 'SEK',
  lines: [{ type: 'energy', description: 'Electricity', quantity: 10_000, unit: 'Wh', unitPrice: 495, amount: 4_950 }],
  total: 4_950,
  vatRate: 0.25,
  vat: 990,
  net: 3_960,
  payment: { method: 'card', card: { brand: 'visa', last4: '4242' }, holdAmount: 30_000, captured: 4_950, released: 25_050, refunded: 0 },
  capReduction: 0,
  charge: { amount: 4_950, basis: 'card', cost: 4_950, minimumCharge: 300 },
  nothingCharged: false,
  sessionId: 'ses_1',
  ...overrides,
})

/** A table row's header and data cells, as read. */
const cells = (row: { findAll: (selector: string) => { text: () => string }[] }) => row.findAll('th, td').map((c) => plain(c.text()))

describe('receipt page', () => {
  it('fetches with the token from the link and shows seller, lines, VAT, card and release', async () => {
    const calls = stubFetch(() => json(receipt()))
    const { wrapper } = await mountAt('/r/LP-2026-000123?t=rt_abc')
    expect(calls[0].path).toBe('/api/receipts/LP-2026-000123?t=rt_abc')
    const body = plain(wrapper.text())
    for (const expected of ['Laddpunkt Demo AB', '559123-4567', 'SE559123456701', 'SE*LDP*EDEMO1*1']) {
      expect(body).toContain(expected)
    }
    expect(wrapper.find('[data-test=card]').text()).toBe('Visa ···· 4242')
    expect(wrapper.find('[data-test=energy]').text()).toBe('10.000 kWh')
    expect(plain(wrapper.find('[data-line=energy] [data-test=line-detail]').text())).toBe('10.000 kWh × SEK 4.95/kWh')
    expect(plain(wrapper.find('[data-line=energy] [data-test=line-amount]').text())).toBe('SEK 49.50')
    expect(plain(wrapper.find('[data-test=total]').text())).toBe('SEK 49.50')
    expect(plain(wrapper.find('[data-test=vat]').text())).toBe('SEK 9.90')
    expect(plain(wrapper.find('[data-test=released]').text())).toBe('SEK 250.50')
    // Line names come from the app's words by type, never from the BFF's description.
    expect(plain(wrapper.find('[data-line=energy] .line-name').text())).toBe('Energy')
    expect(body).not.toContain('Electricity')
    expect(wrapper.find('[data-test=pdf]').attributes('href')).toBe('/api/receipts/LP-2026-000123.pdf?t=rt_abc&lang=en')
    expect(wrapper.find('[data-test=pdf-sv]').attributes('href')).toBe('/api/receipts/LP-2026-000123.pdf?t=rt_abc&lang=sv')
    expect(wrapper.find('[data-test=charge-explanation]').exists()).toBe(false)
  })

  it('reads as a Swedish receipt: wording, comma decimals, the site’s clock, the card’s brand, and a QR link back', async () => {
    const link = 'https://laddpunkt.example/r/LP-2026-000123?t=share'
    stubFetch(() =>
      json({
        ...receipt({
          timeZone: 'Europe/Stockholm',
          lines: [
            { type: 'energy', description: 'Energy 0.418 kWh', quantity: 418, unit: 'Wh', unitPrice: 495, amount: 207 },
            { type: 'session', description: 'Session fee', quantity: 1, unit: 'session', unitPrice: 500, amount: 500 },
            { type: 'idle', description: 'Idle fee 12 min 30 s', quantity: 750, unit: 'second', unitPrice: 100, amount: 1250 },
          ],
          total: 1957, vat: 391, net: 1566,
          payment: { method: 'card', card: { brand: 'mastercard', last4: '4444' }, holdAmount: 30_000, captured: 1957, released: 28_043, refunded: 0 },
          charge: { amount: 1957, basis: 'card', cost: 1957, minimumCharge: 300 },
        }),
        refunds: [], refunded: 0, link,
      }),
    )
    const { wrapper } = await mountAt('/r/LP-2026-000123?t=rt_abc', 'sv')
    await vi.waitFor(() => expect(wrapper.find('[data-test=receipt-link] img').exists()).toBe(true))
    expect(wrapper.find('[data-test=receipt-title]').text()).toBe('Kvitto')
    expect(wrapper.find('[data-test=receipt-kind]').text()).toBe('Förenklad faktura')
    const rows = wrapper.findAll('tbody tr').map((row) => [plain(row.find('.line-name').text()), plain(row.find('[data-test=line-detail]').text()), plain(row.find('[data-test=line-amount]').text())])
    expect(rows).toEqual([
      ['Energi', '0,418 kWh × 4,95 kr/kWh', '2,07 kr'],
      ['Startavgift', '5,00 kr per laddning', '5,00 kr'],
      ['Parkeringsavgift', '12 min 30 s × 1,00 kr/min', '12,50 kr'],
    ])
    expect(wrapper.find('[data-test=card]').text()).toBe('Mastercard ···· 4444')
    // 10:00–10:30 UTC in January is 11:00–11:30 in Stockholm, whatever the device's zone
    const facts = plain(wrapper.find('.receipt-facts').text())
    expect(facts).toContain('Start2026-01-10 11:00')
    expect(facts).toContain('Slut2026-01-10 11:30')
    expect(facts).toContain('LaddareDEMO-1 · Uttag 1')
    expect(plain(wrapper.find('[data-test=vat]').text())).toBe('3,91 kr')
    expect(wrapper.find('[data-test=receipt-link-url]').attributes('href')).toBe(link)
    expect(wrapper.find('[data-test=receipt-link] img').attributes('src')).toMatch(/^data:image\/png;base64,/)
    expect(wrapper.find('[data-test=pdf]').attributes('href')).toBe('/api/receipts/LP-2026-000123.pdf?t=rt_abc&lang=sv')
    expect(wrapper.find('[data-test=pdf-sv]').exists()).toBe(false)
    expect(wrapper.text()).not.toMatch(/Energy|Idle fee|Session fee|visa/)
  })

  it('leaves out fees that counted nothing, but always shows the energy', async () => {
    stubFetch(() =>
      json(
        receipt({
          lines: [
            { type: 'energy', description: 'Energy', quantity: 10_000, unit: 'Wh', unitPrice: 495, amount: 4_950 },
            { type: 'time', description: 'Charging time', quantity: 0, unit: 'second', unitPrice: 25, amount: 0 },
            { type: 'idle', description: 'Idle fee 0 s', quantity: 0, unit: 'second', unitPrice: 100, amount: 0 },
          ],
        }),
      ),
    )
    const { wrapper } = await mountAt('/r/LP-2026-000123?t=x')
    expect(wrapper.findAll('tbody tr').map((row) => row.attributes('data-line'))).toEqual(['energy'])
  })

  it('says when nothing was charged', async () => {
    stubFetch(() => json(receipt({ total: 0, vat: 0, net: 0, lines: [], nothingCharged: true })))
    const { wrapper } = await mountAt('/r/LP-2026-000124?t=x')
    expect(wrapper.find('[data-test=charge-explanation]').text()).toBe('Nothing was charged.')
  })

  it('keeps the real line amounts under the minimum, takes them off and says why nothing was charged', async () => {
    stubFetch(() =>
      json(
        receipt({
          energyWh: 418,
          energyKwh: '0.418',
          lines: [{ type: 'energy', description: 'Energy 0.418 kWh', quantity: 418, unit: 'Wh', unitPrice: 495, amount: 207 }],
          total: 0, vat: 0, net: 0,
          payment: { method: 'card', card: { brand: 'visa', last4: '4242' }, holdAmount: 30_000, captured: 0, released: 30_000, refunded: 0 },
          charge: { amount: 0, basis: 'below_minimum', cost: 207, minimumCharge: 300 },
          nothingCharged: true,
        }),
      ),
    )
    const { wrapper } = await mountAt('/r/LP-2026-000124?t=x', 'sv')
    expect(plain(wrapper.find('[data-line=energy] [data-test=line-detail]').text())).toBe('0,418 kWh × 4,95 kr/kWh')
    expect(plain(wrapper.find('[data-line=energy] [data-test=line-amount]').text())).toBe('2,07 kr')
    expect(cells(wrapper.find('[data-test=not-charged]'))).toEqual(['Under minsta kortbelopp', '−2,07 kr'])
    expect(plain(wrapper.find('[data-test=total]').text())).toBe('0,00 kr')
    expect(plain(wrapper.find('[data-test=vat]').text())).toBe('0,00 kr')
    expect(plain(wrapper.find('[data-test=charge-explanation]').text())).toBe('Inte debiterat: under minsta kortbelopp 3,00 kr; reservationen har släppts.')
    expect(plain(wrapper.find('[data-test=released]').text())).toBe('300,00 kr')
  })

  it('says a grant’s cost is invoiced by the owner and never shows it as charged', async () => {
    stubFetch(() =>
      json(
        receipt({
          lines: [{ type: 'energy', description: 'Energy 0.242 kWh', quantity: 242, unit: 'Wh', unitPrice: 495, amount: 120 }],
          total: 120, vat: 24, net: 96,
          payment: { method: 'grant', card: null, holdAmount: 0, captured: 0, released: 0, refunded: 0 },
          charge: { amount: 120, basis: 'invoiced_by_owner', cost: 120, minimumCharge: 300 },
        }),
      ),
    )
    const { wrapper } = await mountAt('/r/LP-2026-000125?t=x')
    expect(cells(wrapper.find('tr.total'))).toEqual(['Invoiced by the owner, incl. VAT', 'SEK 1.20'])
    expect(plain(wrapper.find('[data-test=charge-explanation]').text())).toBe(
      'The cost is invoiced by the charger’s owner under your access terms; no card was charged.',
    )
    expect(wrapper.find('[data-test=payment-method]').text()).toBe('Access from the charger’s owner')
    expect(wrapper.find('[data-test=not-charged]').exists()).toBe(false)
    expect(wrapper.find('[data-test=captured]').exists()).toBe(false)
    expect(wrapper.text()).not.toMatch(/Charged|Hold placed/)
  })

  it('takes off what the hold did not cover, as the amount not charged', async () => {
    stubFetch(() =>
      json(
        receipt({
          lines: [{ type: 'energy', description: 'Energy 61.000 kWh', quantity: 61_000, unit: 'Wh', unitPrice: 495, amount: 30_195 }],
          total: 30_000, vat: 6_000, net: 24_000, capReduction: 195,
          payment: { method: 'card', card: { brand: 'visa', last4: '4242' }, holdAmount: 30_000, captured: 30_000, released: 0, refunded: 0 },
          charge: { amount: 30_000, basis: 'card', cost: 30_195, minimumCharge: 300 },
        }),
      ),
    )
    const { wrapper } = await mountAt('/r/LP-2026-000126?t=x')
    expect(cells(wrapper.find('[data-test=not-charged]'))).toEqual(['Not charged above your hold', '−SEK 1.95'])
    expect(plain(wrapper.find('[data-test=total]').text())).toBe('SEK 300.00')
    expect(plain(wrapper.find('[data-test=captured]').text())).toBe('SEK 300.00')
    expect(wrapper.find('[data-test=charge-explanation]').exists()).toBe(false)
  })

  it('says an open charger was free', async () => {
    stubFetch(() =>
      json(
        receipt({
          total: 0, vat: 0, net: 0,
          payment: { method: 'open', card: null, holdAmount: 0, captured: 0, released: 0, refunded: 0 },
          charge: { amount: 0, basis: 'free', cost: 4_950, minimumCharge: 300 },
          nothingCharged: true,
        }),
      ),
    )
    const { wrapper } = await mountAt('/r/LP-2026-000127?t=x')
    expect(cells(wrapper.find('[data-test=not-charged]'))).toEqual(['Free charging', '−SEK 49.50'])
    expect(plain(wrapper.find('[data-test=charge-explanation]').text())).toBe('This charger is free to use: nothing was charged.')
  })

  it('reads the receipt number and token out of a session’s receipt URL', () => {
    expect(receiptRoute('http://localhost:8080/api/receipts/LP-2026-000123?t=rt_abc')).toEqual({ number: 'LP-2026-000123', token: 'rt_abc' })
  })
})

describe('scanning', () => {
  const origin = 'https://laddpunkt.example'

  it('opens our own QR URLs directly and hands anything else to the BFF to resolve', () => {
    expect(chargerRouteFor('https://laddpunkt.example/c/DEMO-1', origin)).toBe('/c/DEMO-1')
    expect(chargerRouteFor(' DEMO-1 ', origin)).toBe('/c/DEMO-1')
    expect(chargerRouteFor('SE*LDP*EDEMO1*1', origin)).toBe(`/c/${encodeURIComponent('SE*LDP*EDEMO1*1')}`)
    expect(chargerRouteFor('https://other.example/c/X', origin)).toBe(`/c/${encodeURIComponent('https://other.example/c/X')}`)
    expect(chargerRouteFor('   ', origin)).toBeNull()
  })

  it('opens the charger typed into the manual field', async () => {
    stubFetch(() => json(charger()))
    const { wrapper, router } = await mountAt('/')
    await wrapper.find('#charger-code').setValue('DEMO-1')
    await wrapper.find('form.manual').trigger('submit')
    await arrivedAt(router, '/c/DEMO-1')
    expect(wrapper.find('[data-connector]').exists()).toBe(true)
  })
})

describe('QR print page', () => {
  it('shows one card per charger with its QR image, id, label and EVSE ids', async () => {
    stubFetch((call) =>
      call.path === '/api/sites/demo'
        ? json({ site: charger().site, chargers: [charger(), charger({ id: 'DEMO-2', label: 'Plats 3–4' })] })
        : apiError(404, 'not_found', 'x'),
    )
    const { wrapper } = await mountAt('/sites/demo/qr')
    const cards = wrapper.findAll('[data-test=qr-card]')
    expect(cards).toHaveLength(2)
    expect(cards[1].find('img').attributes('src')).toBe('/api/chargers/DEMO-2/qr.svg')
    expect(cards[1].find('img').attributes('alt')).toBe('QR code for charger DEMO-2')
    expect(plain(cards[0].text())).toContain('SE*LDP*EDEMO1*1, SE*LDP*EDEMO1*2')
    expect(cards[0].findAll('[data-price]')).toHaveLength(4)
  })
})
