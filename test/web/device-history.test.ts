// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { arrivedAt, json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { session } from './fixtures'
import { readDeviceHistory, runningDeviceSession, useSessionStore, type DeviceSession } from '../../web/stores/session'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const entry = (sessionId: string, createdAt: string, extra: Partial<DeviceSession> = {}): DeviceSession => ({
  sessionId,
  stopToken: `tok-${sessionId}`,
  chargerId: 'DEMO-2',
  connectorId: 2,
  createdAt,
  ...extra,
})

describe('device history', () => {
  it('survives a restart: what one app run remembers, the next one reads back', () => {
    setActivePinia(createPinia())
    const store = useSessionStore()
    store.remember(entry('ses_a', '2026-01-10T10:00:00Z'))
    store.record(session({ id: 'ses_a', state: 'completed', cost: { currency: 'SEK', total: 4_950, vat: 990, lines: [] } }))

    setActivePinia(createPinia())
    const restarted = useSessionStore()
    expect(restarted.history).toHaveLength(1)
    expect(restarted.find('ses_a')).toMatchObject({ stopToken: 'tok-ses_a', state: 'completed', total: 4_950, currency: 'SEK' })
  })

  it('treats unreadable storage as an empty history', () => {
    expect(readDeviceHistory({ getItem: () => '{not json' })).toEqual([])
    expect(readDeviceHistory({ getItem: () => '{"a":1}' })).toEqual([])
  })

  it('reopens only a session that is not final and at most two days old', () => {
    const now = Date.parse('2026-01-10T12:00:00Z')
    expect(runningDeviceSession([entry('old', '2026-01-07T12:00:00Z')], now)).toBeNull()
    expect(runningDeviceSession([entry('done', '2026-01-10T11:00:00Z', { state: 'completed' })], now)).toBeNull()
    expect(runningDeviceSession([entry('live', '2026-01-10T11:00:00Z', { state: 'charging' })], now)?.sessionId).toBe('live')
  })

  it('opens the running session when the app starts at /, but not on a deep link', async () => {
    localStorage.setItem(
      'laddpunkt.history.v1',
      JSON.stringify([entry('ses_1', new Date().toISOString(), { state: 'charging' })]),
    )
    stubFetch((call) => (call.path.startsWith('/api/sessions/') ? json(session()) : json({ error: { code: 'x', message: 'x' } }, 404)))
    const first = await mountAt('/')
    await arrivedAt(first.router, '/s/ses_1')
    first.wrapper.unmount()

    const deepLink = await mountAt('/history')
    expect(deepLink.router.currentRoute.value.fullPath).toBe('/history')
  })

  it('lists this device’s sessions newest first with state, total and receipt link', async () => {
    localStorage.setItem(
      'laddpunkt.history.v1',
      JSON.stringify([
        entry('ses_old', '2026-01-09T10:00:00Z', {
          state: 'completed', total: 4_950, currency: 'SEK', siteName: 'Demo Garage',
          receiptUrl: 'http://localhost/api/receipts/LP-1?t=tok',
        }),
        entry('ses_new', '2026-01-10T10:00:00Z', { state: 'failed', total: 0, currency: 'SEK', siteName: 'Demo Garage' }),
      ]),
    )
    stubFetch(() => json(session()))
    const { wrapper } = await mountAt('/history')
    const items = wrapper.findAll('[data-test=history-item]')
    expect(items).toHaveLength(2)
    expect(plain(items[0].text())).toContain('Charging could not start')
    expect(plain(items[1].text())).toContain('SEK 49.50')
    expect(items[1].find('a[href^="/r/"]').attributes('href')).toBe('/r/LP-1?t=tok')
  })

  it('keeps the amount the receipt shows: the charge once final, the running cost before', async () => {
    localStorage.setItem('laddpunkt.history.v1', JSON.stringify([entry('ses_1', '2026-01-10T10:00:00Z', { state: 'charging' })]))
    const underMinimum = { energyWh: 418, cost: { currency: 'SEK', total: 207, vat: 41, lines: [] } }
    let snapshot = session(underMinimum)
    stubFetch(() => json(snapshot))
    setActivePinia(createPinia())
    const store = useSessionStore()
    await store.refreshHistory()
    expect(store.find('ses_1')?.total).toBe(207)

    snapshot = session({ ...underMinimum, state: 'completed', stoppedAt: '2026-01-10T10:30:00Z' })
    await store.refreshHistory()
    expect(store.find('ses_1')).toMatchObject({ state: 'completed', total: 0 })

    const { wrapper } = await mountAt('/history')
    expect(plain(wrapper.find('[data-test=history-item]').text())).toContain('SEK 0.00')
  })
})
