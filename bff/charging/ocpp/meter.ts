/**
 * OCPP 1.6 MeterValue parsing: whatever units and phases a charger reports, the rest of the BFF sees
 * integer Wh, integer W and a whole-number state of charge.
 */
/** One reading as the charger reported it: the register absolute, in Wh. */
export interface MeterSample {
  at: Date
  energyWh: number | null
  powerW: number | null
  socPercent: number | null
}

export interface SampledValue {
  value: string
  context?: string
  format?: string
  measurand?: string
  phase?: string
  location?: string
  unit?: string
}

export interface MeterValue {
  timestamp: string
  sampledValue: SampledValue[]
}

const energyRegister = 'Energy.Active.Import.Register'
const powerImport = 'Power.Active.Import'
/** Phase-to-neutral or single-phase readings add up to the total; line-to-line and N do not. */
const additivePhases = new Set(['L1', 'L2', 'L3', 'L1-N', 'L2-N', 'L3-N'])

const scale: Record<string, number> = { Wh: 1, kWh: 1000, W: 1, kW: 1000, Percent: 1 }

/** The reading in base units (Wh, W, %), or null when it is not a plain number in a unit we know. */
function reading(v: SampledValue, defaultUnit: string): number | null {
  if (v.format === 'SignedData') return null
  const factor = scale[v.unit ?? defaultUnit]
  const n = Number(v.value)
  if (factor === undefined || v.value.trim() === '' || !Number.isFinite(n)) return null
  return n * factor
}

/** The total for one measurand: the phase-less value when there is one, else the sum of the phases. */
function total(values: SampledValue[], measurand: string, defaultUnit: string): number | null {
  const matching = values.filter((v) => (v.measurand ?? energyRegister) === measurand)
  const whole = matching.find((v) => v.phase === undefined)
  if (whole) return reading(whole, defaultUnit)
  const phases = matching.filter((v) => additivePhases.has(v.phase!)).map((v) => reading(v, defaultUnit))
  if (phases.length === 0 || phases.some((p) => p === null)) return null
  return (phases as number[]).reduce((a, b) => a + b, 0)
}

const whole = (n: number | null) => (n === null ? null : Math.round(n))

export function parseMeterValue(mv: MeterValue): MeterSample {
  return {
    at: new Date(mv.timestamp),
    energyWh: whole(total(mv.sampledValue, energyRegister, 'Wh')),
    powerW: whole(total(mv.sampledValue, powerImport, 'W')),
    socPercent: whole(total(mv.sampledValue, 'SoC', 'Percent')),
  }
}

/** Whether a sample says anything we keep. */
export const hasReading = (s: MeterSample) => s.energyWh !== null || s.powerW !== null || s.socPercent !== null
