import type { ChargerView, SiteView } from '../../bff/views'
import { request, subscribe } from './http'

/** `ref` is a charger id, an EVSE id or a scanned QR URL. */
export const fetchCharger = (ref: string) => request<ChargerView>(`/api/chargers/${encodeURIComponent(ref)}`)

export const fetchSite = (siteId: string) =>
  request<{ site: SiteView; chargers: ChargerView[] }>(`/api/sites/${encodeURIComponent(siteId)}`)

export const chargerQrUrl = (chargerId: string) => `/api/chargers/${encodeURIComponent(chargerId)}/qr.svg`

/** Live charger updates: every event is the full ChargerView. */
export const watchCharger = (chargerId: string, handlers: Parameters<typeof subscribe<ChargerView>>[2]) =>
  subscribe<ChargerView>(`/api/chargers/${encodeURIComponent(chargerId)}/events`, 'charger', handlers)
