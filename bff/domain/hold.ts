/** Card-hold policy: how big a driver's cap may be, and until when a hold can safely be captured. */

/** The smallest cap a driver may pick: enough for a useful charge, and never below what the provider will capture. */
export function smallestCap(minimumCharge: number): number {
  return Math.max(minimumCharge, 1000)
}

/** Captured this long before the provider would let the hold lapse. */
export const captureMarginMs = 12 * 60 * 60 * 1000

/** Without the provider's own deadline: card holds last at least about 5 days (Visa merchant-initiated). */
export const assumedHoldLifetimeMs = 4 * 24 * 60 * 60 * 1000

/**
 * The moment a session captures whatever it owes, also if the car is still plugged in: the
 * provider's `captureBefore` less a margin, or an assumed lifetime from when the hold was placed.
 */
export function captureDeadline(placedAt: Date, captureBefore: Date | null): Date {
  const assumed = placedAt.getTime() + assumedHoldLifetimeMs
  if (!captureBefore || Number.isNaN(captureBefore.getTime())) return new Date(assumed)
  return new Date(Math.min(assumed, Math.max(placedAt.getTime(), captureBefore.getTime() - captureMarginMs)))
}
