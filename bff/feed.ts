import type { LiveBus } from './live'

type Viewer<T> = (view: T) => void

/**
 * Fans one snapshot out to every live viewer of a thing (a session, a charger). When the thing
 * changes (a `${topic}:${id}` message on the bus), the snapshot is built once, however many
 * viewers there are; changes that arrive while it is being built are folded into one more build.
 */
export class Feed<T> {
  private readonly watched = new Map<string, { viewers: Set<Viewer<T>>; unsubscribe: () => void; building: boolean; again: boolean }>()

  constructor(
    private readonly live: LiveBus,
    private readonly topic: string,
    private readonly build: (id: string) => Promise<T | null>,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  subscribe(id: string, viewer: Viewer<T>): () => void {
    let entry = this.watched.get(id)
    if (!entry) {
      const created = { viewers: new Set<Viewer<T>>(), building: false, again: false, unsubscribe: () => {} }
      created.unsubscribe = this.live.subscribe(`${this.topic}:${id}`, () => void this.rebuild(id))
      this.watched.set(id, (entry = created))
    }
    entry.viewers.add(viewer)
    return () => {
      entry.viewers.delete(viewer)
      if (entry.viewers.size === 0) {
        entry.unsubscribe()
        this.watched.delete(id)
      }
    }
  }

  viewerCount(): number {
    let n = 0
    for (const entry of this.watched.values()) n += entry.viewers.size
    return n
  }

  private async rebuild(id: string): Promise<void> {
    const entry = this.watched.get(id)
    if (!entry) return
    if (entry.building) {
      entry.again = true
      return
    }
    entry.building = true
    try {
      do {
        entry.again = false
        const view = await this.build(id)
        if (view) for (const viewer of entry.viewers) viewer(view)
      } while (entry.again)
    } catch (error) {
      this.onError(error)
    } finally {
      entry.building = false
    }
  }
}
