/**
 * One charger's work one piece at a time, in arrival order, while different chargers go on side by
 * side: what every gateway adapter needs so the session side sees each charger's events in order.
 */
export class PerCharger {
  private readonly chains = new Map<string, Promise<unknown>>()

  /** Runs `work` after everything earlier for this charger; its failure does not break the chain. */
  run<T>(chargerId: string, work: () => Promise<T>): Promise<T> {
    const result = (this.chains.get(chargerId) ?? Promise.resolve()).then(work)
    const tail = result.catch(() => {})
    this.chains.set(chargerId, tail)
    tail.then(() => {
      if (this.chains.get(chargerId) === tail) this.chains.delete(chargerId)
    })
    return result
  }

  /** Waits for what is in hand. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.chains.values()])
  }
}
