// @vitest-environment happy-dom
/**
 * Support's lookup by card last four and date (a driver at a payment terminal): terminal sessions are
 * marked, and card taps that started no session are listed with their hold, released or not yet.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { routes } from './account-fixtures'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const match = {
  id: 'ses_1', state: 'completed', siteId: 'demo', chargerId: 'DEMO-1', connectorId: 1, createdAt: '2026-03-02T13:00:00.000Z', startedAt: null, stoppedAt: null,
  currency: 'SEK', capturedAmount: 8979, refundedAmount: 0, holdStatus: 'captured', card: { brand: 'visa', last4: '4242' }, receiptNumber: '5591234567-000001', matchedBy: 'card', terminal: 'payter',
}
const tap = (status: string) => ({
  id: 'pay_1', terminalId: 'P68-0002', provider: 'payter', chargerId: 'DEMO-2', connectorId: 1, createdAt: '2026-03-02T14:00:00.000Z',
  amount: 30000, currency: 'SEK', status, refusal: 'charger_offline', card: { brand: 'visa', last4: '4242' },
})

async function searchByCard(answer: unknown, locale: 'en' | 'sv' = 'en') {
  const calls = stubFetch(routes({ 'GET /api/support/search': () => json(answer) }))
  const { wrapper } = await mountAt('/support', locale)
  const fields = wrapper.findAll('details input')
  await fields[3].setValue('4242')
  await fields[4].setValue('2026-03-02')
  await wrapper.find('details form').trigger('submit')
  await flushPromises()
  return { wrapper, calls }
}

describe('support lookup by card last four and date', () => {
  it('marks terminal sessions and lists taps that started nothing with their released hold', async () => {
    const { wrapper, calls } = await searchByCard({ matches: [match], taps: [tap('cancelled')] })
    expect(calls.at(-1)!.path).toBe('/api/support/search?last4=4242&date=2026-03-02')
    expect(plain(wrapper.find('.results a').text())).toContain('DEMO-1/1 · completed · card terminal')
    const taps = wrapper.find('[data-test=terminal-taps]')
    expect(taps.find('h2').text()).toBe('Card taps that started no session')
    const row = plain(taps.find('[data-test=terminal-tap]').text())
    expect(row).toContain('DEMO-2/1 · P68-0002')
    expect(row).toContain('•••• 4242 · charger offline')
    expect(row).toMatch(/Hold of .*300\.00.* released/)
  })

  it('says when a hold is still being released, in the agent’s language', async () => {
    const { wrapper } = await searchByCard({ matches: [], taps: [tap('refused')] }, 'sv')
    expect(wrapper.text()).toContain('Ingen session matchar.')
    expect(plain(wrapper.find('[data-test=terminal-tap] .releasing').text())).toMatch(/^Reservation på .*300.* inte släppt än: försöks igen automatiskt$/)
  })

  it('shows no tap list when there is none', async () => {
    const { wrapper } = await searchByCard({ matches: [match], taps: [] })
    expect(wrapper.find('[data-test=terminal-taps]').exists()).toBe(false)
  })
})
