import { defineStore } from 'pinia'
import { ref } from 'vue'
import { fetchZaptec, saveZaptec, type ZaptecInstallationView, type ZaptecPortalSettings, type ZaptecSetup } from '../api/zaptec'
import type { ApiError } from '../api/http'
import { asApiError } from './account'

/** The owner's Zaptec setup of one site. */
export const useZaptecStore = defineStore('zaptec', () => {
  const siteId = ref<string | null>(null)
  const installation = ref<ZaptecInstallationView | null>(null)
  const loaded = ref(false)
  /** What to enter in Zaptec's portal, right after saving; never fetched again. */
  const portal = ref<ZaptecPortalSettings | null>(null)
  const error = ref<ApiError | null>(null)
  const busy = ref(false)

  async function open(id: string) {
    siteId.value = id
    loaded.value = false
    portal.value = null
    error.value = null
    try {
      const answer = await fetchZaptec(id)
      if (siteId.value !== id) return
      installation.value = answer.installation
      loaded.value = true
    } catch (e) {
      error.value = asApiError(e)
    }
  }

  async function save(id: string, body: ZaptecSetup): Promise<boolean> {
    if (busy.value) return false
    busy.value = true
    error.value = null
    try {
      const answer = await saveZaptec(id, body)
      installation.value = answer.installation
      portal.value = answer.portal
      return true
    } catch (e) {
      error.value = asApiError(e)
      return false
    } finally {
      busy.value = false
    }
  }

  return { siteId, installation, loaded, portal, error, busy, open, save, dismissPortal: () => (portal.value = null) }
})
