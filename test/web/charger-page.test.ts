// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, json, mountAt, stubEventSource, stubFetch, TestEventSource, flushPromises } from './harness'
import { charger } from './fixtures'

const text = (s: string) => s.replace(/\s+/g, ' ').trim()

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('charger page', () => {
  it('shows every price component in AFIR order, formatted for the locale, before the start button', async () => {
    stubFetch(() => json(charger()))
    const { wrapper } = await mountAt('/c/DEMO-1', 'en')
    const rows = wrapper.findAll('[data-price]')
    expect(rows.map((r) => r.attributes('data-price'))).toEqual(['energy', 'time', 'session', 'idle'])
    expect(rows.map((r) => text(r.find('dd').text()))).toEqual([
      'SEK 4.95/kWh',
      'SEK 0.25/min',
      'SEK 5.00 per session',
      'SEK 1.00/min after 30 min once charging has ended',
    ])
    expect(text(wrapper.text())).toContain('All prices incl. 25% VAT.')
    expect(text(wrapper.find('[data-test=hold]').text())).toBe(
      'We place a hold of SEK 300 on your card; only what you use is charged and the rest is released when you stop.',
    )
    const html = wrapper.html()
    expect(html.indexOf('data-price="idle"')).toBeLessThan(html.indexOf('data-test="start"'))
  })

  it('formats prices the Swedish way in Swedish', async () => {
    stubFetch(() => json(charger()))
    const { wrapper } = await mountAt('/c/DEMO-1', 'sv')
    const values = wrapper.findAll('[data-price] dd').map((d) => text(d.text()))
    expect(values[0]).toBe('4,95 kr/kWh')
    expect(values[3]).toBe('1,00 kr/min efter 30 min när laddningen är klar')
    expect(text(wrapper.find('[data-test=hold]').text())).toContain('300 kr')
  })

  it('asks the BFF for the charger by its URL-encoded reference', async () => {
    const calls = stubFetch(() => json(charger()))
    await mountAt(`/c/${encodeURIComponent('SE*LDP*EDEMO1*1')}`)
    expect(calls[0].path).toBe(`/api/chargers/${encodeURIComponent('SE*LDP*EDEMO1*1')}`)
  })

  it('labels connector statuses in the driver’s words and only lets free connectors be chosen', async () => {
    stubFetch(() => json(charger({}, ['Preparing', 'Charging', 'Faulted'])))
    const { wrapper } = await mountAt('/c/DEMO-1')
    const cards = wrapper.findAll('[data-connector]')
    expect(cards.map((c) => c.find('[data-status]').text())).toEqual(['Car plugged in', 'Busy – charging', 'Out of order'])
    expect(cards.map((c) => (c.find('input').element as HTMLInputElement).disabled)).toEqual([false, true, true])
    expect((cards[0].find('input').element as HTMLInputElement).checked).toBe(true)
    const start = wrapper.find('a[data-test=start]')
    expect(start.attributes('href')).toBe('/c/DEMO-1/pay?connector=1')
  })

  it('disables start with a reason when every connector is busy', async () => {
    stubFetch(() => json(charger({}, ['Charging', 'SuspendedEV'])))
    const { wrapper } = await mountAt('/c/DEMO-1')
    expect(wrapper.find('button[data-test=start]').attributes('disabled')).toBeDefined()
    expect(wrapper.find('[data-test=start-reason]').text()).toBe('This connector is busy. Choose another one.')
  })

  it('shows an offline charger as offline and cannot be started', async () => {
    stubFetch(() => json(charger({ online: false }, ['Unavailable', 'Unavailable'])))
    const { wrapper } = await mountAt('/c/DEMO-1')
    expect(wrapper.findAll('[data-status]').map((s) => s.text())).toEqual(['Charger offline', 'Charger offline'])
    expect(wrapper.find('[data-test=start-reason]').text()).toBe('The charger is offline, so it cannot be started.')
  })

  it('updates connector statuses live from the charger event stream, without reloading', async () => {
    const calls = stubFetch(() => json(charger({}, ['Available', 'Available'])))
    const { wrapper } = await mountAt('/c/DEMO-1')
    const stream = TestEventSource.opened[0]
    expect(stream.url).toBe('/api/chargers/DEMO-1/events')
    stream.emit('charger', charger({}, ['Charging', 'Available']))
    await flushPromises()
    const cards = wrapper.findAll('[data-connector]')
    expect(cards[0].find('[data-status]').text()).toBe('Busy – charging')
    // The driver's choice moves off the connector that just became busy.
    expect((cards[1].find('input').element as HTMLInputElement).checked).toBe(true)
    expect(calls).toHaveLength(1)
  })

  it('says clearly when a charger does not exist and leads back to scanning', async () => {
    stubFetch(() => apiError(404, 'charger_not_found', 'No charger NOPE'))
    const { wrapper } = await mountAt('/c/NOPE')
    const notFound = wrapper.find('[data-test=not-found]')
    expect(notFound.find('h1').text()).toBe('Charger not found')
    expect(notFound.find('a').attributes('href')).toBe('/')
  })
})

describe('money explained before start', () => {
  const withIdleCap = (capAmount: number) => {
    const c = charger()
    return charger({
      tariff: { ...c.tariff, components: c.tariff.components.map((x) => (x.type === 'idle' ? { ...x, capAmount } : x)) },
    })
  }

  it('shows the idle fee’s cap in the idle row, the rows still in AFIR order', async () => {
    stubFetch(() => json(withIdleCap(5_000)))
    const { wrapper } = await mountAt('/c/DEMO-1', 'en')
    const rows = wrapper.findAll('[data-price]')
    expect(rows.map((r) => r.attributes('data-price'))).toEqual(['energy', 'time', 'session', 'idle'])
    expect(text(rows[3].find('dd').text())).toBe('SEK 1.00/min after 30 min once charging has ended, max SEK 50.00')
  })

  it('says the cap the Swedish way', async () => {
    stubFetch(() => json(withIdleCap(5_000)))
    const { wrapper } = await mountAt('/c/DEMO-1', 'sv')
    expect(text(wrapper.find('[data-price=idle] dd').text())).toBe('1,00 kr/min efter 30 min när laddningen är klar, max 50,00 kr')
  })

  it('explains that a session under the provider’s minimum is not charged, before the start button', async () => {
    stubFetch(() => json(charger()))
    const { wrapper } = await mountAt('/c/DEMO-1', 'sv')
    expect(text(wrapper.find('[data-test=minimum-charge]').text())).toBe('Laddningar under 3,00 kr debiteras inte.')
    const html = wrapper.html()
    expect(html.indexOf('data-test="minimum-charge"')).toBeLessThan(html.indexOf('data-test="start"'))
  })

  it('follows the currency’s minimum', async () => {
    const c = charger()
    stubFetch(() => json(charger({ tariff: { ...c.tariff, currency: 'EUR', minimumCharge: 50 } })))
    const { wrapper } = await mountAt('/c/DEMO-1', 'en')
    expect(text(wrapper.find('[data-test=minimum-charge]').text())).toBe('Sessions under €0.50 are not charged.')
  })

  it('leaves the minimum out where no card is used', async () => {
    stubFetch(() => json(charger({ startMethods: ['open'] })))
    const { wrapper } = await mountAt('/c/DEMO-1', 'en')
    expect(wrapper.find('[data-price=energy]').exists()).toBe(true)
    expect(wrapper.find('[data-test=minimum-charge]').exists()).toBe(false)
  })
})
