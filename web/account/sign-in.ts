/**
 * Signing in: email codes and passkeys. Apart from the account store so that the app shell, which
 * only needs to know who is signed in, does not carry the ceremonies.
 */
import { ApiError } from '../api/http'
import { registrationOptions, signInOptions, startEmailSignIn, verifyEmailCode, verifyRegistration, verifySignIn } from '../api/auth'
import { claimSessions } from '../api/me'
import { useAccountStore } from '../stores/account'
import { useSessionStore } from '../stores/session'

/** Good enough to send a code to; the mail itself is the real check. */
export const validEmail = (email: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()) && email.trim().length <= 254

/** Sign-in codes are six digits. */
export const validCode = (code: string) => /^\d{6}$/.test(code.trim())

/**
 * Signed in: a guest's sessions on this device (also a running one) move to the account, newest 50
 * as the BFF allows, proved by their stop tokens.
 */
async function signedInAs(user: Parameters<ReturnType<typeof useAccountStore>['signedInAs']>[0]) {
  await useAccountStore().signedInAs(user)
  const sessions = useSessionStore().sorted.slice(0, 50).map((s) => ({ id: s.sessionId, stopToken: s.stopToken }))
  if (sessions.length) await claimSessions(sessions).catch(() => undefined)
}

/** An RFID tag's OCPP idTag: 1–20 printable ASCII characters (CiString20). */
export const validIdTag = (idTag: string) => /^[\x21-\x7e]{1,20}$/.test(idTag.trim())

/** The browser's "cancelled / timed out" answer to a passkey prompt: not an error worth a red banner. */
const isDismissed = (e: unknown) => e instanceof Error && (e.name === 'NotAllowedError' || e.name === 'AbortError')

/** The code's mail comes in the language the driver reads the app in. */
export const sendCode = (email: string, locale: string) => startEmailSignIn(email.trim(), locale)

/** Returns whether the account was created just now (then the page offers a passkey). */
export async function verifyCode(email: string, code: string, locale: string): Promise<boolean> {
  const answer = await verifyEmailCode(email.trim(), code.trim(), locale)
  await signedInAs(answer.user)
  return answer.created
}

/** Returns false when the driver dismissed the browser's prompt. */
export async function signInWithPasskey(): Promise<boolean> {
  const { challengeId, options } = await signInOptions()
  const { startAuthentication } = await import('@simplewebauthn/browser')
  let response
  try {
    response = await startAuthentication({ optionsJSON: options })
  } catch (e) {
    if (isDismissed(e)) return false
    throw new ApiError('passkey_failed', e instanceof Error ? e.message : String(e), 0)
  }
  const answer = await verifySignIn(challengeId, response)
  await signedInAs(answer.user)
  return true
}

/** Adds a passkey of this device to the signed-in account; null when the driver dismissed the prompt. */
export async function addPasskey(name?: string) {
  const { challengeId, options } = await registrationOptions()
  const { startRegistration } = await import('@simplewebauthn/browser')
  let response
  try {
    response = await startRegistration({ optionsJSON: options })
  } catch (e) {
    if (isDismissed(e)) return null
    throw new ApiError('passkey_failed', e instanceof Error ? e.message : String(e), 0)
  }
  return (await verifyRegistration(challengeId, response, name)).passkey
}
