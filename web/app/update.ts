import { ref } from 'vue'
import { Workbox } from 'workbox-window'

/** True when a new version is installed and waits for the driver's "Reload". */
export const updateReady = ref(false)
let workbox: Workbox | null = null

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !import.meta.env.PROD) return
  workbox = new Workbox('/sw.js')
  workbox.addEventListener('waiting', () => (updateReady.value = true))
  void workbox.register()
}

/** Activates the waiting version, then reloads once it controls the page. */
export function applyUpdate() {
  if (!workbox) return
  workbox.addEventListener('controlling', () => window.location.reload())
  workbox.messageSkipWaiting()
}
