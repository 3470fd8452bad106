import { ref } from 'vue'
import type { Workbox } from 'workbox-window'

/** True when a new version is installed and waits for the driver's "Reload". */
export const updateReady = ref(false)
let workbox: Workbox | null = null

/** Registers the service worker once the page has loaded, so it never competes with the first paint. */
export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !import.meta.env.PROD) return
  const register = async () => {
    const { Workbox } = await import('workbox-window')
    workbox = new Workbox('/sw.js')
    // Also fires for a version found later (the browser checks on navigation and every 24 hours).
    workbox.addEventListener('waiting', () => (updateReady.value = true))
    await workbox.register()
  }
  if (document.readyState === 'complete') void register()
  else window.addEventListener('load', () => void register(), { once: true })
}

/** Activates the waiting version, then reloads once it controls the page. Old caches go in its activate step. */
export function applyUpdate() {
  if (!workbox) return
  workbox.addEventListener('controlling', () => window.location.reload())
  workbox.messageSkipWaiting()
}
