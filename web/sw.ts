/// <reference lib="WebWorker" />
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { deliverQueuedStops, queuedStops } from './offline/stop-queue'
import { stopSyncTag } from './storage-keys'

declare const self: ServiceWorkerGlobalScope

/** Background Sync is not in TypeScript's WebWorker lib yet. */
interface SyncEvent extends ExtendableEvent {
  readonly tag: string
  readonly lastChance: boolean
}

// The app shell, every page chunk and the QR decoder (ZXing wasm): the app opens with no signal.
precacheAndRoute(self.__WB_MANIFEST)
// Caches of versions before this one go once this one is active.
cleanupOutdatedCaches()

// Every page of the app is index.html, offline too; the API, OCPP and webhooks never are.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/api\//, /^\/ocpp\//, /^\/webhooks\//],
  }),
)

// A new version waits until the driver taps "Reload" (never mid-payment or mid-session by itself).
self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting()
})

// Stops pressed offline, delivered when the browser has a connection again, even with the app closed.
self.addEventListener('sync', (event) => {
  const sync = event as SyncEvent
  if (sync.tag !== stopSyncTag) return
  sync.waitUntil(
    deliverQueuedStops((input, init) => fetch(input, init)).then(async (done) => {
      const clients = await self.clients.matchAll({ type: 'window' })
      for (const client of clients) client.postMessage({ type: 'stops-delivered', sessionIds: done.map((d) => d.sessionId) })
      // A failed sync is retried by the browser later, with back-off.
      if ((await queuedStops()).length > 0) throw new Error('Stops still queued')
    }),
  )
})
