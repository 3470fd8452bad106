import { describe, expect, it } from 'vitest'
import { parseMinor } from '../../web/support/money'
import { chartLines } from '../../web/support/chart'

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
