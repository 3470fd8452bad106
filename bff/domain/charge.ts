/**
 * The one amount a driver is charged for a session, and why: the session page, the history, the
 * receipt and its PDF all show this, so they cannot disagree.
 */
import { settlement, type Cost } from './tariff'

export type ChargeBasis =
  /** Captured from the card hold. */
  | 'card'
  /** Under the provider's smallest chargeable amount: the hold is released, nothing is charged. */
  | 'below_minimum'
  /** No energy was delivered: nothing was sold. */
  | 'nothing_used'
  /** A grant: no card involved; the owner invoices the cost under the grant's terms. */
  | 'invoiced_by_owner'
  /** An open charger: free to use. */
  | 'free'

export interface Charge {
  /** Minor units the driver pays through us (the card), or, for a grant, the cost the owner invoices. */
  amount: number
  basis: ChargeBasis
  /** The cost before the hold's cap, when the cap took something off; else equal to the cost total. */
  cost: number
  /** The provider's smallest chargeable amount, for the explanation. */
  minimumCharge: number
}

export function chargeFor(input: {
  method: 'card' | 'grant' | 'open'
  cost: Pick<Cost, 'total'>
  energyWh: number
  holdAmount: number
  minimumCharge: number
}): Charge {
  const { method, cost, energyWh, holdAmount, minimumCharge } = input
  const base = { cost: cost.total, minimumCharge }
  if (method === 'open') return { ...base, amount: 0, basis: 'free' }
  if (method === 'grant') return { ...base, amount: cost.total, basis: 'invoiced_by_owner' }
  const { capture } = settlement({ total: cost.total, energyWh, holdAmount, minimumCharge })
  if (capture > 0) return { ...base, amount: capture, basis: 'card' }
  return { ...base, amount: 0, basis: energyWh === 0 || cost.total === 0 ? 'nothing_used' : 'below_minimum' }
}
