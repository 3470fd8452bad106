/**
 * A small promise layer over IndexedDB, shared by the page and the service worker. Where IndexedDB
 * is missing or refuses (private mode, unit tests), reads find nothing and writes do nothing:
 * offline copies are a comfort, never a reason for a page to fail.
 */
import { offlineDb, type OfflineStoreName } from '../storage-keys'

export interface Saved<T> {
  key: string
  view: T
  /** When the copy was received from the BFF (epoch ms): shown as its age. */
  savedAt: number
}

let opening: Promise<IDBDatabase | null> | null = null

function open(): Promise<IDBDatabase | null> {
  if (typeof indexedDB === 'undefined') return Promise.resolve(null)
  opening ??= new Promise((resolve) => {
    const request = indexedDB.open(offlineDb.name, offlineDb.version)
    request.onupgradeneeded = () => {
      for (const name of Object.values(offlineDb.stores)) {
        if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name, { keyPath: 'key' })
      }
    }
    request.onsuccess = () => {
      // Another tab or a newer worker upgrading: let go so it is not blocked.
      request.result.onversionchange = () => {
        request.result.close()
        opening = null
      }
      resolve(request.result)
    }
    request.onerror = () => resolve(null)
    request.onblocked = () => resolve(null)
  })
  return opening
}

async function run<T>(store: OfflineStoreName, mode: IDBTransactionMode, action: (s: IDBObjectStore) => IDBRequest<T>): Promise<T | null> {
  const db = await open()
  if (!db) return null
  return new Promise((resolve) => {
    try {
      const request = action(db.transaction(store, mode).objectStore(store))
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => resolve(null)
    } catch {
      resolve(null)
    }
  })
}

export const readRecord = <T>(store: OfflineStoreName, key: string) =>
  run<T | undefined>(store, 'readonly', (s) => s.get(key)).then((r) => r ?? null)

export const readAll = <T>(store: OfflineStoreName) => run<T[]>(store, 'readonly', (s) => s.getAll()).then((r) => r ?? [])

/** Records are JSON (views from the BFF); the round trip also unwraps reactive proxies, which IndexedDB cannot clone. */
export const writeRecord = <T extends { key: string }>(store: OfflineStoreName, record: T) =>
  run(store, 'readwrite', (s) => s.put(JSON.parse(JSON.stringify(record)))).then(() => undefined)

export const deleteRecord = (store: OfflineStoreName, key: string) => run(store, 'readwrite', (s) => s.delete(key)).then(() => undefined)
