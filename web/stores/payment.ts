import { defineStore } from 'pinia'
import { ref, watchEffect } from 'vue'
import { paymentUnderWay } from '../app/payment-under-way'
import { ApiError } from '../api/http'
import { authorizeSession, cancelSession, createSession, type CreatedSession, type NewCardSession } from '../api/sessions'
import { useSessionStore } from './session'
import { newIdempotencyKey } from '../api/idempotency'

/** Places the hold with the provider (simulated form or Stripe.js); throws ApiError when declined. */
export type ConfirmCard = (created: CreatedSession) => Promise<void>

export const usePaymentStore = defineStore('payment', () => {
  /** The session created for this attempt; a retry with another card reuses it. */
  const attempt = ref<CreatedSession | null>(null)
  const idempotencyKey = ref(newIdempotencyKey())
  const busy = ref(false)
  const error = ref<ApiError | null>(null)
  let target = ''
  watchEffect(() => (paymentUnderWay.value = busy.value || attempt.value !== null))

  /** Starts a fresh attempt when the driver comes to pay for another connector. */
  function begin(chargerId: string, connectorId: number) {
    const next = `${chargerId}#${connectorId}`
    if (next === target && !error.value) return
    if (next !== target) {
      attempt.value = null
      idempotencyKey.value = newIdempotencyKey()
    }
    target = next
    error.value = null
  }

  /**
   * create session (once per attempt) → remember it on this device → confirm the card → authorize.
   * Returns the session id once the charger has been told to start, or null on failure (see `error`).
   */
  async function pay(input: NewCardSession, confirm: ConfirmCard): Promise<string | null> {
    if (busy.value) return null
    busy.value = true
    error.value = null
    try {
      if (!attempt.value) {
        const created = await createSession(input, idempotencyKey.value)
        useSessionStore().remember({
          sessionId: created.session.id,
          stopToken: created.stopToken,
          chargerId: input.chargerId,
          connectorId: input.connectorId,
          createdAt: created.session.createdAt,
          state: created.session.state,
          siteName: created.session.siteName,
          currency: created.payment.currency,
        })
        attempt.value = created
      }
      await confirm(attempt.value)
      const { session } = await authorizeSession(attempt.value.session.id, attempt.value.stopToken)
      useSessionStore().record(session)
      const sessionId = session.id
      attempt.value = null
      target = ''
      idempotencyKey.value = newIdempotencyKey()
      return sessionId
    } catch (e) {
      error.value = e instanceof ApiError ? e : new ApiError('unknown', e instanceof Error ? e.message : String(e), 0)
      return null
    } finally {
      busy.value = false
    }
  }

  /** Gives up before charging: the session is cancelled and its hold released. */
  async function cancel(): Promise<void> {
    const current = attempt.value
    if (!current || busy.value) return
    busy.value = true
    try {
      const { session } = await cancelSession(current.session.id, current.stopToken)
      useSessionStore().record(session)
      attempt.value = null
      target = ''
      idempotencyKey.value = newIdempotencyKey()
      error.value = null
    } catch (e) {
      error.value = e instanceof ApiError ? e : new ApiError('unknown', String(e), 0)
    } finally {
      busy.value = false
    }
  }

  return { attempt, idempotencyKey, busy, error, begin, pay, cancel }
})
