/** Every localStorage key and IndexedDB name the app (and its service worker) uses, in one place. */
export const storageKeys = {
  /** Sessions started on this device, with their stop tokens (JSON array). */
  deviceHistory: 'laddpunkt.history.v1',
  /** The driver's chosen language: one of the UI locales in i18n.ts. */
  locale: 'laddpunkt.locale',
  /** Charger refs opened recently (JSON array, newest first). */
  recentChargers: 'laddpunkt.recent-chargers.v1',
  /** When the driver closed the add-to-home-screen hint (epoch ms). */
  installHintDismissed: 'laddpunkt.install-hint-dismissed',
} as const

/** The IndexedDB database that keeps what the driver has seen, for use without a connection. */
export const offlineDb = {
  name: 'laddpunkt-offline',
  version: 1,
  stores: {
    /** Last known ChargerView per charger id and per ref it was opened by: `{ key, view, savedAt }`. */
    chargers: 'chargers',
    /** Last known SessionView per session id: `{ key, view, savedAt }`. */
    sessions: 'sessions',
    /** Receipts the driver has opened, by number: `{ key, view, savedAt }`. */
    receipts: 'receipts',
    /** Stops pressed without a connection, one per session: `{ key: sessionId, stopToken, queuedAt }`. */
    stops: 'stops',
  },
} as const

export type OfflineStoreName = (typeof offlineDb.stores)[keyof typeof offlineDb.stores]

/** The Background Sync tag under which the service worker delivers queued stops. */
export const stopSyncTag = 'laddpunkt-stops'
