/**
 * Signals between the BFF processes on one database: small JSON messages on named channels, seen by
 * every process (the sender too). PostgreSQL carries them with LISTEN/NOTIFY; the embedded database
 * serves one process, which signals itself. A signal is a nudge, never the record: whatever it
 * says is in the database, and a process that missed signals (a lost LISTEN connection) reloads.
 */
import pg from 'pg'
import type { Logger } from 'pino'

export type Signal = Record<string, unknown>
type Handler = (message: Signal) => void

export interface Signals {
  send(channel: string, message: Signal): Promise<void>
  on(channel: string, handler: Handler): () => void
  /** After a lost connection is back: signals sent meanwhile are gone. */
  onResume(handler: () => void): void
  close(): Promise<void>
}

/** NOTIFY's payload limit is 8000 bytes; callers keep well below. */
export const maxSignalBytes = 7500

class Handlers {
  private readonly byChannel = new Map<string, Set<Handler>>()

  add(channel: string, handler: Handler): () => void {
    let set = this.byChannel.get(channel)
    if (!set) this.byChannel.set(channel, (set = new Set()))
    set.add(handler)
    return () => set.delete(handler)
  }

  channels(): string[] {
    return [...this.byChannel.keys()]
  }

  deliver(channel: string, message: Signal, logger?: Logger): void {
    for (const handler of this.byChannel.get(channel) ?? []) {
      try {
        handler(message)
      } catch (error) {
        logger?.error({ err: error, channel }, 'signal handler failed')
      }
    }
  }
}

/** One process: signals go to itself, asynchronously as NOTIFY would. */
export class InProcessSignals implements Signals {
  private readonly handlers = new Handlers()

  async send(channel: string, message: Signal): Promise<void> {
    const copy = JSON.parse(JSON.stringify(message)) as Signal
    setImmediate(() => this.handlers.deliver(channel, copy))
  }

  on(channel: string, handler: Handler): () => void {
    return this.handlers.add(channel, handler)
  }

  onResume(): void {}

  async close(): Promise<void> {}
}

/** LISTEN on one dedicated connection (reconnected with backoff), NOTIFY through the pool. */
export class PostgresSignals implements Signals {
  private readonly handlers = new Handlers()
  private readonly resumed = new Set<() => void>()
  private client: pg.Client | null = null
  private connecting: Promise<void> | null = null
  private listening = new Set<string>()
  private closed = false
  private retryMs = 250

  constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  async send(channel: string, message: Signal): Promise<void> {
    await this.pool.query('select pg_notify($1, $2)', [channel, JSON.stringify(message)])
  }

  on(channel: string, handler: Handler): () => void {
    const off = this.handlers.add(channel, handler)
    this.listen(channel).catch((error: Error) => {
      this.logger.warn({ err: error, component: 'signals' }, 'cannot LISTEN on PostgreSQL yet; retrying')
      this.reconnectLater()
    })
    return off
  }

  onResume(handler: () => void): void {
    this.resumed.add(handler)
  }

  /** Resolves once this process listens on the channel (handlers added before see every later signal). */
  async listen(channel: string): Promise<void> {
    await this.connect()
    if (this.listening.has(channel) || !this.client) return
    this.listening.add(channel)
    await this.client.query(`listen ${pg.escapeIdentifier(channel)}`)
  }

  private connect(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve()
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url })
      client.on('notification', (n) => {
        if (!n.payload) return
        let message: Signal
        try {
          message = JSON.parse(n.payload) as Signal
        } catch {
          return
        }
        this.handlers.deliver(n.channel, message, this.logger)
      })
      client.on('error', (error) => this.lost(client, error))
      client.on('end', () => this.lost(client, new Error('connection ended')))
      await client.connect()
      this.client = client
      this.listening = new Set()
      for (const channel of this.handlers.channels()) {
        this.listening.add(channel)
        await client.query(`listen ${pg.escapeIdentifier(channel)}`)
      }
      this.retryMs = 250
    })().finally(() => {
      this.connecting = null
    })
    return this.connecting
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client || this.closed) return
    this.client = null
    this.logger.warn({ err: error, component: 'signals' }, 'lost the LISTEN connection to PostgreSQL; reconnecting')
    client.end().catch(() => {})
    this.reconnectLater()
  }

  private reconnectLater(): void {
    const retry = () => {
      if (this.closed) return
      this.connect().then(
        () => {
          for (const handler of this.resumed) handler()
        },
        () => {
          this.retryMs = Math.min(this.retryMs * 2, 10_000)
          setTimeout(retry, this.retryMs).unref()
        },
      )
    }
    setTimeout(retry, this.retryMs).unref()
  }

  async close(): Promise<void> {
    this.closed = true
    await this.connecting?.catch(() => {})
    const client = this.client
    this.client = null
    await client?.end().catch(() => {})
  }
}
