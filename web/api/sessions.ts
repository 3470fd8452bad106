import type { SessionView } from '../../bff/views'
import { request, subscribe } from './http'

export interface PaymentStart {
  provider: 'simulated' | 'stripe'
  clientSecret: string
  holdAmount: number
  currency: string
  publishableKey?: string
}

export interface CreatedSession {
  session: SessionView
  payment: PaymentStart
  stopToken: string
}

export interface NewCardSession {
  chargerId: string
  connectorId: number
  capAmount?: number
}

const path = (sessionId: string, action = '') => `/api/sessions/${encodeURIComponent(sessionId)}${action}`

/** One `idempotencyKey` per start attempt: a double tap or a retry creates one session. */
export const createSession = (input: NewCardSession, idempotencyKey: string) =>
  request<CreatedSession>('/api/sessions', { method: 'POST', body: { ...input, method: 'card' }, idempotencyKey })

/** After the card hold is confirmed: the BFF verifies it and starts the charger. */
export const authorizeSession = (sessionId: string, stopToken: string) =>
  request<{ session: SessionView }>(path(sessionId, '/authorize'), { method: 'POST', token: stopToken })

export const fetchSession = (sessionId: string, stopToken: string) =>
  request<SessionView>(path(sessionId), { token: stopToken })

export const stopSession = (sessionId: string, stopToken: string) =>
  request<{ session: SessionView }>(path(sessionId, '/stop'), { method: 'POST', token: stopToken })

/** The driver gives up before charging: the hold is released. */
export const cancelSession = (sessionId: string, stopToken: string) =>
  request<{ session: SessionView }>(path(sessionId, '/cancel'), { method: 'POST', token: stopToken })

export const stopSessionByCard = (chargerId: string, paymentMethod: string) =>
  request<{ session: SessionView }>('/api/sessions/stop-by-card', { method: 'POST', body: { chargerId, paymentMethod } })

/** Live session snapshots; the event id is the session version. */
export const watchSession = (sessionId: string, stopToken: string, handlers: Parameters<typeof subscribe<SessionView>>[2]) =>
  subscribe<SessionView>(`${path(sessionId, '/events')}?t=${encodeURIComponent(stopToken)}`, 'session', handlers)
