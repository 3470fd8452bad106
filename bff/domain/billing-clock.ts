/**
 * One clock per session for billing. A charger's clock drifts, resets to 1970 after a power loss or
 * runs in local time; ours does not know when a message was delayed. The rule: the charger's start
 * time is used when it is plausible on our clock (not before the session was created, not after the
 * message arrived, both within the tolerance); otherwise the session runs on our clock, and the
 * charger's stop time is translated by the skew seen at the start. Whatever the charger says, the
 * charging time stays within what we observed: from the start we accepted to the stop's arrival.
 */

export interface BillingStart {
  /** The start on the billing clock. */
  startedAt: Date
  /** The charger's clock minus ours, when the start arrived. */
  skewMs: number
  /** True when the charger's clock was believed. */
  chargerClock: boolean
}

export function billingStart(input: { chargerAt: Date; receivedAt: Date; createdAt: Date; toleranceMs: number }): BillingStart {
  const { chargerAt, receivedAt, createdAt, toleranceMs } = input
  const charger = chargerAt.getTime()
  const skewMs = Number.isFinite(charger) ? charger - receivedAt.getTime() : 0
  const plausible =
    Number.isFinite(charger) && charger >= createdAt.getTime() - toleranceMs && charger <= receivedAt.getTime() + toleranceMs
  if (!plausible) return { startedAt: receivedAt, skewMs, chargerClock: false }
  // within tolerance ahead of us is still "now": never start later than the message arrived
  return { startedAt: new Date(Math.min(charger, receivedAt.getTime())), skewMs, chargerClock: true }
}

/**
 * The stop on the billing clock: the charger's stop time (translated when its clock was not believed
 * at the start), kept between the start and the moment the stop arrived.
 */
export function billingStop(input: {
  chargerAt: Date
  receivedAt: Date
  startedAt: Date
  skewMs: number
  chargerClock: boolean
}): Date {
  const charger = input.chargerAt.getTime()
  const received = input.receivedAt.getTime()
  const start = input.startedAt.getTime()
  if (!Number.isFinite(charger)) return new Date(Math.max(start, received))
  const translated = input.chargerClock ? charger : charger - input.skewMs
  return new Date(Math.min(Math.max(translated, start), Math.max(start, received)))
}
