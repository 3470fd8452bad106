// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, json, mountAt, plain, stubEventSource, stubFetch, TestEventSource, flushPromises } from './harness'
import { session } from './fixtures'
import { storageKeys } from '../../web/storage-keys'

function onThisDevice(sessionId = 'ses_1') {
  localStorage.setItem(
    storageKeys.deviceHistory,
    JSON.stringify([{ sessionId, stopToken: 'tok-1', chargerId: 'DEMO-1', connectorId: 1, createdAt: new Date().toISOString() }]),
  )
}

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
  document.body.innerHTML = ''
})

describe('live session page', () => {
  it('shows energy with 3 decimals, power, cost with VAT note, hold left and a stop button', async () => {
    onThisDevice()
    const calls = stubFetch((call) => (call.path.endsWith('/events-ticket') ? json({ ticket: '1700000060.sig' }, 201) : json(session())))
    const { wrapper } = await mountAt('/s/ses_1')
    expect(calls[0]).toMatchObject({ path: '/api/sessions/ses_1', headers: { authorization: 'Bearer tok-1' } })
    // The stop token goes in a header; the stream's URL carries only a short-lived ticket.
    expect(calls[1]).toMatchObject({ method: 'POST', path: '/api/sessions/ses_1/events-ticket', headers: { authorization: 'Bearer tok-1' } })
    expect(wrapper.find('[data-test=headline]').text()).toBe('Charging')
    expect(wrapper.find('[data-test=energy]').text()).toBe('12.345')
    expect(wrapper.find('[data-test=power]').text()).toBe('7.4')
    expect(plain(wrapper.find('[data-test=cost-total]').text())).toBe('SEK 61.11')
    expect(plain(wrapper.find('[data-test=hold-left]').text())).toBe('Hold left: SEK 238.89')
    expect(wrapper.find('polyline').attributes('points')).toMatch(/^0\.0,/)
    expect(wrapper.find('[data-test=stop]').text()).toBe('Stop charging')
    expect(TestEventSource.opened[0].url).toBe('/api/sessions/ses_1/events?ticket=1700000060.sig')
  })

  it('stops with the device’s stop token and disables the button while stopping', async () => {
    onThisDevice()
    const calls = stubFetch((call) =>
      call.path.endsWith('/stop') ? json({ session: session({ state: 'stopping' }) }) : json(session()),
    )
    const { wrapper } = await mountAt('/s/ses_1')
    await wrapper.find('[data-test=stop]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toMatchObject({ method: 'POST', path: '/api/sessions/ses_1/stop', headers: { authorization: 'Bearer tok-1' } })
    expect(wrapper.find('[data-test=stop]').attributes('disabled')).toBeDefined()
    expect(wrapper.find('[data-test=stop]').text()).toBe('Stopping…')
  })

  it('follows live snapshots and says how old the data is when the connection drops', async () => {
    onThisDevice()
    stubFetch(() => json(session()))
    const { wrapper } = await mountAt('/s/ses_1')
    const stream = TestEventSource.opened[0]
    stream.emit('open')
    stream.emit('session', session({ energyWh: 20_000, version: 4 }))
    await flushPromises()
    expect(wrapper.find('[data-test=energy]').text()).toBe('20.000')
    expect(wrapper.find('[data-test=stale]').exists()).toBe(false)

    // An older snapshot arriving late does not roll the numbers back.
    stream.emit('session', session({ energyWh: 15_000, version: 2 }))
    stream.emit('error')
    await flushPromises()
    expect(wrapper.find('[data-test=energy]').text()).toBe('20.000')
    expect(wrapper.find('[data-test=stale]').text()).toMatch(/^Connection lost\. Last updated .+\.$/)
  })

  it('tells the driver why it failed and that the hold was released', async () => {
    onThisDevice()
    stubFetch(() =>
      json(session({ state: 'failed', startedAt: null, failureReason: 'start_timeout', hold: { amount: 30_000, status: 'released', captured: 0, released: 30_000, refunded: 0 } })),
    )
    const { wrapper } = await mountAt('/s/ses_1')
    expect(wrapper.find('[data-test=headline]').text()).toBe('Charging could not start')
    expect(wrapper.find('[data-test=failure]').text()).toBe('The car was not plugged in in time.')
    expect(plain(wrapper.find('[data-test=released]').text())).toBe('Your hold of SEK 300 has been released.')
    expect(TestEventSource.opened).toHaveLength(0)
  })

  it('links a completed session to its shareable receipt page', async () => {
    onThisDevice()
    stubFetch(() =>
      json(session({ state: 'completed', stoppedAt: new Date().toISOString(), receipt: { number: 'LP-2026-000123', url: 'http://localhost:8080/api/receipts/LP-2026-000123?t=rt_abc' } })),
    )
    const { wrapper } = await mountAt('/s/ses_1')
    expect(wrapper.find('[data-test=receipt-link]').attributes('href')).toBe('/r/LP-2026-000123?t=rt_abc')
    expect(wrapper.find('[data-test=cost-total]').exists()).toBe(true)
    expect(wrapper.find('[data-test=stop]').exists()).toBe(false)
  })

  it('says so when the session was started on another device and nobody is signed in', async () => {
    const calls = stubFetch((call) => (call.path === '/api/auth/me' ? json({ user: null }) : apiError(404, 'session_not_found', 'no')))
    const { wrapper } = await mountAt('/s/ses_other')
    expect(wrapper.find('[data-test=other-device] h1').text()).toBe('This session was started on another device.')
    expect(calls.map((c) => c.path)).toEqual(['/api/auth/me'])
  })

  it('shows the signed-in driver their session from another device, as their account', async () => {
    const user = { id: 'usr_1', email: 'driver@example.com', name: null, roles: [] }
    const calls = stubFetch((call) => (call.path === '/api/auth/me' ? json({ user }) : json(session({ id: 'ses_other' }))))
    const { wrapper } = await mountAt('/s/ses_other')
    expect(wrapper.find('[data-test=other-device]').exists()).toBe(false)
    expect(wrapper.find('[data-test=headline]').text()).toBe('Charging')
    const fetched = calls.find((c) => c.path === '/api/sessions/ses_other')!
    expect(fetched.headers.authorization ?? '').not.toMatch(/Bearer \S/)
  })
})
