/** Money is integers in minor units (öre, cent). Rates and fractions are exact rationals in bigint. */

/**
 * An exact rational rounded to the nearest integer, halves away from zero (half up for the
 * non-negative amounts we deal in). Throws when the result is not a safe integer.
 */
export function roundHalfUp(numerator: bigint, denominator: bigint): number {
  if (denominator <= 0n) throw new RangeError(`denominator must be positive, got ${denominator}`)
  const negative = numerator < 0n
  const magnitude = negative ? -numerator : numerator
  // floor((2m + d) / 2d) is m/d rounded half up, without leaving integers
  const rounded = (2n * magnitude + denominator) / (2n * denominator)
  return toSafeNumber(negative ? -rounded : rounded)
}

/** An exact rational rounded up (towards +infinity). */
export function roundUp(numerator: bigint, denominator: bigint): number {
  if (denominator <= 0n) throw new RangeError(`denominator must be positive, got ${denominator}`)
  const quotient = numerator / denominator
  const up = numerator % denominator > 0n ? quotient + 1n : quotient
  return toSafeNumber(up)
}

/** The VAT contained in a gross amount: round(total × rate / (1 + rate)), rate = bp / 10000. */
export function vatOf(totalInclVat: number, vatRateBp: number): number {
  assertMinorUnits(totalInclVat, 'total')
  assertVatRateBp(vatRateBp)
  return roundHalfUp(BigInt(totalInclVat) * BigInt(vatRateBp), 10_000n + BigInt(vatRateBp))
}

export function assertMinorUnits(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${what} must be a non-negative integer in minor units, got ${String(n)}`)
  }
}

/** VAT rates are whole basis points from 0 to 100 %. */
export function assertVatRateBp(bp: number): void {
  if (!Number.isSafeInteger(bp) || bp < 0 || bp > 10_000) {
    throw new RangeError(`VAT rate must be whole basis points between 0 and 10000, got ${String(bp)}`)
  }
}

function toSafeNumber(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`amount ${n} is beyond the safe integer range`)
  }
  return Number(n)
}
