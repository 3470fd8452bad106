/** Accounts: email codes, passkeys, sign-out. */
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/browser'
import type { UserView } from '../../bff/auth/accounts'
import type { PasskeyView } from '../../bff/auth/passkeys'
import type { UiLocale } from '../format'
import { api } from './client'
import { call } from './http'

/** For the few answers AppType cannot name (unions of JSON and CSV, or of two ceremonies): same-origin JSON, errors as ApiError. */
export function request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { Accept: 'application/json' } }
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  return call(fetch(path, init)) as Promise<T>
}

export type AccountUser = UserView
export type AccountRole = UserView['roles'][number]['role']
export type Passkey = PasskeyView

export interface OutboxMail {
  id: number
  to: string
  subject: string
  text: string
  createdAt: string
}

const passkey = (id: string) => ({ param: { id: encodeURIComponent(id) } })

export const fetchMe = (): Promise<{ user: AccountUser | null }> => call(api.auth.me.$get())

export const startEmailSignIn = (email: string, locale: string) => call(api.auth.email.start.$post({ json: { email, locale: locale as UiLocale } }))

export const verifyEmailCode = (email: string, code: string, locale: string): Promise<{ user: AccountUser; created: boolean }> =>
  call(api.auth.email.verify.$post({ json: { email, code, locale: locale as UiLocale } }))

export const registrationOptions = () =>
  request<{ challengeId: string; options: PublicKeyCredentialCreationOptionsJSON }>('POST', '/api/auth/passkey/options', { purpose: 'register' })

export const signInOptions = () =>
  request<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }>('POST', '/api/auth/passkey/options', { purpose: 'sign_in' })

export const verifyRegistration = (challengeId: string, response: RegistrationResponseJSON, name?: string) =>
  request<{ passkey: Passkey }>('POST', '/api/auth/passkey/verify', { challengeId, response, name })

export const verifySignIn = (challengeId: string, response: AuthenticationResponseJSON) =>
  request<{ user: AccountUser }>('POST', '/api/auth/passkey/verify', { challengeId, response })

export const fetchPasskeys = (): Promise<{ passkeys: Passkey[] }> => call(api.auth.passkeys.$get())

export const deletePasskey = (id: string) => call(api.auth.passkeys[':id'].$delete(passkey(id)))

export const signOut = () => call(api.auth['sign-out'].$post())

export const signOutEverywhere = () => call(api.auth['sign-out-all'].$post())

/** Only answers in development with the outbox mailer; 404 otherwise. */
export const fetchOutbox = (): Promise<{ mails: OutboxMail[] }> => call(api.dev.outbox.$get())
