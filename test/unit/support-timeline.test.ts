import { describe, expect, it } from 'vitest'
import { buildTimeline, describeEvent, sourceOf, summariseMeter, thinCurve, type TimelineInput } from '../../bff/support/timeline'

const t = (s: number) => new Date(Date.UTC(2025, 2, 1, 10, 0, s))

const empty: TimelineInput = { events: [], transaction: null, meter: null, intents: [], refunds: [], receipts: [], audit: [] }

describe('session timeline', () => {
  it('puts every source in time order; same-moment events keep their recorded order', () => {
    const timeline = buildTimeline({
      ...empty,
      events: [
        { id: 1, at: t(0), kind: 'created', data: { method: 'card', holdAmount: 30000 } },
        { id: 2, at: t(0), kind: 'state', data: { from: 'pending', to: 'starting' } },
        { id: 3, at: t(30), kind: 'charging_stopped', data: { energyWh: 1500, cause: 'remote', chargerStoppedAt: null } },
        { id: 4, at: t(31), kind: 'captured', data: { amount: 742, released: 29258 } },
      ],
      transaction: { id: 7, startedAt: t(5), stoppedAt: t(29), meterStartWh: 100, meterStopWh: 1500, stopReason: 'Remote', receivedAt: t(5) },
      meter: { count: 12, firstAt: t(6), lastAt: t(28), maxPowerW: 11000, energyWh: 1350 },
      intents: [{ action: 'capture', key: 's:capture', status: 'done', attempts: 2, lastError: 'timeout', createdAt: t(30), doneAt: t(31) }],
      refunds: [{ id: 'rf', amount: 100, status: 'succeeded', reason: 'goodwill', createdAt: t(40), createdBy: 'u', providerRefundId: 're_1' }],
      receipts: [
        { number: 'A-1', kind: 'simplified_invoice', replaces: null, issuedAt: t(31) },
        { number: 'A-2', kind: 'invoice', replaces: 'A-1', issuedAt: t(50) },
      ],
      audit: [{ id: 9, at: t(45), action: 'resend_receipt', actor: 'support@x', reason: 'lost it', data: { email: 'd@x' } }],
    })
    expect(timeline.map((e) => e.kind)).toEqual([
      'created', 'state', 'ocpp_start_transaction', 'meter_values', 'ocpp_stop_transaction', 'charging_stopped',
      'provider_capture', 'captured', 'refund', 'support_resend_receipt', 'invoice_issued',
    ])
    expect(timeline.map((e) => e.source)).toEqual(['state', 'state', 'ocpp', 'ocpp', 'ocpp', 'ocpp', 'payment', 'payment', 'payment', 'support', 'receipt'])
    expect(timeline[6].summary).toContain('2 attempts')
    expect(timeline[6].summary).toContain('timeout')
    expect(timeline[3].summary).toContain('12 samples')
    expect(timeline[9].summary).toContain('lost it')
    expect(timeline[10].summary).toContain('A-1')
  })

  it('an empty session has an empty story', () => {
    expect(buildTimeline(empty)).toEqual([])
  })

  it('says in words what each event means', () => {
    expect(describeEvent('state', { from: 'charging', to: 'stopping' })).toBe('State charging → stopping')
    expect(describeEvent('charging_stopped', { energyWh: 10, cause: 'remote', chargerStoppedAt: null })).toContain('not given')
    expect(describeEvent('charging_started', { chargerStartedAt: '1970-01-01T00:00:00.000Z', chargerClock: false, skewMs: -1 })).toContain('not believed')
    expect(describeEvent('capture_failed', { code: 'expired', message: 'gone' })).toContain('expired')
    expect(describeEvent('something_new', {})).toBe('something new')
    expect(sourceOf('webhook')).toBe('webhook')
    expect(sourceOf('remote_stop')).toBe('ocpp')
    expect(sourceOf('refund_failed')).toBe('payment')
    expect(sourceOf('receipt_issued')).toBe('receipt')
  })

  it('summarises meter values: count, span, peak power, energy between first and last reading', () => {
    expect(summariseMeter([])).toBeNull()
    const summary = summariseMeter([
      { at: t(1), energyWh: 1000, powerW: 7000 },
      { at: t(2), energyWh: null, powerW: 11000 },
      { at: t(3), energyWh: 1300, powerW: null },
    ])
    expect(summary).toEqual({ count: 3, firstAt: t(1), lastAt: t(3), maxPowerW: 11000, energyWh: 300 })
  })

  it('thins a long curve to at most N points, keeping both ends', () => {
    const points = Array.from({ length: 1001 }, (_, i) => i)
    const thin = thinCurve(points, 11)
    expect(thin).toHaveLength(11)
    expect(thin[0]).toBe(0)
    expect(thin.at(-1)).toBe(1000)
    expect(thinCurve([1, 2, 3], 10)).toEqual([1, 2, 3])
  })
})
