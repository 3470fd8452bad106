/** Every localStorage key the app uses, in one place. */
export const storageKeys = {
  /** Sessions started on this device, with their stop tokens (JSON array). */
  deviceHistory: 'laddpunkt.history.v1',
  /** The driver's chosen language: 'sv' or 'en'. */
  locale: 'laddpunkt.locale',
  /** Charger refs opened recently (JSON array, newest first). */
  recentChargers: 'laddpunkt.recent-chargers.v1',
} as const
