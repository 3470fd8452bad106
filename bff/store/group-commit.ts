/**
 * Group commit: items written together in one statement (or a few) instead of one each. An item
 * added while the store is idle is written at the next turn of the event loop, with whatever else
 * arrived in that turn; items added while a write is running wait for it and go together in the
 * next. So the batch grows with the load, and each caller's promise settles when its item is stored:
 * whoever acknowledges after awaiting it acknowledges only what is durable.
 */
export class GroupCommit<T> {
  private pending: { item: T; done: () => void; failed: (error: unknown) => void }[] = []
  private running: Promise<void> | null = null
  private last: Promise<void> = Promise.resolve()

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    /** Most items in one write; the rest wait for the next. */
    private readonly maxBatch = 2000,
  ) {}

  add(item: T): Promise<void> {
    const stored = new Promise<void>((done, failed) => {
      this.pending.push({ item, done, failed })
      if (!this.running) this.running = new Promise<void>((r) => setImmediate(r)).then(() => this.drain())
    })
    this.last = stored.catch(() => {})
    return stored
  }

  /** Items added and not yet written. */
  get size(): number {
    return this.pending.length
  }

  /** Settles once everything added before the call is written (or has failed); batches go in order. */
  flushed(): Promise<void> {
    return this.last
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch)
      try {
        await this.write(batch.map((p) => p.item))
        for (const p of batch) p.done()
      } catch (error) {
        for (const p of batch) p.failed(error)
      }
    }
    this.running = null
  }
}
