/**
 * How much power a simulated car draws. AC: close to the charger's maximum the whole time. DC: full
 * power up to 50 % state of charge, then tapering, the way real fast-charging curves look.
 */

/** Battery of the simulated DC car. */
export const batteryWh = 60_000

/** Fraction of the charger's maximum a DC car takes at this state of charge (0–100). */
export function dcPowerFraction(socPercent: number): number {
  if (socPercent >= 100) return 0
  if (socPercent <= 50) return 1
  if (socPercent <= 85) return 1 - ((socPercent - 50) / 35) * 0.8 // 100 % at 50 % SoC down to 20 % at 85 %
  return 0.2 - ((socPercent - 85) / 15) * 0.15 // 20 % down to 5 % just before full
}

/** Power in integer W; `noise` in [0, 1) keeps readings from looking synthetic. */
export function chargingPowerW(opts: { maxPowerW: number; dc: boolean; socPercent: number; noise: number }): number {
  const fraction = opts.dc ? dcPowerFraction(opts.socPercent) * (0.97 + 0.03 * opts.noise) : 0.95 + 0.05 * opts.noise
  return Math.round(opts.maxPowerW * fraction)
}

/** State of charge after `deliveredWh` into a battery that started at `startPercent`. */
export function socAfter(startPercent: number, deliveredWh: number): number {
  return Math.min(100, startPercent + (deliveredWh / batteryWh) * 100)
}
