/**
 * Publish/subscribe for live views (SSE). Topics: `charger:<id>`, `session:<id>`; the payload is a
 * small JSON value (the id), and viewers read what changed from the database. With several
 * processes, what is published here is relayed to the others (coalesced, a signal every few
 * milliseconds at most), so a viewer connected to any process sees every change.
 */
import { maxSignalBytes, type Signals } from './cluster/signals'

type Listener<T> = (payload: T) => void

const channel = 'laddpunkt_live'
/** Publications are gathered this long before they are relayed in one signal. */
const relayEveryMs = 15

export class LiveBus {
  private readonly topics = new Map<string, Set<Listener<unknown>>>()
  private relay: { signals: Signals; origin: string } | null = null
  private readonly outbox = new Map<string, unknown>()
  private flushing: NodeJS.Timeout | null = null
  private readonly relayed = new Set<(topic: string) => void>()

  /** Relays publications to the other processes and delivers theirs here. */
  connect(signals: Signals, origin: string): () => void {
    this.relay = { signals, origin }
    return signals.on(channel, (m) => {
      if (m.o === origin || !Array.isArray(m.t)) return
      for (const [topic, payload] of m.t as [string, unknown][]) {
        for (const handler of this.relayed) handler(topic)
        this.deliver(topic, payload)
      }
    })
  }

  /** Hears what other processes publish (a cache of what they change is stale). */
  onRelayed(handler: (topic: string) => void): void {
    this.relayed.add(handler)
  }

  subscribe<T>(topic: string, listener: Listener<T>): () => void {
    let set = this.topics.get(topic)
    if (!set) this.topics.set(topic, (set = new Set()))
    set.add(listener as Listener<unknown>)
    return () => {
      set.delete(listener as Listener<unknown>)
      if (set.size === 0) this.topics.delete(topic)
    }
  }

  publish<T>(topic: string, payload: T): void {
    this.deliver(topic, payload)
    if (!this.relay) return
    this.outbox.set(topic, payload)
    this.flushing ??= setTimeout(() => this.flush(), relayEveryMs)
  }

  listenerCount(topic: string): number {
    return this.topics.get(topic)?.size ?? 0
  }

  private deliver(topic: string, payload: unknown): void {
    for (const listener of this.topics.get(topic) ?? []) {
      try {
        listener(payload)
      } catch {
        // one broken viewer must not stop the others
      }
    }
  }

  /** Sends what was published meanwhile, in signals below NOTIFY's size limit. */
  private flush(): void {
    this.flushing = null
    const relay = this.relay
    if (!relay) return
    let batch: [string, unknown][] = []
    let bytes = 0
    const send = () => {
      if (batch.length) relay.signals.send(channel, { o: relay.origin, t: batch }).catch(() => {})
      batch = []
      bytes = 0
    }
    for (const entry of this.outbox) {
      const size = JSON.stringify(entry).length + 1
      if (bytes + size > maxSignalBytes - 200) send()
      batch.push(entry)
      bytes += size
    }
    send()
    this.outbox.clear()
  }
}
