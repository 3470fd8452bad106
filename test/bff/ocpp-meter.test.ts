import { describe, expect, it } from 'vitest'
import { parseMeterValue } from '../../bff/charging/ocpp/meter'

const at = '2025-03-01T10:00:00.000Z'

describe('parseMeterValue', () => {
  it('reads the energy register in Wh when measurand and unit are absent', () => {
    expect(parseMeterValue({ timestamp: at, sampledValue: [{ value: '1234567' }] })).toEqual({
      at: new Date(at),
      energyWh: 1_234_567,
      powerW: null,
      socPercent: null,
    })
  })

  it('converts kWh and kW to integer Wh and W, rounding once', () => {
    const s = parseMeterValue({
      timestamp: at,
      sampledValue: [
        { value: '12.3456', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
        { value: '7.4', measurand: 'Power.Active.Import', unit: 'kW' },
        { value: '55.6', measurand: 'SoC', unit: 'Percent', location: 'EV' },
      ],
    })
    expect(s).toMatchObject({ energyWh: 12_346, powerW: 7_400, socPercent: 56 })
  })

  it('sums per-phase power when there is no total, and prefers the total when there is one', () => {
    const phases = ['L1', 'L2', 'L3'].map((phase) => ({ value: '3680', measurand: 'Power.Active.Import', unit: 'W', phase }))
    expect(parseMeterValue({ timestamp: at, sampledValue: phases }).powerW).toBe(11_040)
    const withTotal = [...phases, { value: '11000', measurand: 'Power.Active.Import', unit: 'W' }]
    expect(parseMeterValue({ timestamp: at, sampledValue: withTotal }).powerW).toBe(11_000)
  })

  it('ignores line-to-line and neutral phases, other measurands, signed data and non-numbers', () => {
    const s = parseMeterValue({
      timestamp: at,
      sampledValue: [
        { value: '400', measurand: 'Power.Active.Import', unit: 'W', phase: 'L1-L2' },
        { value: '16', measurand: 'Current.Import', unit: 'A' },
        { value: 'abc', measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
        { value: 'c2lnbmVk', format: 'SignedData', measurand: 'SoC' },
      ],
    })
    expect(s).toMatchObject({ energyWh: null, powerW: null, socPercent: null })
  })
})
