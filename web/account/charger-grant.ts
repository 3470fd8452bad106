import type { ChargerView } from '../../bff/views'

/** The best grant covering a charger for the signed-in driver (ChargerView.grant, issue 4). */
export interface ChargerGrant {
  id: string
  label: string | null
  price: 'free' | 'private' | 'site'
}

/** Read defensively: older BFFs send no `grant` field. */
export const chargerGrant = (view: ChargerView): ChargerGrant | null => (view as ChargerView & { grant?: ChargerGrant | null }).grant ?? null
