import type { SessionView } from '../../bff/views'
import { api } from './client'
import { ApiError, bearer, call, subscribe } from './http'

export interface NewCardSession {
  chargerId: string
  connectorId: number
  capAmount?: number
}

const session = (id: string) => ({ param: { id: encodeURIComponent(id) } })

/** One `idempotencyKey` per start attempt: a double tap or a retry creates one session. */
export async function createSession(input: NewCardSession, idempotencyKey: string) {
  const created = await call(api.sessions.$post({ json: { ...input, method: 'card' } }, { headers: { 'Idempotency-Key': idempotencyKey } }))
  // A card session always comes with its hold to confirm.
  if (!created.payment) throw new ApiError('no_payment', 'The charger did not ask for a card payment.', 500)
  return { ...created, payment: created.payment }
}

export type CreatedSession = Awaited<ReturnType<typeof createSession>>
export type PaymentStart = CreatedSession['payment']

/** After the card hold is confirmed: the BFF verifies it and starts the charger. */
export const authorizeSession = (sessionId: string, stopToken: string) =>
  call(api.sessions[':id'].authorize.$post(session(sessionId), bearer(stopToken)))

export const fetchSession = (sessionId: string, stopToken: string) => call(api.sessions[':id'].$get(session(sessionId), bearer(stopToken)))

export const stopSession = (sessionId: string, stopToken: string) =>
  call(api.sessions[':id'].stop.$post(session(sessionId), bearer(stopToken)))

/** The driver gives up before charging: the hold is released. */
export const cancelSession = (sessionId: string, stopToken: string) =>
  call(api.sessions[':id'].cancel.$post(session(sessionId), bearer(stopToken)))

export const stopSessionByCard = (chargerId: string, paymentMethod: string) =>
  call(api.sessions['stop-by-card'].$post({ json: { chargerId, paymentMethod } }))

/**
 * Live session snapshots; the event id is the session version. EventSource cannot send the stop token
 * as a header, and a URL is no place for it (proxies log URLs): each connection gets a ticket valid
 * for a minute instead.
 */
export const watchSession = (sessionId: string, stopToken: string, handlers: Parameters<typeof subscribe<SessionView>>[2]) =>
  subscribe<SessionView>(
    async () => {
      const { ticket } = await call(api.sessions[':id']['events-ticket'].$post(session(sessionId), bearer(stopToken)))
      return `/api/sessions/${encodeURIComponent(sessionId)}/events?ticket=${encodeURIComponent(ticket)}`
    },
    'session',
    handlers,
  )
