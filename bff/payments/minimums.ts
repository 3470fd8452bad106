/**
 * Smallest amounts Stripe will charge, in minor units. The simulated provider uses the same table so
 * a session settles the same way whichever provider runs.
 */
const minimums: Record<string, number> = { SEK: 300, NOK: 300, DKK: 250, EUR: 50 }

export function minimumCharge(currency: string): number {
  return minimums[currency.toUpperCase()] ?? 50
}
