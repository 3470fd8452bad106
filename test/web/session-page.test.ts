// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, json, mountAt, plain, stubEventSource, stubFetch, TestEventSource, flushPromises } from './harness'
import { session } from './fixtures'
import { storageKeys } from '../../web/storage-keys'
import { formatTime } from '../../web/format'

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
    expect(wrapper.find('polyline').attributes('points')).toMatch(/^34\.0,/) // the curve starts at the kW axis
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

describe('the amount, the same as on the receipt', () => {
  const released = { amount: 30_000, status: 'released' as const, captured: 0, released: 30_000, refunded: 0 }
  const underMinimum = { energyWh: 418, cost: { currency: 'SEK', total: 207, vat: 41, lines: [] } }
  const ended = { stoppedAt: new Date().toISOString(), powerW: 0 }
  const deviceTotal = () => JSON.parse(localStorage.getItem(storageKeys.deviceHistory)!)[0].total

  it('shows the running cost and, while it is under the minimum, that such sessions are not charged', async () => {
    onThisDevice()
    stubFetch(() => json(session(underMinimum)))
    const { wrapper } = await mountAt('/s/ses_1')
    expect(plain(wrapper.find('[data-test=cost-total]').text())).toBe('SEK 2.07')
    expect(plain(wrapper.find('[data-test=charge-note]').text())).toBe(
      'Sessions under SEK 3.00 are not charged: if the cost stays below that, your hold is released.',
    )
    expect(deviceTotal()).toBe(207)
  })

  it('has no minimum hint once the running cost is above it', async () => {
    onThisDevice()
    stubFetch(() => json(session()))
    const { wrapper } = await mountAt('/s/ses_1')
    expect(plain(wrapper.find('[data-test=cost-total]').text())).toBe('SEK 61.11')
    expect(wrapper.find('[data-test=charge-note]').exists()).toBe(false)
  })

  it('once final under the minimum, shows nothing charged and why — as the receipt and the history do', async () => {
    onThisDevice()
    stubFetch(() => json(session({ ...underMinimum, ...ended, state: 'completed', hold: released })))
    const { wrapper } = await mountAt('/s/ses_1')
    expect(wrapper.find('.cost-label').text()).toBe('Total')
    expect(plain(wrapper.find('[data-test=cost-total]').text())).toBe('SEK 0.00')
    expect(wrapper.find('[data-test=charge-note]').attributes('data-basis')).toBe('below_minimum')
    expect(plain(wrapper.find('[data-test=charge-note]').text())).toBe(
      'Not charged: the cost of SEK 2.07 is under the smallest card amount of SEK 3.00; your hold was released.',
    )
    expect(deviceTotal()).toBe(0)
  })

  it('explains it in Swedish with Swedish money', async () => {
    onThisDevice()
    stubFetch(() => json(session({ ...underMinimum, ...ended, state: 'completed', hold: released })))
    const { wrapper } = await mountAt('/s/ses_1', 'sv')
    expect(plain(wrapper.find('[data-test=cost-total]').text())).toBe('0,00 kr')
    expect(plain(wrapper.find('[data-test=charge-note]').text())).toBe(
      'Inte debiterat: kostnaden 2,07 kr är under minsta kortbelopp 3,00 kr; reservationen har släppts.',
    )
  })

  it('shows the captured amount when the hold capped the session', async () => {
    onThisDevice()
    const capped = { amount: 30_000, status: 'captured' as const, captured: 30_000, released: 0, refunded: 0 }
    stubFetch(() => json(session({ ...ended, state: 'completed', energyWh: 61_000, cost: { currency: 'SEK', total: 30_195, vat: 6039, lines: [] }, hold: capped })))
    const { wrapper } = await mountAt('/s/ses_1')
    expect(plain(wrapper.find('[data-test=cost-total]').text())).toBe('SEK 300.00')
    expect(deviceTotal()).toBe(30_000)
  })

  it('says a grant session’s cost is invoiced by the owner, never charged to a card', async () => {
    onThisDevice()
    const grant = { method: 'grant' as const, card: null, hold: { amount: 0, status: 'none' as const, captured: 0, released: 0, refunded: 0 } }
    stubFetch(() => json(session({ ...grant, ...ended, state: 'completed', energyWh: 242, cost: { currency: 'SEK', total: 120, vat: 24, lines: [] } })))
    const { wrapper } = await mountAt('/s/ses_1')
    expect(wrapper.find('.cost-label').text()).toBe('Invoiced by the owner')
    expect(plain(wrapper.find('[data-test=cost-total]').text())).toBe('SEK 1.20')
    expect(plain(wrapper.find('[data-test=charge-note]').text())).toBe(
      'The cost is invoiced by the charger’s owner under your access terms; no card is charged.',
    )
    expect(wrapper.text()).not.toMatch(/Charged|Hold left/)
  })

  it('shows an open charger as free while it charges', async () => {
    onThisDevice()
    stubFetch(() => json(session({ method: 'open', card: null, hold: { amount: 0, status: 'none', captured: 0, released: 0, refunded: 0 } })))
    const { wrapper } = await mountAt('/s/ses_1')
    expect(plain(wrapper.find('[data-test=cost-total]').text())).toBe('SEK 0.00')
    expect(plain(wrapper.find('[data-test=charge-note]').text())).toBe('This charger is free to use: nothing is charged.')
    expect(deviceTotal()).toBe(0)
  })
})

describe('idle fee after the stop', () => {
  const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()
  const settling = (idle: NonNullable<ReturnType<typeof session>['idle']>) =>
    session({ state: 'settling', stoppedAt: at(-1), powerW: 0, idle })

  it('says when the idle fee starts, its cap, and when the session ends at the latest', async () => {
    onThisDevice()
    const graceEndsAt = at(29)
    const waitEndsAt = at(89)
    stubFetch(() => json(settling({ graceEndsAt, pricePerMinute: 100, capAmount: 5_000, waitEndsAt })))
    const { wrapper } = await mountAt('/s/ses_1')
    expect(wrapper.find('[data-test=headline]').text()).toBe('Finishing up — unplug your car')
    const starts = formatTime(graceEndsAt, 'en')
    expect(plain(wrapper.find('[data-test=idle-fee]').text())).toMatch(new RegExp(`^Idle fee of SEK 1\\.00/min starts at ${starts} \\(in (28:59|29:00)\\)\\.$`))
    expect(plain(wrapper.find('[data-test=idle-cap]').text())).toBe('The idle fee is at most SEK 50.00.')
    expect(plain(wrapper.find('[data-test=idle-wait]').text())).toBe(
      `We end the session at ${formatTime(waitEndsAt, 'en')} at the latest, even if the car is still plugged in.`,
    )
  })

  it('says the idle fee is running once the grace is over, without a cap when there is none', async () => {
    onThisDevice()
    stubFetch(() => json(settling({ graceEndsAt: at(-5), pricePerMinute: 100, capAmount: null, waitEndsAt: at(30) })))
    const { wrapper } = await mountAt('/s/ses_1', 'sv')
    expect(plain(wrapper.find('[data-test=idle-fee]').text())).toBe('Parkeringsavgift tickar: 1,00 kr/min tills du kopplar ur.')
    expect(wrapper.find('[data-test=idle-cap]').exists()).toBe(false)
    expect(plain(wrapper.find('[data-test=idle-wait]').text())).toMatch(/^Vi avslutar senast kl\. \d{2}:\d{2}, även om bilen fortfarande är inkopplad\.$/)
  })
})
