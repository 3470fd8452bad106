import type { TariffOverride } from '../api/owner'

/** How a grant prices charging, in the three words the owner picks from. */
export const grantPrice = (override: TariffOverride | null | undefined): 'site' | 'free' | 'private' =>
  !override ? 'site' : override.kind === 'free' ? 'free' : 'private'

/** A private tariff's price per kWh (minor units), if it has one. */
export const privateKwhPrice = (override: TariffOverride | null | undefined): number | null =>
  override?.kind === 'tariff' ? (override.components.find((c) => c.type === 'energy')?.price ?? null) : null
