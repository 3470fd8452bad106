// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { charger } from './fixtures'
import { routes } from './account-fixtures'
import type { ChargerGrantView } from '../../bff/views'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const site = charger().tariff
const privatePrice = { ...site, holdAmount: 0, components: [{ type: 'energy' as const, price: 250, unit: 'kWh' as const }] }
const grant = (over: Partial<ChargerGrantView> = {}): ChargerGrantView => ({
  id: 'grt_1',
  label: null,
  price: 'private',
  capLeft: { energyWh: 462, amount: null, reached: false },
  caps: { energyWh: 500, amount: null },
  tariff: privatePrice,
  ...over,
})

describe('charger page for a driver with a grant', () => {
  it('shows their own price first, not the public one, and what is left of the month before the start', async () => {
    stubFetch(routes({ 'GET /api/chargers/DEMO-1': () => json(charger({ startMethods: ['grant', 'card'], grant: grant() })) }))
    const { wrapper } = await mountAt('/c/DEMO-1', 'sv')
    const mine = wrapper.find('[data-test=grant-prices]')
    expect(mine.find('h2').text()).toBe('Ditt pris')
    expect(plain(mine.find('[data-price=energy] dd').text())).toBe('2,50 kr/kWh')
    expect(mine.text()).not.toContain('4,95')
    expect(wrapper.find('[data-test=grant-note]').text()).toBe('Du har tillgång här till ett eget pris; ägaren fakturerar dig.')
    expect(plain(wrapper.find('[data-test=allowance]').text())).toBe('Kvar denna månad: 0,462 kWh av 0,5 kWh')
    // The public price is one tap away, for paying by card instead.
    expect(plain(wrapper.find('details.card-price [data-price=energy] dd').text())).toBe('4,95 kr/kWh')
    const html = wrapper.html()
    expect(html.indexOf('data-test="grant-prices"')).toBeLessThan(html.indexOf('data-test="start-grant"'))
  })

  it('shows an amount cap in money, and no allowance line for a grant without caps', async () => {
    stubFetch(routes({
      'GET /api/chargers/DEMO-1': () => json(charger({ startMethods: ['grant', 'card'], grant: grant({ caps: { energyWh: null, amount: 50_000 }, capLeft: { energyWh: null, amount: 12_550, reached: false } }) })),
    }))
    const { wrapper } = await mountAt('/c/DEMO-1')
    expect(plain(wrapper.find('[data-test=allowance]').text())).toBe('SEK 125.50 of SEK 500.00 left this month')

    stubFetch(routes({ 'GET /api/chargers/DEMO-1': () => json(charger({ startMethods: ['grant'], grant: grant({ price: 'free', caps: { energyWh: null, amount: null }, capLeft: { energyWh: null, amount: null, reached: false } }) })) }))
    const again = await mountAt('/c/DEMO-1')
    expect(again.wrapper.find('[data-test=allowance]').exists()).toBe(false)
    expect(again.wrapper.find('details.card-price').exists()).toBe(false) // no card here: no card price to fold away
  })

  it('says before the start that this month’s allowance is used, and offers the card', async () => {
    stubFetch(routes({ 'GET /api/chargers/DEMO-1': () => json(charger({ startMethods: ['card'], grant: null, grantRefused: 'grant_cap_reached' })) }))
    const { wrapper } = await mountAt('/c/DEMO-1', 'sv')
    expect(wrapper.find('[data-test=grant-refused]').text()).toBe('Du har använt månadens utrymme vid den här laddaren.')
    expect(wrapper.find('[data-test=start-grant]').exists()).toBe(false)
    expect(wrapper.find('a[data-test=start]').text()).toBe('Börja ladda')
  })
})
