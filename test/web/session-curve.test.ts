// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { session } from './fixtures'
import { storageKeys } from '../../web/storage-keys'
import { curveGeometry, niceStep } from '../../web/session/curve'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
  localStorage.setItem(
    storageKeys.deviceHistory,
    JSON.stringify([{ sessionId: 'ses_1', stopToken: 'tok-1', chargerId: 'DEMO-1', connectorId: 1, createdAt: new Date().toISOString() }]),
  )
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const start = Date.parse('2026-01-10T10:00:00Z')
const minute = 60_000
/** 24 minutes of charging: up to 7.4 kW, then tapering to 3.2 kW. */
const samples: [number, number][] = [[start, 0], [start + 2 * minute, 7_400], [start + 12 * minute, 7_360], [start + 24 * minute, 3_200]]

describe('live power curve', () => {
  it('draws kW over minutes with round, labelled axes and says the same in words', async () => {
    stubFetch(() => json(session({ powerCurve: samples, powerW: 3_200, energyWh: 2_418, cost: { currency: 'SEK', total: 1_197, vat: 239, lines: [] } })))
    const { wrapper } = await mountAt('/s/ses_1', 'sv')
    const svg = wrapper.find('[data-test=curve]')
    expect(svg.attributes('role')).toBe('img')
    expect(plain(svg.attributes('aria-label')!)).toBe('Effekt under 24 min, som mest 7,4 kW, nu 3,2 kW. 2,418 kWh laddat, 11,97 kr hittills.')
    expect(svg.findAll('[data-test=y-tick]').map((t) => t.text())).toEqual(['0', '2', '4', '6', '8'])
    expect(svg.findAll('[data-test=x-tick]').map((t) => t.text())).toEqual(['0', '10', '20'])
    expect(svg.text()).toContain('kW')
    expect(svg.find('[data-test=x-title]').text()).toBe('minuter sedan start')
    // Energy and cost at a glance, beside the curve.
    expect(wrapper.findAll('[data-test=curve-facts] span').map((f) => plain(f.text()))).toEqual(['3,2 kW', '2,418 kWh', '11,97 kr'])
  })

  it('places the points on the scale: the peak under the top tick, the end at the last minute', () => {
    const box = { width: 340, height: 170, left: 34, right: 10, top: 12, bottom: 30 }
    const g = curveGeometry(samples, box)!
    const points = g.line.split(' ').map((p) => p.split(',').map(Number))
    const eightKw = g.yTicks.find((t) => t.kw === 8)!.y
    const zero = g.yTicks.find((t) => t.kw === 0)!.y
    expect(points[1][1]).toBeCloseTo(zero - (7.4 / 8) * (zero - eightKw), 0)
    expect(points[0][0]).toBe(34)
    expect(points.at(-1)![0]).toBe(330) // 24 of 24 minutes: the right edge of the plot
    expect(curveGeometry(samples.slice(0, 1), box)).toBeNull()
    expect(g.unit).toBe('minute')
  })

  it('counts the first two minutes in seconds', () => {
    const box = { width: 340, height: 170, left: 34, right: 10, top: 12, bottom: 30 }
    const early = curveGeometry([[start, 0], [start + 20_000, 7_000], [start + 45_000, 7_100]], box)!
    expect(early.unit).toBe('second')
    expect(early.xTicks.map((t) => t.at)).toEqual([0, 20, 40])
  })

  it('picks round steps', () => {
    expect([niceStep(7.4, 4), niceStep(22, 4), niceStep(0.8, 4), niceStep(150, 4), niceStep(24, 4)]).toEqual([2, 10, 0.2, 50, 10])
  })
})

describe('why charging stopped', () => {
  it('says a stop at the grant’s monthly cap, and nothing for the driver’s own stop', async () => {
    const stoppedAt = new Date().toISOString()
    stubFetch(() => json(session({ method: 'grant', state: 'completed', stoppedAt, stopReason: 'grant_cap', hold: { amount: 0, status: 'none', captured: 0, released: 0, refunded: 0 } as never })))
    const { wrapper } = await mountAt('/s/ses_1', 'sv')
    expect(wrapper.find('[data-test=headline]').text()).toBe('Laddningen är klar')
    expect(wrapper.find('[data-test=stop-reason]').text()).toBe('Laddningen stoppades eftersom du har nått månadens utrymme från laddarens ägare. Den förnyas den första i nästa månad.')

    stubFetch(() => json(session({ state: 'completed', stoppedAt, stopReason: 'driver' })))
    const own = await mountAt('/s/ses_1', 'sv')
    expect(own.wrapper.find('[data-test=stop-reason]').exists()).toBe(false)
  })
})
