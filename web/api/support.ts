/** The support console's calls (support role; the session cookie goes along). */
import { api } from './client'
import { call } from './http'

const s = api.support
const session = (id: string) => ({ param: { id } })

export const lookupReceipt = (typed: string) => call(s.receipts[':number'].$get({ param: { number: encodeURIComponent(typed.trim()) } }))

export type CaseFile = Awaited<ReturnType<typeof lookupReceipt>>
export type TimelineEntry = CaseFile['timeline'][number]

export interface SearchInput {
  q?: string
  chargerId?: string
  from?: string
  to?: string
  last4?: string
  date?: string
  email?: string
}

/** Empty fields are left out: the BFF wants at least one criterion. */
export function searchSessions(input: SearchInput) {
  const query = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== ''))
  return call(s.search.$get({ query }))
}

export type SessionMatch = Awaited<ReturnType<typeof searchSessions>>['matches'][number]
/** A card tapped on a payment terminal that started no session (by card last four and date). */
export type TerminalTapMatch = Awaited<ReturnType<typeof searchSessions>>['taps'][number]

export const fetchCaseFile = (id: string) => call(s.sessions[':id'].$get(session(id)))

/** One key per refund the agent confirms: a double click or a retry makes one refund. */
export const refund = (id: string, amount: number, reason: string, idempotencyKey: string) =>
  call(s.sessions[':id'].refund.$post({ ...session(id), json: { amount, reason } }, { headers: { 'Idempotency-Key': idempotencyKey } }))

export const forceStop = (id: string, reason: string) => call(s.sessions[':id'].stop.$post({ ...session(id), json: { reason } }))

/** Brings a session that is not final to an end now, whatever the charger does. */
export const endSession = (id: string, reason: string) => call(s.sessions[':id'].end.$post({ ...session(id), json: { reason } }))

export const releaseHold = (id: string, reason: string) => call(s.sessions[':id']['release-hold'].$post({ ...session(id), json: { reason } }))

export const resendReceipt = (id: string, reason: string, email: string) =>
  call(s.sessions[':id']['resend-receipt'].$post({ ...session(id), json: { reason, email } }))

export const reissueInvoice = (id: string, reason: string, buyer: { name: string; orgNumber: string; address: string }) =>
  call(s.sessions[':id']['reissue-invoice'].$post({ ...session(id), json: { reason, buyer } }))

export const fetchSites = () => call(s.sites.$get())

export const fetchReconciliation = (date: string, siteId: string) => call(s.reconciliation.$get({ query: { date, siteId } }))

export type Reconciliation = Awaited<ReturnType<typeof fetchReconciliation>>
