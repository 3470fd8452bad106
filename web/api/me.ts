/** The signed-in driver's own things: history, RFID tags, grants, claiming guest sessions. */
import type { MonthTotal, SessionSummary } from '../../bff/routes/me'
import { request } from './auth'
import { api } from './client'
import { call } from './http'
import type { GrantView } from './owner'

export type { MonthTotal, SessionSummary }

export interface SessionPage {
  sessions: SessionSummary[]
  nextCursor: string | null
  months: MonthTotal[]
}

export interface RfidTag {
  idTag: string
  label: string | null
  createdAt: string
}

function sessionsQuery(month: string | null, extra: Record<string, string> = {}) {
  const query = new URLSearchParams(extra)
  if (month) query.set('month', month)
  const text = query.toString()
  return text ? `?${text}` : ''
}

/** The route also answers CSV, so its JSON is typed here. */
export const fetchMySessions = (month: string | null, cursor: string | null = null) =>
  request<SessionPage>('GET', `/api/me/sessions${sessionsQuery(month, cursor ? { cursor, limit: '20' } : { limit: '20' })}`)

/** A plain link: the browser downloads it (Content-Disposition: attachment) with the cookie. */
export const sessionsCsvUrl = (month: string | null) => `/api/me/sessions${sessionsQuery(month, { format: 'csv' })}`

/** Attaches this device's guest sessions (proved by their stop tokens) to the account. */
export const claimSessions = (sessions: { id: string; stopToken: string }[]) => call(api.me.claim.$post({ json: { sessions } }))

export const fetchRfidTags = (): Promise<{ tags: RfidTag[] }> => call(api.me['rfid-tags'].$get())

export const addRfidTag = (idTag: string, label?: string): Promise<{ tag: RfidTag }> => call(api.me['rfid-tags'].$post({ json: { idTag, label } }))

export const removeRfidTag = (idTag: string) => call(api.me['rfid-tags'][':idTag'].$delete({ param: { idTag: encodeURIComponent(idTag) } }))

export const fetchMyGrants = (): Promise<{ grants: GrantView[] }> => call(api.me.grants.$get())

/** Starts without a card on the driver's grant; the BFF says why (403) when the grant does not allow it. */
export const createGrantSession = (chargerId: string, connectorId: number, idempotencyKey: string) =>
  call(api.sessions.$post({ json: { chargerId, connectorId, method: 'grant' } }, { headers: { 'Idempotency-Key': idempotencyKey } }))
