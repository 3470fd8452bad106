import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ChargerView } from '../../bff/views'
import { fetchCharger, watchCharger } from '../api/chargers'
import { ApiError } from '../api/http'
import { storageKeys } from '../storage-keys'
import { onReconnect } from '../app/connectivity'
import { lastKnownCharger, saveCharger } from '../offline/cache'
import { createGrantSession } from '../api/me'
import { newIdempotencyKey } from '../api/idempotency'
import { useSessionStore } from './session'

export interface RecentCharger {
  chargerId: string
  label: string | null
  siteName: string
}

const recentLimit = 5

function readRecent(): RecentCharger[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(storageKeys.recentChargers) ?? '[]')
    return Array.isArray(parsed) ? (parsed as RecentCharger[]) : []
  } catch {
    return []
  }
}

export const useChargerStore = defineStore('charger', () => {
  const charger = ref<ChargerView | null>(null)
  const error = ref<ApiError | null>(null)
  const loading = ref(false)
  const recent = ref<RecentCharger[]>(readRecent())
  /** Set when the charger shown is the copy from an earlier visit (no connection): when it was saved. */
  const lastKnownAt = ref<number | null>(null)
  let unwatch: (() => void) | null = null
  let openedRef: string | null = null

  function remember(view: ChargerView) {
    const entry = { chargerId: view.id, label: view.label, siteName: view.site.name }
    recent.value = [entry, ...recent.value.filter((r) => r.chargerId !== view.id)].slice(0, recentLimit)
    localStorage.setItem(storageKeys.recentChargers, JSON.stringify(recent.value))
  }

  /**
   * Loads a charger by id, EVSE id or QR URL and keeps its connector statuses live. Without a
   * connection it shows the copy saved on an earlier visit; `refresh` reloads in place.
   */
  async function open(chargerRef: string, refresh = false) {
    if (!refresh && openedRef === chargerRef && charger.value && lastKnownAt.value === null) return
    close()
    openedRef = chargerRef
    loading.value = !refresh
    error.value = null
    if (!refresh) charger.value = null
    try {
      const view = await fetchCharger(chargerRef)
      if (openedRef !== chargerRef) return
      charger.value = view
      lastKnownAt.value = null
      remember(view)
      void saveCharger(view, [chargerRef])
      unwatch = watchCharger(view.id, {
        onData: (live) => {
          if (charger.value?.id === live.id) charger.value = live
        },
      })
    } catch (e) {
      const failure = e instanceof ApiError ? e : new ApiError('unknown', String(e), 0)
      // A refresh that finds no connection keeps showing what is on screen.
      if (refresh && charger.value && failure.status === 0) return
      const saved = failure.status === 0 ? await lastKnownCharger(chargerRef) : null
      if (openedRef !== chargerRef) return
      if (saved) {
        charger.value = saved.view
        lastKnownAt.value = saved.savedAt
      } else {
        error.value = failure
      }
    } finally {
      loading.value = false
    }
  }

  // Back online: fresh prices and statuses, and a live feed again, in place.
  onReconnect(() => {
    if (openedRef) void open(openedRef, true)
  })

  function close() {
    unwatch?.()
    unwatch = null
    openedRef = null
  }

  const starting = ref(false)
  const startError = ref<ApiError | null>(null)
  /** One key per start attempt: a double tap or a retry after a dropped connection starts once. */
  let startKey = newIdempotencyKey()

  /** Starts on the driver's grant, without a card; returns the session id, or null (see `startError`). */
  async function startWithGrant(connectorId: number): Promise<string | null> {
    const view = charger.value
    if (!view || starting.value) return null
    starting.value = true
    startError.value = null
    try {
      const created = await createGrantSession(view.id, connectorId, startKey)
      startKey = newIdempotencyKey()
      const sessions = useSessionStore()
      sessions.remember({
        sessionId: created.session.id,
        stopToken: created.stopToken,
        chargerId: view.id,
        connectorId,
        createdAt: created.session.createdAt,
        state: created.session.state,
        siteName: created.session.siteName,
        currency: created.session.cost.currency,
      })
      sessions.record(created.session)
      return created.session.id
    } catch (e) {
      startError.value = e instanceof ApiError ? e : new ApiError('unknown', String(e), 0)
      if (startError.value.status !== 0) startKey = newIdempotencyKey()
      return null
    } finally {
      starting.value = false
    }
  }

  return { charger, error, loading, lastKnownAt, recent, starting, startError, open, close, startWithGrant }
})
