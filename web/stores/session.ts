import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { SessionView } from '../../bff/views'
import { ApiError } from '../api/http'
import { cancelSession, fetchSession, stopSession, watchSession } from '../api/sessions'
import { storageKeys } from '../storage-keys'
import { useAccountStore } from './account'
import { online, onReconnect, onStopsDelivered, requestStopSync } from '../app/connectivity'
import { lastKnownSession, saveSession } from '../offline/cache'
import { deliverQueuedStops, isStopQueued, queueStop } from '../offline/stop-queue'

/** A session started on this device: the stop token lives only here (and as a hash in the BFF). */
export interface DeviceSession {
  sessionId: string
  stopToken: string
  chargerId: string
  connectorId: number
  createdAt: string
  /** Last known snapshot, so history shows something offline. */
  state?: SessionView['state']
  siteName?: string
  total?: number
  currency?: string
  receiptUrl?: string | null
  updatedAt?: string
}

export const finalStates: ReadonlySet<SessionView['state']> = new Set(['completed', 'failed', 'cancelled'])

/**
 * The amount to show for a session, the same on its page, in the history and on its receipt: the
 * running cost while it runs, the charge once final (an open charger's is nothing throughout).
 */
export const shownAmount = (s: Pick<SessionView, 'state' | 'method' | 'cost' | 'charge'>) =>
  finalStates.has(s.state) || s.method === 'open' ? s.charge.amount : s.cost.total

/** Sessions older than this no longer reopen by themselves when the app starts. */
const reopenWindowMs = 2 * 24 * 60 * 60 * 1000

/** How often a queued stop is retried while the device says it is online but the BFF cannot be reached. */
const stopRetryMs = 5000

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError('unknown', String(e), 0))

export function readDeviceHistory(storage: Pick<Storage, 'getItem'>): DeviceSession[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(storageKeys.deviceHistory) ?? '[]')
    return Array.isArray(parsed) ? (parsed as DeviceSession[]).filter((s) => s && typeof s.sessionId === 'string') : []
  } catch {
    return []
  }
}

/** The session to reopen at app start: not final and started within the last two days. */
export function runningDeviceSession(history: DeviceSession[], now: number): DeviceSession | null {
  return (
    history.find(
      (s) => !(s.state && finalStates.has(s.state)) && now - Date.parse(s.createdAt) < reopenWindowMs,
    ) ?? null
  )
}

export const useSessionStore = defineStore('session', () => {
  const history = ref<DeviceSession[]>(readDeviceHistory(localStorage))
  /** The session on the live page. */
  const live = ref<SessionView | null>(null)
  const connected = ref(false)
  /** When the last snapshot arrived (epoch ms): shows the age of the data when the connection drops. */
  const receivedAt = ref<number | null>(null)
  const error = ref<ApiError | null>(null)
  const stopping = ref(false)
  /** The live session's stop was pressed without a connection and waits to be sent. */
  const stopQueued = ref(false)
  let unwatch: (() => void) | null = null
  let followed: string | null = null
  let retryTimer: ReturnType<typeof setTimeout> | null = null

  const sorted = computed(() => [...history.value].sort((a, b) => b.createdAt.localeCompare(a.createdAt)))
  const running = computed(() => runningDeviceSession(sorted.value, Date.now()))

  function save() {
    localStorage.setItem(storageKeys.deviceHistory, JSON.stringify(history.value))
  }

  const find = (sessionId: string) => history.value.find((s) => s.sessionId === sessionId) ?? null

  /** Saved before the card is confirmed, so a reload mid-payment still finds (and can stop) the session. */
  function remember(entry: DeviceSession) {
    history.value = [entry, ...history.value.filter((s) => s.sessionId !== entry.sessionId)]
    save()
  }

  function record(snapshot: SessionView) {
    const entry = find(snapshot.id)
    if (!entry) return
    Object.assign(entry, {
      state: snapshot.state,
      siteName: snapshot.siteName,
      total: shownAmount(snapshot),
      currency: snapshot.cost.currency,
      receiptUrl: snapshot.receipt?.url ?? null,
      updatedAt: new Date().toISOString(),
    })
    save()
  }

  function accept(snapshot: SessionView) {
    if (live.value && live.value.id === snapshot.id && live.value.version > snapshot.version) return
    live.value = snapshot
    receivedAt.value = Date.now()
    record(snapshot)
    void saveSession(snapshot, receivedAt.value)
  }

  /**
   * How this device may follow and stop a session: with the stop token it holds, or, for the
   * signed-in driver's own sessions (another phone, an RFID start), as that account (no token).
   */
  function access(sessionId: string): DeviceSession | null {
    const entry = find(sessionId)
    if (entry) return entry
    return useAccountStore().signedIn ? { sessionId, stopToken: '', chargerId: '', connectorId: 0, createdAt: '' } : null
  }

  /** Shows a session live. Without a stop token from this device (or the account) there is nothing to open. */
  async function open(sessionId: string) {
    close()
    live.value = null
    error.value = null
    stopQueued.value = false
    await follow(sessionId)
  }

  /** Fetches the session and keeps it live; without a connection it shows the last known snapshot. */
  async function follow(sessionId: string) {
    close()
    followed = sessionId
    const entry = access(sessionId)
    if (!entry) return
    const queued = isStopQueued(sessionId)
    try {
      const snapshot = await fetchSession(sessionId, entry.stopToken)
      if (followed !== sessionId) return
      accept(snapshot)
      error.value = null
      stopQueued.value = await queued
      if (finalStates.has(snapshot.state)) return
    } catch (e) {
      const failure = asApiError(e)
      const cached = failure.status === 0 && live.value?.id !== sessionId ? await lastKnownSession(sessionId) : null
      stopQueued.value = await queued
      if (followed !== sessionId) return
      if (cached) {
        live.value = cached.view
        receivedAt.value = cached.savedAt
      } else if (!(failure.status === 0 && live.value?.id === sessionId)) {
        error.value = failure
      }
      if (live.value && finalStates.has(live.value.state)) return
    }
    unwatch = watchSession(sessionId, entry.stopToken, {
      onData: (snapshot) => {
        accept(snapshot)
        if (finalStates.has(snapshot.state)) close()
      },
      onOpen: () => (connected.value = true),
      onDrop: () => (connected.value = false),
    })
  }

  function close() {
    unwatch?.()
    unwatch = null
    followed = null
    connected.value = false
  }

  async function act(action: typeof stopSession) {
    const entry = live.value && access(live.value.id)
    if (!entry || stopping.value) return
    stopping.value = true
    error.value = null
    try {
      accept((await action(entry.sessionId, entry.stopToken)).session)
    } catch (e) {
      error.value = e instanceof ApiError ? e : new ApiError('unknown', String(e), 0)
    } finally {
      stopping.value = false
    }
  }

  /** Stops now, or, without a connection, queues the stop to be sent as soon as there is one. */
  async function stop() {
    const entry = live.value && access(live.value.id)
    if (!entry || stopping.value || stopQueued.value) return
    if (!online.value) return queue(entry)
    stopping.value = true
    error.value = null
    try {
      accept((await stopSession(entry.sessionId, entry.stopToken)).session)
    } catch (e) {
      const failure = asApiError(e)
      if (failure.status === 0) await queue(entry)
      else error.value = failure
    } finally {
      stopping.value = false
    }
  }

  async function queue(entry: DeviceSession) {
    await queueStop(entry.sessionId, entry.stopToken)
    stopQueued.value = true
    // Background Sync where the browser has it; the page's own retries cover the rest.
    await requestStopSync()
    retryStops()
  }

  function retryStops() {
    if (retryTimer || !stopQueued.value) return
    retryTimer = setTimeout(() => {
      retryTimer = null
      if (online.value) void deliverStops()
    }, stopRetryMs)
  }

  function delivered(sessionIds: string[]) {
    const id = live.value?.id
    if (!id || !sessionIds.includes(id)) return
    stopQueued.value = false
    void follow(id)
  }

  async function deliverStops() {
    delivered((await deliverQueuedStops()).map((d) => d.sessionId))
    retryStops()
  }

  // The connection is back: send queued stops and pick the live view up again, without a reload.
  onReconnect(() => {
    void deliverStops()
    const id = followed ?? live.value?.id
    if (id && live.value && !finalStates.has(live.value.state)) void follow(id)
  })
  onStopsDelivered(delivered)
  if (online.value) void deliverStops()
  /** Before charging has begun: gives up and releases the hold. */
  const cancel = () => act(cancelSession)

  /** Refreshes the sessions on this device that were still running when last seen. */
  async function refreshHistory() {
    const open = history.value.filter((s) => !(s.state && finalStates.has(s.state)))
    await Promise.all(
      open.map((s) =>
        fetchSession(s.sessionId, s.stopToken).then(record, () => undefined),
      ),
    )
  }

  return { history, sorted, running, live, connected, receivedAt, error, stopping, stopQueued, find, access, remember, record, open, close, stop, cancel, refreshHistory }
})
