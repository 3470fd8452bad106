/**
 * Stops pressed without a connection. One entry per session (pressing twice queues once); the
 * page delivers them when the connection returns, and the service worker does too through
 * Background Sync, even with the app closed. The BFF's stop is idempotent, so a stop that both
 * deliver still stops the session once.
 */
import { offlineDb } from '../storage-keys'
import { deleteRecord, readAll, readRecord, writeRecord } from './db'

export interface QueuedStop {
  key: string
  stopToken: string
  queuedAt: number
}

const store = offlineDb.stores.stops

export const queueStop = (sessionId: string, stopToken: string, queuedAt = Date.now()) =>
  writeRecord<QueuedStop>(store, { key: sessionId, stopToken, queuedAt })

export const isStopQueued = (sessionId: string) => readRecord<QueuedStop>(store, sessionId).then((r) => r !== null)

export const queuedStops = () => readAll<QueuedStop>(store)

export type Delivery = 'delivered' | 'refused' | 'retry'

/** What an answer to a queued stop means: 2xx done; a 4xx will never succeed (gone, not ours); else retry. */
export function deliveryOf(status: number | null): Delivery {
  if (status === null || status >= 500 || status === 408 || status === 429) return 'retry'
  return status < 300 ? 'delivered' : 'refused'
}

/** Sends every queued stop once; returns the ids that no longer need sending, each with its outcome. */
export async function deliverQueuedStops(send: typeof fetch = fetch): Promise<{ sessionId: string; delivery: Delivery }[]> {
  const queued = await queuedStops()
  const results = await Promise.all(
    queued.map(async ({ key, stopToken }) => {
      const status = await send(`/api/sessions/${encodeURIComponent(key)}/stop`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${stopToken}` },
      }).then(
        (response) => response.status,
        () => null,
      )
      const delivery = deliveryOf(status)
      if (delivery !== 'retry') await deleteRecord(store, key)
      return { sessionId: key, delivery }
    }),
  )
  return results.filter((r) => r.delivery !== 'retry')
}
