/** Our fee in platform mode: pure arithmetic on minor units, no Stripe, no database. */
import { assertMinorUnits, roundHalfUp } from '../../domain/money'

/** The fee on a captured amount: basis points, rounded half up once, never more than the amount. */
export function feeOf(captured: number, feeBp: number): number {
  assertMinorUnits(captured, 'captured amount')
  if (!Number.isInteger(feeBp) || feeBp < 0 || feeBp > 10_000) throw new RangeError(`fee must be 0–10000 basis points, got ${feeBp}`)
  return Math.min(captured, roundHalfUp(BigInt(captured) * BigInt(feeBp), 10_000n))
}

/**
 * The part of the fee refunds have given back so far, in proportion to what was refunded (as Stripe
 * does with `refund_application_fee`): a full refund gives back the whole fee.
 */
export function feeRefundedFor(fee: number, captured: number, refunded: number): number {
  if (captured === 0) return 0
  if (refunded >= captured) return fee
  return roundHalfUp(BigInt(fee) * BigInt(refunded), BigInt(captured))
}
