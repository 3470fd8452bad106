import type { ChargerView } from '../../bff/views'
import { api } from './client'
import { call, subscribe } from './http'

/** hc puts params into the path as they are: refs may be URLs, so they are encoded here. */
const charger = (ref: string) => ({ param: { ref: encodeURIComponent(ref) } })
const path = (ref: string) => `/api/chargers/${encodeURIComponent(ref)}`

/** `ref` is a charger id, an EVSE id or a scanned QR URL. */
export const fetchCharger = (ref: string) => call(api.chargers[':ref'].$get(charger(ref)))

export const fetchSite = (siteId: string) => call(api.sites[':id'].$get({ param: { id: encodeURIComponent(siteId) } }))

export const chargerQrUrl = (chargerId: string) => `${path(chargerId)}/qr.svg`

/** Live charger updates: every event is the full ChargerView. */
export const watchCharger = (chargerId: string, handlers: Parameters<typeof subscribe<ChargerView>>[2]) =>
  subscribe<ChargerView>(`${path(chargerId)}/events`, 'charger', handlers)
