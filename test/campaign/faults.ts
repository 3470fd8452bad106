/**
 * The fault kinds of the campaign and, per session, a plan drawn from a seeded random source: which
 * fault, and the ordinary variation every session has (power, how long it charges, how it ends,
 * whether the charger stamps its status messages). Same seed, same plans.
 *
 * Sessions start on the phone, or by a card tap on a payment terminal on the charger (Payter or CCV,
 * see `via`): the terminal kinds always do, and a third of the charger-fault kinds do too, so the
 * charger's faults meet terminal sessions as well.
 */

export const faultKinds = [
  'none',
  'lost_unplug',
  'lost_stop_answer',
  'lost_remote_stop',
  'restamped_start',
  'duplicated',
  'delayed',
  'reordered',
  'clock_behind',
  'clock_ahead',
  'clock_1970',
  'clock_2099',
  'huge_meter',
  'offline_mid',
  'offline_unplug',
  'offline_start',
  'rejected_start',
  'no_car',
  'driver_cancel',
  'cap_reached',
  'under_minimum',
  'stripe_5xx',
  'stripe_timeout',
  'stripe_lost_answer',
  'expired_hold',
  'payter_wrong_card',
  'ccv_wrong_card',
  'payter_cloud_fault',
  'ccv_cloud_fault',
  'payter_lost_callback',
  'ccv_lost_callback',
  'payter_duplicated_callback',
  'ccv_duplicated_callback',
  'bff_kill',
] as const

export type FaultKind = (typeof faultKinds)[number]

/** Where a SIGKILL of the BFF lands in a session. */
export const killPoints = ['pending', 'remote_start', 'starting', 'charging', 'stopping', 'settling', 'unplugged'] as const
export type KillPoint = (typeof killPoints)[number]

/** How a session starts and stops: the driver's phone, or a card on the charger's Payter or CCV terminal. */
export type Via = 'app' | 'payter' | 'ccv'

/** Charger faults a terminal session meets as well as a phone session (the others are the phone's or its provider's). */
const terminalAlso: readonly FaultKind[] = [
  'none', 'lost_unplug', 'lost_stop_answer', 'lost_remote_stop', 'restamped_start', 'duplicated', 'delayed', 'reordered',
  'clock_behind', 'clock_ahead', 'clock_1970', 'clock_2099', 'huge_meter', 'offline_mid', 'offline_unplug', 'offline_start',
  'rejected_start', 'no_car', 'under_minimum', 'bff_kill',
]

export interface Plan {
  index: number
  kind: FaultKind
  /** Phone or terminal; a terminal session stops by the same card (stopBy 'driver') or by unplugging. */
  via: Via
  /** Which variant of the kind, for the report (e.g. the clock, the kill point). */
  variant: string
  powerW: number
  plugDelayMs: number
  chargeMs: number
  /** How the session ends: the driver stops in the app, or unplugs the car. */
  stopBy: 'driver' | 'unplug'
  unplugDelayMs: number
  statusTimestamps: boolean
  statusOnReconnect: boolean
  authorizeRemote: boolean
  meterInKwh: boolean
  capAmount?: number
  /** The charger clock: an offset from real time, or a date it was reset to. */
  clockOffsetMs?: number
  clockResetTo?: string
  meterStartWh?: number
  killAt?: KillPoint
  offlineMs?: number
  delayMs?: [number, number]
}

/** mulberry32: small, fast, good enough to draw plans from. */
export function random(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]
  return { next, int, pick, chance: (p: number) => next() < p }
}

const hour = 3_600_000

/** The kinds for `count` sessions: every kind equally often (as far as the count allows), in a seeded order. */
export function assignKinds(count: number, seed: number, kinds: readonly FaultKind[] = faultKinds): FaultKind[] {
  const r = random(seed ^ 0x5eed)
  const list = Array.from({ length: count }, (_, i) => kinds[i % kinds.length])
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1))
    ;[list[i], list[j]] = [list[j], list[i]]
  }
  return list
}

export function planFor(index: number, kind: FaultKind, seed: number): Plan {
  const r = random(seed * 100_003 + index)
  const plan: Plan = {
    index,
    kind,
    via: 'app',
    variant: '',
    powerW: r.int(50, 350) * 1000,
    plugDelayMs: r.int(200, 1500),
    chargeMs: r.int(3000, 12_000),
    stopBy: r.chance(0.7) ? 'driver' : 'unplug',
    unplugDelayMs: r.int(300, 2000),
    statusTimestamps: r.chance(0.5),
    statusOnReconnect: r.chance(0.5),
    authorizeRemote: r.chance(0.3),
    meterInKwh: r.chance(0.3),
  }
  switch (kind) {
    case 'lost_unplug':
    case 'lost_stop_answer':
    case 'restamped_start':
    case 'duplicated':
      break
    case 'lost_remote_stop':
      plan.stopBy = 'driver'
      break
    case 'delayed':
      // Every message slow on a poor link, or now and then one held up for seconds (the unplug among them).
      plan.variant = r.pick(['slow_link', 'sporadic', 'late_unplug'])
      plan.delayMs = plan.variant === 'slow_link' ? [100, 700] : plan.variant === 'sporadic' ? [1000, 4000] : [3000, 8000]
      break
    case 'reordered':
      plan.variant = r.pick(['unplug_before_stop', 'late_meter_values', 'finishing_after_available'])
      if (plan.variant === 'unplug_before_stop') plan.stopBy = 'unplug'
      if (plan.variant === 'finishing_after_available') plan.stopBy = 'driver'
      break
    case 'clock_behind':
    case 'clock_ahead': {
      const hours = r.pick([1, 2, 6])
      plan.clockOffsetMs = (kind === 'clock_behind' ? -1 : 1) * hours * hour + r.int(-60_000, 60_000)
      plan.variant = `${kind === 'clock_behind' ? '-' : '+'}${hours}h`
      break
    }
    case 'clock_1970':
      plan.clockResetTo = new Date(r.int(0, 3 * hour)).toISOString()
      plan.variant = '1970'
      break
    case 'clock_2099':
      plan.clockResetTo = `2099-${String(r.int(1, 12)).padStart(2, '0')}-15T12:00:00.000Z`
      plan.variant = '2099'
      break
    case 'huge_meter': {
      const variant = r.pick(['crosses_2^31', 'above_2^31', 'above_2^32', 'about_2^40'])
      plan.variant = variant
      plan.meterStartWh =
        variant === 'crosses_2^31' ? 2_147_483_648 - r.int(10, 400)
        : variant === 'above_2^31' ? 2_147_485_000 + r.int(0, 100_000)
        : variant === 'above_2^32' ? 4_294_967_296 + r.int(0, 1_000_000)
        : 2 ** 40 + r.int(0, 1_000_000)
      break
    }
    case 'offline_mid':
      plan.offlineMs = r.int(1500, 6000)
      plan.variant = r.pick(['charging_through', 'driver_stops_while_offline'])
      if (plan.variant === 'driver_stops_while_offline') plan.stopBy = 'driver'
      break
    case 'offline_unplug':
      plan.offlineMs = r.int(1500, 6000)
      plan.variant = r.pick(['after_stop', 'unplug_while_offline'])
      break
    case 'offline_start':
      // Back before, or after, the server's start timeout (20 s in the campaign).
      plan.variant = r.pick(['back_in_time', 'back_after_timeout'])
      plan.offlineMs = plan.variant === 'back_in_time' ? r.int(1500, 5000) : r.int(23_000, 26_000)
      break
    case 'rejected_start':
    case 'no_car':
    case 'driver_cancel':
      break
    case 'cap_reached':
      plan.capAmount = r.pick([1000, 1500])
      plan.powerW = 350_000
      plan.chargeMs = 60_000
      plan.stopBy = 'driver'
      plan.variant = `cap ${plan.capAmount}`
      break
    case 'under_minimum':
      plan.powerW = r.int(20, 60) * 1000
      plan.chargeMs = r.int(0, 2500)
      plan.variant = plan.chargeMs < 300 ? 'almost_nothing' : 'below_3_kr'
      break
    case 'stripe_5xx':
    case 'stripe_timeout':
    case 'stripe_lost_answer':
      plan.variant = r.pick(['capture', 'capture', 'cancel'])
      if (plan.variant === 'cancel') plan.chargeMs = 0
      break
    case 'expired_hold':
      plan.variant = r.pick(['while_charging', 'before_stop'])
      break
    case 'bff_kill':
      plan.killAt = r.pick(killPoints)
      plan.variant = plan.killAt
      break
    case 'payter_wrong_card':
    case 'ccv_wrong_card':
      // A declined card before the start, or another card refused before the stop by the right one.
      plan.variant = r.pick(['declined_then_good', 'other_card_then_same'])
      if (plan.variant === 'other_card_then_same') plan.stopBy = 'driver'
      break
    case 'payter_cloud_fault':
    case 'ccv_cloud_fault':
      // Commit/capture: 5xx before it went through, 5xx after (the answer lost), an answer after the
      // caller's timeout; or a cancel/reversal that fails (nothing charged: the hold must go back).
      plan.variant = r.pick(['5xx_before', '5xx_after', 'timeout', 'cancel_5xx'])
      if (plan.variant === 'cancel_5xx') plan.chargeMs = 0
      break
    case 'payter_lost_callback':
    case 'ccv_lost_callback':
    case 'payter_duplicated_callback':
    case 'ccv_duplicated_callback':
      // The web hook of the start's card read, or of the stop's.
      plan.variant = r.pick(['start', 'stop'])
      if (plan.variant === 'stop') plan.stopBy = 'driver'
      break
    case 'none':
      break
  }
  if (kind.startsWith('payter_')) plan.via = 'payter'
  else if (kind.startsWith('ccv_')) plan.via = 'ccv'
  // A kill between a terminal's hold and the session's start leaves the hold to the sweep of abandoned
  // authorisations (10 minutes), beyond the campaign's bound: terminal sessions meet kills once charging.
  else if (terminalAlso.includes(kind) && !['pending', 'remote_start', 'starting'].includes(plan.killAt ?? '') && r.chance(1 / 3)) plan.via = r.pick(['payter', 'ccv'])
  return plan
}
