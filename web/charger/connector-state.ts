import type { ConnectorView } from '../../bff/views'

export type Availability = 'free' | 'busy' | 'unavailable' | 'offline'

const busy = new Set<ConnectorView['status']>(['Charging', 'SuspendedEV', 'SuspendedEVSE', 'Finishing', 'Reserved'])

/** What a connector's OCPP status means for a driver who wants to start: Preparing = their car is plugged in. */
export function availability(status: ConnectorView['status'], chargerOnline: boolean): Availability {
  if (!chargerOnline) return 'offline'
  if (status === 'Available' || status === 'Preparing') return 'free'
  return busy.has(status) ? 'busy' : 'unavailable'
}

/** i18n key of the status label a driver sees. */
export const statusLabelKey = (status: ConnectorView['status'], chargerOnline: boolean) =>
  chargerOnline ? `status.${status}` : 'status.offline'
