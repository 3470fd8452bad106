/**
 * In-process publish/subscribe for live views (SSE). Topics: `charger:<id>`, `session:<id>`.
 * Several instances would relay these over PostgreSQL LISTEN/NOTIFY; one process needs only this.
 */
type Listener<T> = (payload: T) => void

export class LiveBus {
  private readonly topics = new Map<string, Set<Listener<unknown>>>()

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
    for (const listener of this.topics.get(topic) ?? []) {
      try {
        listener(payload)
      } catch {
        // one broken viewer must not stop the others
      }
    }
  }

  listenerCount(topic: string): number {
    return this.topics.get(topic)?.size ?? 0
  }
}
