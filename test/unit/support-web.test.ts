import { describe, expect, it } from 'vitest'
import { parseMinor } from '../../web/support/money'
import { chartLines } from '../../web/support/chart'
import { supportActions, type SupportFacts } from '../../bff/domain/session'
import { sessionStates, holdStatuses } from '../../bff/store/schema'

describe('refund amount as an agent types it', () => {
  it.each([
    ['5', 500],
    ['5,00', 500],
    ['5.5', 550],
    [' 12,34 ', 1234],
    ['1 234,50', 123450],
    ['0,01', 1],
    ['10.', 1000],
  ])('%s → %i', (typed, minor) => expect(parseMinor(typed)).toBe(minor))

  it.each(['', 'abc', '5,001', '-5', '5,5,5', '1e3', '12.3.4'])('refuses %j', (typed) => expect(parseMinor(typed)).toBeNull())
})

describe('power and energy chart', () => {
  it('scales each series to its own peak on one time axis', () => {
    const lines = chartLines(
      [[1000, 0], [2000, 11000], [3000, 5500]],
      [[1000, 0], [3000, 2000]],
      300,
      100,
    )!
    expect(lines.power).toBe('0.0,100.0 150.0,0.0 300.0,50.0')
    expect(lines.energy).toBe('0.0,100.0 300.0,0.0')
    expect(lines).toMatchObject({ peakW: 11000, totalWh: 2000, startMs: 1000, endMs: 3000 })
  })

  it('has nothing to draw with fewer than two points', () => {
    expect(chartLines([[1, 5]], [], 300, 100)).toBeNull()
  })
})

describe('the actions the console offers (one rule with the server)', () => {
  const facts = (over: Partial<SupportFacts>): SupportFacts => ({
    state: 'charging', method: 'card', holdStatus: 'held', paymentId: 'pi_1', capturedAmount: 0, refundedAmount: 0,
    hasReceipt: false, hasSimplifiedInvoice: false, ...over,
  })

  it('stops only a session that is starting or charging, and can end every session that is not final', () => {
    const offered = sessionStates.map((state) => {
      const can = supportActions(facts({ state }))
      return [state, can.stop, can.end]
    })
    expect(offered).toEqual([
      ['pending', false, true],
      ['starting', true, true],
      ['charging', true, true],
      ['stopping', false, true],
      ['settling', false, true],
      ['completed', false, false],
      ['failed', false, false],
      ['cancelled', false, false],
    ])
  })

  it('releases only a card hold still open on a final session', () => {
    const releasable = holdStatuses.filter((holdStatus) => supportActions(facts({ state: 'completed', holdStatus })).releaseHold)
    expect(releasable).toEqual(['pending', 'held', 'failed'])
    expect(supportActions(facts({ state: 'settling', holdStatus: 'held' })).releaseHold).toBe(false)
    expect(supportActions(facts({ state: 'completed', method: 'grant', paymentId: null, holdStatus: 'none' })).releaseHold).toBe(false)
  })

  it('refunds only what is left of a capture, and offers documents only once issued', () => {
    const done = { state: 'completed' as const, holdStatus: 'captured' as const }
    expect(supportActions(facts({ ...done, capturedAmount: 735, refundedAmount: 700 })).refund).toBe(true)
    expect(supportActions(facts({ ...done, capturedAmount: 735, refundedAmount: 735 })).refund).toBe(false)
    expect(supportActions(facts({ ...done, capturedAmount: 0 })).refund).toBe(false)
    expect(supportActions(facts({ ...done, hasReceipt: true, hasSimplifiedInvoice: true }))).toMatchObject({ resendReceipt: true, reissueInvoice: true })
    expect(supportActions(facts(done))).toMatchObject({ resendReceipt: false, reissueInvoice: false })
  })
})
