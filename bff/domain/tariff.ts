import { assertMinorUnits, assertVatRateBp, roundHalfUp, roundUp, vatOf } from './money'

/** A tariff's price components, in EU AFIR display order. Prices in minor units incl. VAT. */
export type TariffComponent =
  | { type: 'energy'; price: number; unit: 'kWh' }
  | { type: 'time'; price: number; unit: 'minute' }
  | { type: 'session'; price: number; unit: 'session' }
  /** The idle (occupancy) fee: per minute after the grace period, never more than `capAmount` when set. */
  | { type: 'idle'; price: number; unit: 'minute'; graceMinutes: number; capAmount?: number }

export interface Tariff {
  currency: string
  /** VAT rate in basis points: 2500 = 25 %. */
  vatRateBp: number
  components: TariffComponent[]
}

export interface Usage {
  energyWh: number
  chargingSeconds: number
  idleSeconds: number
}

export interface CostLine {
  type: 'energy' | 'time' | 'session' | 'idle'
  /** Wh for energy, seconds for time and idle (idle: billable seconds after grace), 1 for session. */
  quantity: number
  unit: 'Wh' | 'second' | 'session'
  /** As in the tariff: per kWh, per minute, per session. */
  unitPrice: number
  /** Minor units incl. VAT. */
  amount: number
}

export interface Cost {
  currency: string
  lines: CostLine[]
  total: number
  vat: number
}

/** AFIR display order; a tariff lists each type at most once, in this order. */
export const componentOrder = ['energy', 'time', 'session', 'idle'] as const

const unitOf = { energy: 'kWh', time: 'minute', session: 'session', idle: 'minute' } as const

/** Throws an Error saying what is wrong with the tariff. */
export function assertTariff(t: Tariff): void {
  if (!/^[A-Z]{3}$/.test(t.currency)) throw new Error(`tariff currency must be an ISO 4217 code, got '${t.currency}'`)
  assertVatRateBp(t.vatRateBp)
  let previous = -1
  for (const component of t.components) {
    const position = componentOrder.indexOf(component.type)
    if (position < 0) throw new Error(`unknown tariff component '${String(component.type)}'`)
    if (position <= previous) {
      throw new Error(`tariff components must be in the order ${componentOrder.join(', ')}, each at most once`)
    }
    previous = position
    if (component.unit !== unitOf[component.type]) {
      throw new Error(`${component.type} price must be per ${unitOf[component.type]}, got per '${component.unit}'`)
    }
    assertMinorUnits(component.price, `${component.type} price`)
    if (component.type === 'idle' && (!Number.isSafeInteger(component.graceMinutes) || component.graceMinutes < 0)) {
      throw new Error(`idle grace must be a non-negative whole number of minutes, got ${String(component.graceMinutes)}`)
    }
    if (component.type === 'idle' && component.capAmount !== undefined) assertMinorUnits(component.capAmount, 'idle fee cap')
  }
}

/**
 * Seconds of charging and of idling (before grace) from the session's billing clock. Idle time is
 * only what we observed on our own clock: from the moment the stop reached us until we saw the
 * connector free (or now), never longer than `maxIdleSeconds`.
 */
export function usageTimes(t: {
  startedAt: Date | null
  stoppedAt: Date | null
  stopSeenAt: Date | null
  unpluggedAt: Date | null
  now: Date
  maxIdleSeconds?: number
}): {
  chargingSeconds: number
  idleSeconds: number
} {
  const idle = t.stopSeenAt ? secondsBetween(t.stopSeenAt, t.unpluggedAt ?? t.now) : 0
  return {
    chargingSeconds: t.startedAt ? secondsBetween(t.startedAt, t.stoppedAt ?? t.now) : 0,
    idleSeconds: Math.min(idle, t.maxIdleSeconds ?? idle),
  }
}

/** Whole seconds, never negative: a charger's clock can be off from ours. */
function secondsBetween(from: Date, to: Date): number {
  const ms = to.getTime() - from.getTime()
  if (Number.isNaN(ms)) throw new RangeError('session timestamps must be valid dates')
  return Math.max(0, Math.floor(ms / 1000))
}

/** The cost of a session so far: one line per priced component, each rounded once, half up. */
export function costOf(tariff: Tariff, usage: Usage): Cost {
  assertTariff(tariff)
  assertWhole(usage.energyWh, 'energy (Wh)')
  assertWhole(usage.chargingSeconds, 'charging seconds')
  assertWhole(usage.idleSeconds, 'idle seconds')

  const lines: CostLine[] = []
  if (!tariff.components.some((c) => c.type === 'energy')) lines.push(energyLine(0, usage.energyWh))
  for (const component of tariff.components) {
    const line = lineFor(component, usage)
    if (line) lines.push(line)
  }
  const total = lines.reduce((sum, line) => sum + line.amount, 0)
  assertMinorUnits(total, 'total')
  return { currency: tariff.currency, lines, total, vat: vatOf(total, tariff.vatRateBp) }
}

function lineFor(component: TariffComponent, usage: Usage): CostLine | null {
  const price = BigInt(component.price)
  switch (component.type) {
    case 'energy':
      // the energy line is always shown, also when the price is zero
      return energyLine(component.price, usage.energyWh)
    case 'time':
      if (component.price === 0) return null
      return {
        type: 'time', quantity: usage.chargingSeconds, unit: 'second', unitPrice: component.price,
        amount: roundHalfUp(BigInt(usage.chargingSeconds) * price, 60n),
      }
    case 'session':
      if (component.price === 0 || (usage.chargingSeconds === 0 && usage.energyWh === 0)) return null
      return { type: 'session', quantity: 1, unit: 'session', unitPrice: component.price, amount: component.price }
    case 'idle': {
      if (component.price === 0) return null
      const billable = billableIdleSeconds(usage.idleSeconds, component.graceMinutes)
      const amount = roundHalfUp(BigInt(billable) * price, 60n)
      return {
        type: 'idle', quantity: billable, unit: 'second', unitPrice: component.price,
        amount: component.capAmount === undefined ? amount : Math.min(amount, component.capAmount),
      }
    }
  }
}

function energyLine(pricePerKwh: number, energyWh: number): CostLine {
  return {
    type: 'energy', quantity: energyWh, unit: 'Wh', unitPrice: pricePerKwh,
    amount: roundHalfUp(BigInt(energyWh) * BigInt(pricePerKwh), 1000n),
  }
}

/** Idle seconds past the grace period. */
export function billableIdleSeconds(idleSeconds: number, graceMinutes: number): number {
  return Math.max(0, idleSeconds - graceMinutes * 60)
}

/** The price of one component type, or 0 when the tariff does not have it. */
export function priceOf(tariff: Tariff, type: TariffComponent['type']): number {
  return tariff.components.find((c) => c.type === type)?.price ?? 0
}

/** The tariff's idle fee, when it has one: settlement then waits for the car to be unplugged. */
export function idleFeeOf(tariff: Tariff): { pricePerMinute: number; graceMinutes: number; capAmount: number | null } | null {
  const idle = tariff.components.find((c) => c.type === 'idle')
  return idle && idle.type === 'idle' && idle.price > 0
    ? { pricePerMinute: idle.price, graceMinutes: idle.graceMinutes, capAmount: idle.capAmount ?? null }
    : null
}

/**
 * How long settlement waits for the unplug after the stop reached us: not at all without an idle
 * fee; otherwise until the idle fee reaches its cap, and never longer than `maxWaitSeconds`.
 */
export function unplugWaitSeconds(tariff: Tariff, maxWaitSeconds: number): number {
  const idle = idleFeeOf(tariff)
  if (!idle) return 0
  const untilCap = idle.capAmount === null ? Infinity : idle.graceMinutes * 60 + Math.ceil((idle.capAmount * 60) / idle.pricePerMinute)
  return Math.min(untilCap, maxWaitSeconds)
}

/** Cost of one more metering interval at the current power: the cap margin for auto-stop. */
export function intervalWorth(tariff: Tariff, powerW: number, intervalSeconds: number): number {
  // a meter can report power flowing out (or noise below zero): that costs the driver nothing
  const importW = Math.max(0, powerW)
  assertWhole(importW, 'power (W)')
  assertWhole(intervalSeconds, 'interval seconds')
  const seconds = BigInt(intervalSeconds)
  // energy: price/kWh × W × s / 3600 / 1000; time: price/min × s / 60 — over one denominator, 3 600 000
  const energy = BigInt(priceOf(tariff, 'energy')) * BigInt(importW) * seconds
  const time = BigInt(priceOf(tariff, 'time')) * seconds * 60_000n
  return roundUp(energy + time, 3_600_000n)
}

/** True when the running cost has come within one interval's worth of the hold: stop now. */
export function reachesHoldLimit(costTotal: number, holdAmount: number, margin: number): boolean {
  return costTotal >= holdAmount - margin
}

/** What to capture and release when a session settles. */
export function settlement(input: { total: number; energyWh: number; holdAmount: number; minimumCharge: number }): {
  capture: number
  release: number
  nothingCharged: boolean
} {
  assertMinorUnits(input.total, 'total')
  assertMinorUnits(input.holdAmount, 'hold amount')
  assertMinorUnits(input.minimumCharge, 'minimum charge')
  assertWhole(input.energyWh, 'energy (Wh)')
  const capped = Math.min(input.total, input.holdAmount)
  // the provider refuses amounts under its minimum; no energy means nothing was sold
  const nothingCharged = input.energyWh === 0 || capped === 0 || capped < input.minimumCharge
  const capture = nothingCharged ? 0 : capped
  return { capture, release: input.holdAmount - capture, nothingCharged }
}

function assertWhole(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${String(n)}`)
}
