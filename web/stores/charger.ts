import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ChargerView } from '../../bff/views'
import { fetchCharger, watchCharger } from '../api/chargers'
import { ApiError } from '../api/http'
import { storageKeys } from '../storage-keys'

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
  let unwatch: (() => void) | null = null
  let openedRef: string | null = null

  function remember(view: ChargerView) {
    const entry = { chargerId: view.id, label: view.label, siteName: view.site.name }
    recent.value = [entry, ...recent.value.filter((r) => r.chargerId !== view.id)].slice(0, recentLimit)
    localStorage.setItem(storageKeys.recentChargers, JSON.stringify(recent.value))
  }

  /** Loads a charger by id, EVSE id or QR URL and keeps its connector statuses live. */
  async function open(chargerRef: string) {
    if (openedRef === chargerRef && charger.value) return
    close()
    openedRef = chargerRef
    loading.value = true
    error.value = null
    charger.value = null
    try {
      const view = await fetchCharger(chargerRef)
      if (openedRef !== chargerRef) return
      charger.value = view
      remember(view)
      unwatch = watchCharger(view.id, {
        onData: (live) => {
          if (charger.value?.id === live.id) charger.value = live
        },
      })
    } catch (e) {
      error.value = e instanceof ApiError ? e : new ApiError('unknown', String(e), 0)
    } finally {
      loading.value = false
    }
  }

  function close() {
    unwatch?.()
    unwatch = null
    openedRef = null
  }

  return { charger, error, loading, recent, open, close }
})
