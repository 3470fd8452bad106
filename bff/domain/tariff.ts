/** A tariff's price components, in EU AFIR display order. Prices in minor units incl. VAT. */
export type TariffComponent =
  | { type: 'energy'; price: number; unit: 'kWh' }
  | { type: 'time'; price: number; unit: 'minute' }
  | { type: 'session'; price: number; unit: 'session' }
  | { type: 'idle'; price: number; unit: 'minute'; graceMinutes: number }

export interface Tariff {
  currency: string
  /** VAT rate in basis points: 2500 = 25 %. */
  vatRateBp: number
  components: TariffComponent[]
}
