/**
 * Whether the device has a connection, and hooks for when it comes back. Drivers charge in
 * garages with one bar of signal: pages show what they last knew and pick up by themselves.
 */
import { readonly, ref } from 'vue'
import { stopSyncTag } from '../storage-keys'

const state = ref(typeof navigator === 'undefined' ? true : navigator.onLine)
/** False while the browser knows it has no network. */
export const online = readonly(state)

const reconnectHandlers = new Set<() => void>()
const deliveredHandlers = new Set<(sessionIds: string[]) => void>()

if (typeof window !== 'undefined') {
  window.addEventListener('offline', () => (state.value = false))
  window.addEventListener('online', () => {
    state.value = true
    for (const handler of reconnectHandlers) handler()
  })
  navigator.serviceWorker?.addEventListener('message', (event: MessageEvent<{ type?: string; sessionIds?: string[] }>) => {
    if (event.data?.type !== 'stops-delivered' || !event.data.sessionIds?.length) return
    for (const handler of deliveredHandlers) handler(event.data.sessionIds)
  })
}

/** Runs `handler` each time the connection returns; returns a function that stops that. */
export function onReconnect(handler: () => void): () => void {
  reconnectHandlers.add(handler)
  return () => reconnectHandlers.delete(handler)
}

/** Runs `handler` when the service worker has delivered queued stops in the background. */
export function onStopsDelivered(handler: (sessionIds: string[]) => void): () => void {
  deliveredHandlers.add(handler)
  return () => deliveredHandlers.delete(handler)
}

interface SyncRegistration extends ServiceWorkerRegistration {
  sync?: { register(tag: string): Promise<void> }
}

/** Asks the service worker to deliver queued stops when the browser is online (Background Sync); false where unsupported. */
export async function requestStopSync(): Promise<boolean> {
  try {
    const registration = (await navigator.serviceWorker?.getRegistration()) as SyncRegistration | undefined
    if (!registration?.active || !registration.sync) return false
    await registration.sync.register(stopSyncTag)
    return true
  } catch {
    return false
  }
}
