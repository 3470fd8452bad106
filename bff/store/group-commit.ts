/**
 * Group commit: items written together in one statement (or a few) instead of one each. An item
 * added while the store is idle is written at the next turn of the event loop, with whatever else
 * arrived in that turn; items added while a write is running wait for it and go together in the
 * next. With `gapMs`, a write starts at most once per gap (a busy store gets fewer, larger writes:
 * each costs a round trip and the database's CPU, on the machine's few cores), at the price of up
 * to `gapMs` more latency under load. So the batch grows with the load, and each caller's promise
 * settles when its item is stored: whoever acknowledges after awaiting it acknowledges only what is
 * durable.
 */
/** The gap the meter path's writes keep: a charger's answer waits up to this much longer, the database does far less. */
export const meterWriteGapMs = 10

export class GroupCommit<T> {
  private pending: { item: T; done: () => void; failed: (error: unknown) => void }[] = []
  private running: Promise<void> | null = null
  private last: Promise<void> = Promise.resolve()
  /** When the last write started (ms, monotonic enough for spacing). */
  private lastStart = 0

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly o: {
      /** Most items in one write; the rest wait for the next. */
      maxBatch?: number
      /** Least time between the starts of two writes. */
      gapMs?: number
    } = {},
  ) {}

  add(item: T): Promise<void> {
    const stored = new Promise<void>((done, failed) => {
      this.pending.push({ item, done, failed })
      if (!this.running) this.running = this.spaced().then(() => this.drain())
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

  /** The next turn of the event loop, or the end of the gap since the last write started. */
  private spaced(): Promise<void> {
    const wait = this.lastStart + (this.o.gapMs ?? 0) - performance.now()
    return new Promise<void>((r) => (wait > 1 ? setTimeout(r, wait) : setImmediate(r)))
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      this.lastStart = performance.now()
      const batch = this.pending.splice(0, this.o.maxBatch ?? 2000)
      try {
        await this.write(batch.map((p) => p.item))
        for (const p of batch) p.done()
      } catch (error) {
        for (const p of batch) p.failed(error)
      }
      if (this.pending.length > 0) await this.spaced()
    }
    this.running = null
  }
}
