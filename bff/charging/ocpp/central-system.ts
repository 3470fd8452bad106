/**
 * OCPP 1.6J central system (ocpp-rpc): chargers connect to `/ocpp/{chargePointId}` with HTTP Basic
 * auth, report what they do, and take remote start/stop commands. Every charger message is persisted
 * first, then handed to the ChargerListener, then answered — one message at a time per charger, so
 * the listener sees each charger's events in order.
 */
import { PerCharger } from '../per-charger'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { and, desc, eq, isNull, ne, or, sql } from 'drizzle-orm'
import { RPCServer, createRPCError } from 'ocpp-rpc'
import type RPCServerClient from 'ocpp-rpc/lib/server-client'
import type { IHandlersOption } from 'ocpp-rpc'
import type pino from 'pino'
import type { Db } from '../../store/db'
import { chargers, connectors, type ConnectorStatus } from '../../store/schema'
import { hashToken, tokenMatches, verifyPassword } from '../../secrets'
import { ChargerOfflineError, type AuthorizeResult, type ChargerGateway, type ChargerListener, type RemoteResult, type StopCause } from '../gateway'
import { transactions } from './schema'
import { boundedOcpp16Validator, boundedTransactionData, maxFrameBytes, offersOcpp16 } from './limits'
import { hasReading, parseMeterValue, type MeterSample, type MeterValue } from './meter'

export interface OcppCentralSystemOptions {
  db: Db
  listener: ChargerListener
  logger: pino.Logger
  /** MeterValueSampleInterval configured on every charger at boot. */
  meterIntervalSeconds: number
  clock?: () => Date
  /** How long a remote command waits for the charger's answer. */
  commandTimeoutMs?: number
  /** Where several processes share the chargers: told of each connection before anyone else. */
  presence?: ChargerPresence
}

/** The registry of which process holds which charger (see bff/cluster). */
export interface ChargerPresence {
  connected(chargerId: string): Promise<void>
  /** False when another process holds the charger now: then this disconnect changes nothing. */
  disconnected(chargerId: string): Promise<boolean>
  /** Another live process holds the charger's connection (and handles its messages in order). */
  elsewhere(chargerId: string): boolean
}

/** A transaction this young, of a charger another process holds, may still be in that process's hands. */
const inHandsMs = 30_000

type Params = Record<string, any>

type TransactionRow = typeof transactions.$inferSelect
type IdTagStatus = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx'
type Handler = (client: RPCServerClient, params: Params) => Promise<Params>

const heartbeatIntervalSeconds = 300

const idTagStatus: Record<AuthorizeResult, IdTagStatus> = { accepted: 'Accepted', blocked: 'Blocked', invalid: 'Invalid' }

/** OCPP 1.6 StopTransaction reasons in our words. */
const stopCauses: Record<string, StopCause> = {
  EVDisconnected: 'unplugged',
  Local: 'local',
  Remote: 'remote',
  PowerLoss: 'power_loss',
  Reboot: 'charger_reboot',
  HardReset: 'charger_reboot',
  SoftReset: 'charger_reboot',
  EmergencyStop: 'emergency_stop',
  DeAuthorized: 'deauthorized',
  UnlockCommand: 'remote',
  Other: 'charger',
}

/**
 * Messages one charger may have waiting in its chain. A charger waits for each answer (OCPP 1.6);
 * one that floods past this gets its MeterValues refused, and only it is slowed.
 */
const maxQueuedPerCharger = 50

/** Transactions this old are not delivered again on recovery. */
const recoveryWindowMs = 7 * 24 * 3600_000

/** `/ocpp/{id}` with exactly one non-empty, decodable segment after the prefix; null otherwise. */
export function chargePointIdFromPath(url: string | undefined): string | null {
  const match = /^\/ocpp\/([^/?#]+)\/?(?:\?.*)?$/.exec(url ?? '')
  if (!match) return null
  try {
    return decodeURIComponent(match[1])
  } catch {
    return null
  }
}

export class OcppCentralSystem implements ChargerGateway {
  private readonly db: Db
  private readonly listener: ChargerListener
  private readonly log: pino.Logger
  private readonly meterIntervalSeconds: number
  private readonly clock: () => Date
  private readonly commandTimeoutMs: number
  private readonly server: RPCServer
  private readonly clients = new Map<string, RPCServerClient>()
  /** Per charger, the tail of its message chain: one message handled at a time, in arrival order. */
  private readonly chains = new PerCharger()
  /**
   * Passwords already verified against a given stored hash: a reconnect storm costs one query per
   * charger instead of one slow scrypt each. Keyed by the stored hash, so a new password invalidates it.
   */
  private readonly verified = new Map<string, { passwordHash: string; passwordDigest: string }>()
  /** Running transactions as MeterValues needs them: read once, dropped when bound to a session or stopped. */
  private readonly running = new Map<number, Promise<TransactionRow | null>>()
  /** The cached transactions of each charger: dropped when it connects (it may come from another process). */
  private readonly runningOf = new Map<string, Set<number>>()
  private readonly presence: ChargerPresence | undefined
  /** Per charger, messages in its chain not yet answered. */
  private readonly queued = new Map<string, number>()

  constructor(opts: OcppCentralSystemOptions) {
    this.db = opts.db
    this.listener = opts.listener
    this.log = opts.logger.child({ component: 'ocpp' })
    this.meterIntervalSeconds = opts.meterIntervalSeconds
    this.clock = opts.clock ?? (() => new Date())
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 10_000
    this.presence = opts.presence
    this.server = new RPCServer({
      protocols: ['ocpp1.6'],
      strictMode: true,
      strictModeValidators: [boundedOcpp16Validator()],
      wssOptions: { maxPayload: maxFrameBytes },
      callTimeoutMs: this.commandTimeoutMs,
    })
    this.server.auth((accept, reject, handshake) => {
      this.authenticate(handshake.identity, handshake.password).then(
        (ok) => (ok ? accept({}) : reject(401, 'Unauthorized')),
        (error) => {
          this.log.error({ err: error, chargerId: handshake.identity }, 'charger authentication failed')
          reject(500, 'Internal Server Error')
        },
      )
    })
    this.server.on('client', (client: RPCServerClient) => this.onClient(client))
    this.server.on('error', (error: Error) => this.log.error({ err: error }, 'OCPP server error'))
  }

  /** Give this to node's http server: `server.on('upgrade', central.handleUpgrade)`. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (chargePointIdFromPath(req.url) === null) {
      socket.on('error', () => {})
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    if (!offersOcpp16(req.headers['sec-websocket-protocol'])) {
      const message = 'OCPP 1.6J only: offer the WebSocket subprotocol ocpp1.6'
      socket.on('error', () => {})
      socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${message.length}\r\n\r\n${message}`)
      return
    }
    this.server.handleUpgrade(req, socket as never, head).catch((error: unknown) => {
      this.log.warn({ err: error }, 'OCPP upgrade failed')
      socket.destroy()
    })
  }

  isOnline(chargerId: string): boolean {
    return this.clients.has(chargerId)
  }

  connectedCount(): number {
    return this.clients.size
  }

  async startCharging(chargerId: string, request: { sessionId: string; connectorId: number; token: string }): Promise<RemoteResult> {
    const reply = await this.command(chargerId, 'RemoteStartTransaction', { connectorId: request.connectorId, idTag: request.token })
    return reply.status === 'Accepted' ? 'Accepted' : 'Rejected'
  }

  /** RemoteStopTransaction for the session's running transaction; Rejected when the charger has reported none. */
  async stopCharging(chargerId: string, sessionId: string): Promise<RemoteResult> {
    const [tx] = await this.db
      .select({ id: transactions.id })
      .from(transactions)
      .where(and(eq(transactions.chargerId, chargerId), eq(transactions.sessionId, sessionId), isNull(transactions.stoppedAt)))
      .orderBy(desc(transactions.id))
      .limit(1)
    if (!tx) {
      if (!this.clients.has(chargerId)) throw new ChargerOfflineError(chargerId)
      return 'Rejected'
    }
    const reply = await this.command(chargerId, 'RemoteStopTransaction', { transactionId: tx.id })
    return reply.status === 'Accepted' ? 'Accepted' : 'Rejected'
  }

  async askStatus(chargerId: string): Promise<void> {
    await this.command(chargerId, 'TriggerMessage', { requestedMessage: 'StatusNotification' })
  }

  /**
   * Delivers again what a crash kept the session side from taking: starts never bound to a
   * session, stops never acknowledged. Safe to run any time; the session side is idempotent.
   */
  async recover(): Promise<void> {
    const since = new Date(this.clock().getTime() - recoveryWindowMs)
    const unfinished = await this.db
      .select()
      .from(transactions)
      .where(
        and(
          sql`${transactions.receivedAt} > ${since}`,
          or(and(isNull(transactions.sessionId), isNull(transactions.stoppedAt)), and(sql`${transactions.stoppedAt} is not null`, eq(transactions.stopTold, false))),
        ),
      )
    for (const tx of unfinished) {
      if (this.presence?.elsewhere(tx.chargerId) && tx.receivedAt.getTime() > this.clock().getTime() - inHandsMs) continue
      await this.serial(tx.chargerId, async () => {
        const [now] = await this.db.select().from(transactions).where(eq(transactions.id, tx.id))
        if (now.stoppedAt) await this.stopped(now)
        else if ((await this.authorize(now.chargerId, now.connectorId, now.idTag)) === 'Accepted') await this.started(now)
      })
    }
  }

  /** Closes a charger's connection here (it now talks to another process); it may reconnect. */
  async drop(chargerId: string): Promise<void> {
    await this.clients.get(chargerId)?.close({ code: 1012, reason: 'Connect again' })
  }

  /** Closes every charger connection here; each may reconnect, to this process or another. */
  async dropAll(): Promise<void> {
    await Promise.all([...this.clients.keys()].map((id) => this.drop(id)))
  }

  /** Closes every charger connection and the RPC server, after the messages in hand are handled. */
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close({ code: 1001, reason: 'Server shutting down' })))
    await this.server.close({ code: 1001 })
    await this.chains.settled()
  }

  private async command(chargerId: string, action: string, params: Params): Promise<Params> {
    const client = this.clients.get(chargerId)
    if (!client) throw new ChargerOfflineError(chargerId)
    try {
      return (await client.call(action, params, { callTimeoutMs: this.commandTimeoutMs })) as Params
    } catch (error) {
      throw new Error(`${action} to charger ${chargerId} failed: ${(error as Error).message}`, { cause: error })
    }
  }

  private async authenticate(chargerId: string, password: Buffer | undefined): Promise<boolean> {
    if (!password || password.length === 0) return false
    const [row] = await this.db
      .select({ passwordHash: chargers.passwordHash })
      .from(chargers)
      .where(and(eq(chargers.id, chargerId), eq(chargers.gateway, 'ocpp')))
    if (!row?.passwordHash) return false
    // base64 keeps binary passwords (allowed by OCPP) distinct; utf8 decoding would not.
    const presented = password.toString('base64')
    const known = this.verified.get(chargerId)
    const passwordHash = row.passwordHash
    if (known && known.passwordHash === passwordHash && tokenMatches(presented, known.passwordDigest)) return true
    if (!(await verifyPassword(password, passwordHash))) return false
    this.verified.set(chargerId, { passwordHash, passwordDigest: hashToken(presented) })
    return true
  }

  private serial<T>(chargerId: string, work: () => Promise<T>): Promise<T> {
    return this.chains.run(chargerId, work)
  }

  /** A charger's message into its chain; past the bound, a MeterValues is refused (the charger sends it again later). */
  private async enqueue(chargerId: string, action: string, work: () => Promise<Params>): Promise<Params> {
    const queued = this.queued.get(chargerId) ?? 0
    if (action === 'MeterValues' && queued >= maxQueuedPerCharger) {
      throw createRPCError('GenericError', 'Too many messages waiting: send one at a time')
    }
    this.queued.set(chargerId, queued + 1)
    try {
      return await this.serial(chargerId, work)
    } finally {
      const left = (this.queued.get(chargerId) ?? 1) - 1
      if (left > 0) this.queued.set(chargerId, left)
      else this.queued.delete(chargerId)
    }
  }

  /** Listener failures are logged, never passed on: the charger still gets its answer. */
  private async tell(event: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call()
    } catch (error) {
      this.log.error({ err: error, event }, 'charger listener failed')
    }
  }

  private onClient(client: RPCServerClient): void {
    const chargerId = client.identity!
    const previous = this.clients.get(chargerId)
    this.clients.set(chargerId, client)
    for (const id of this.runningOf.get(chargerId) ?? []) this.running.delete(id)
    this.runningOf.delete(chargerId)
    if (previous) {
      this.log.info({ chargerId }, 'charger reconnected: closing its previous connection')
      previous.close({ code: 1001, reason: 'Replaced by a new connection' }).catch(() => {})
    }

    client.on('strictValidationFailure', (e: { method: string; outbound: boolean; isCall: boolean; error: Error }) =>
      this.log.warn({ chargerId, method: e.method, outbound: e.outbound, isCall: e.isCall, err: e.error }, 'OCPP schema validation failed'),
    )
    client.on('badMessage', (e: { error: Error }) => this.log.warn({ chargerId, err: e.error }, 'malformed OCPP frame'))
    client.once('close', () => {
      if (this.clients.get(chargerId) !== client) return
      this.clients.delete(chargerId)
      this.serial(chargerId, () => this.connectionChanged(chargerId, false)).catch((error) =>
        this.log.error({ err: error, chargerId }, 'recording charger disconnect failed'),
      )
    })
    this.serial(chargerId, () => this.connectionChanged(chargerId, true)).catch((error) =>
      this.log.error({ err: error, chargerId }, 'recording charger connect failed'),
    )

    for (const [action, handler] of Object.entries(this.handlers)) {
      client.handle(action, ({ params }: IHandlersOption) => this.enqueue(chargerId, action, () => this.run(action, handler, client, params ?? {})))
    }
    client.handle(({ method }: IHandlersOption) => {
      throw createRPCError('NotImplemented', `${method} is not supported`)
    })
  }

  private async run(action: string, handler: Handler, client: RPCServerClient, params: Params): Promise<Params> {
    try {
      return await handler(client, params)
    } catch (error) {
      this.log.error({ err: error, chargerId: client.identity, action }, 'handling charger message failed')
      // The charger gets a CALLERROR and, for transaction messages, retries later.
      throw createRPCError('InternalError', 'The central system could not process the message')
    }
  }

  private async connectionChanged(chargerId: string, online: boolean): Promise<void> {
    if (online) await this.presence?.connected(chargerId)
    else if (this.presence && !(await this.presence.disconnected(chargerId))) {
      this.log.info({ chargerId }, 'charger moved to another process')
      return
    }
    const [before] = await this.db.select({ lastSeenAt: chargers.lastSeenAt }).from(chargers).where(eq(chargers.id, chargerId))
    await this.db
      .update(chargers)
      .set(online ? { online, lastSeenAt: this.clock() } : { online })
      .where(eq(chargers.id, chargerId))
    this.log.info({ chargerId, online }, online ? 'charger connected' : 'charger disconnected')
    const lastSeenAt = before?.lastSeenAt ?? null
    await this.tell('chargerConnection', () => this.listener.chargerConnection({ chargerId, online, lastSeenAt }))
  }

  private readonly handlers: Record<string, Handler> = {
    BootNotification: async (client, p) => {
      const now = this.clock()
      await this.db
        .update(chargers)
        .set({
          vendor: p.chargePointVendor,
          model: p.chargePointModel,
          serialNumber: p.chargePointSerialNumber ?? p.chargeBoxSerialNumber ?? null,
          firmwareVersion: p.firmwareVersion ?? null,
          bootedAt: now,
          lastSeenAt: now,
        })
        .where(eq(chargers.id, client.identity!))
      // After the reply has gone out: a charger may ignore calls before its boot is accepted.
      setImmediate(() => this.configureMeterInterval(client))
      return { status: 'Accepted', interval: heartbeatIntervalSeconds, currentTime: now.toISOString() }
    },

    Heartbeat: async (client) => {
      const now = this.clock()
      await this.db.update(chargers).set({ lastSeenAt: now }).where(eq(chargers.id, client.identity!))
      return { currentTime: now.toISOString() }
    },

    StatusNotification: async (client, p) => {
      const chargerId = client.identity!
      const status = p.status as ConnectorStatus
      const errorCode = p.errorCode === 'NoError' ? null : (p.errorCode as string)
      // Our clock: the timestamp is optional in 1.6 and a charger's clock may be far off.
      const at = this.clock()
      if (p.connectorId === 0) {
        this.log.info({ chargerId, status, errorCode }, 'charger status')
        return {}
      }
      const updated = await this.db
        .update(connectors)
        .set({ status, errorCode, statusAt: at })
        .where(and(eq(connectors.chargerId, chargerId), eq(connectors.connectorId, p.connectorId)))
        .returning({ connectorId: connectors.connectorId })
      await this.db.update(chargers).set({ lastSeenAt: this.clock() }).where(eq(chargers.id, chargerId))
      if (updated.length === 0) {
        this.log.warn({ chargerId, connectorId: p.connectorId }, 'status for an unknown connector')
        return {}
      }
      await this.tell('connectorStatus', () =>
        this.listener.connectorStatus({ chargerId, connectorId: p.connectorId, status, errorCode }),
      )
      return {}
    },

    Authorize: async (client, p) => {
      const status = await this.authorize(client.identity!, null, p.idTag)
      return { idTagInfo: { status } }
    },

    StartTransaction: async (client, p) => {
      const chargerId = client.identity!
      const startedAt = new Date(p.timestamp)
      // A resend after a lost answer, possibly restamped: same connector, idTag and meter start.
      const [seen] = await this.db
        .select()
        .from(transactions)
        .where(
          and(
            eq(transactions.chargerId, chargerId),
            eq(transactions.connectorId, p.connectorId),
            eq(transactions.idTag, p.idTag),
            eq(transactions.meterStartWh, p.meterStart),
            // a stopped transaction that delivered energy cannot share its start reading with a new one
            or(isNull(transactions.stoppedAt), ne(transactions.meterStopWh, p.meterStart)),
          ),
        )
        .orderBy(desc(transactions.id))
        .limit(1)
      let status = await this.authorize(chargerId, p.connectorId, p.idTag)
      // Recorded even when refused: the charger needs a transactionId to stop with.
      const row =
        seen ??
        (
          await this.db
            .insert(transactions)
            .values({ chargerId, connectorId: p.connectorId, idTag: p.idTag, meterStartWh: p.meterStart, startedAt, receivedAt: this.clock() })
            .returning()
        )[0]
      if (seen) this.log.info({ chargerId, transactionId: seen.id }, 'StartTransaction delivered again')
      // Told again on a resend: the first delivery may have been cut short by a crash.
      if (status === 'Accepted' && !row.stoppedAt && (await this.started(row)) === null) status = 'Invalid'
      if (status !== 'Accepted') this.log.info({ chargerId, transactionId: row.id, status }, 'StartTransaction refused')
      return { transactionId: row.id, idTagInfo: { status } }
    },

    MeterValues: async (client, p) => {
      const chargerId = client.identity!
      if (p.transactionId === undefined) return {}
      const samples = (p.meterValue as MeterValue[]).map(parseMeterValue).filter(hasReading)
      if (samples.length === 0) return {}
      const tx = await this.runningTransaction(p.transactionId)
      // Another charger's transaction id matches nothing.
      if (!tx || tx.chargerId !== chargerId) {
        this.log.warn({ chargerId, transactionId: p.transactionId }, 'MeterValues for a transaction this charger does not have')
        return {}
      }
      // Answered once the session's readings are stored. The adapter keeps no copy: a transaction's
      // energy is its StopTransaction's, and what the readings show is the session's.
      await this.readings(tx, samples)
      return {}
    },

    StopTransaction: async (client, p) => {
      const chargerId = client.identity!
      const reply = p.idTag ? { idTagInfo: { status: 'Accepted' } } : {}
      const [row] = await this.db
        .update(transactions)
        .set({
          meterStopWh: p.meterStop,
          stoppedAt: new Date(p.timestamp),
          stopReason: p.reason ?? 'Local',
          stopReceivedAt: this.clock(),
        })
        .where(and(eq(transactions.id, p.transactionId), eq(transactions.chargerId, chargerId), isNull(transactions.stoppedAt)))
        .returning()
      this.running.delete(p.transactionId)
      if (!row) {
        const [stopped] = await this.db
          .select()
          .from(transactions)
          .where(and(eq(transactions.id, p.transactionId), eq(transactions.chargerId, chargerId)))
        this.log.info({ chargerId, transactionId: p.transactionId }, 'StopTransaction for a stopped or unknown transaction')
        // Told again (idempotent): the first delivery may have been cut short by a crash.
        if (stopped) await this.stopped(stopped)
        return reply
      }
      const samples = (boundedTransactionData(p.transactionData as MeterValue[] | undefined) ?? []).map(parseMeterValue).filter(hasReading)
      await this.stopped(row, samples)
      return reply
    },

    DataTransfer: async (client, p) => {
      this.log.info({ chargerId: client.identity, vendorId: p.vendorId, messageId: p.messageId }, 'DataTransfer ignored')
      return { status: 'UnknownVendorId' }
    },

    FirmwareStatusNotification: async (client, p) => {
      this.log.info({ chargerId: client.identity, status: p.status }, 'firmware status')
      return {}
    },

    DiagnosticsStatusNotification: async (client, p) => {
      this.log.info({ chargerId: client.identity, status: p.status }, 'diagnostics status')
      return {}
    },
  }

  private async authorize(chargerId: string, connectorId: number | null, idTag: string): Promise<IdTagStatus> {
    try {
      return idTagStatus[await this.listener.authorize({ chargerId, connectorId, token: idTag })]
    } catch (error) {
      this.log.error({ err: error, chargerId, idTag }, 'authorize failed: refusing the idTag')
      return 'Invalid'
    }
  }

  /**
   * Tells the session side charging began and binds the transaction to the session it names.
   * Null when the session side refuses it; undefined when it could not be told (told again later).
   */
  private async started(tx: TransactionRow): Promise<string | null | undefined> {
    let sessionId: string | null
    try {
      sessionId = await this.listener.chargingStarted({
        chargerId: tx.chargerId,
        connectorId: tx.connectorId,
        token: tx.idTag,
        sessionId: tx.sessionId,
        startedAt: tx.startedAt,
        receivedAt: tx.receivedAt,
      })
    } catch (error) {
      this.log.error({ err: error, transactionId: tx.id }, 'charging start not taken: told again on recovery')
      return undefined
    }
    if (sessionId && sessionId !== tx.sessionId) {
      await this.db.update(transactions).set({ sessionId }).where(eq(transactions.id, tx.id))
      tx.sessionId = sessionId
      this.running.delete(tx.id)
    }
    return sessionId
  }

  /**
   * Readings as energy delivered in the session so far. Told all at once and in order: the session
   * side takes them in the order they arrive and stores them together.
   */
  private async readings(tx: TransactionRow, samples: MeterSample[]): Promise<void> {
    if (!tx.sessionId) return
    const sessionId = tx.sessionId
    await Promise.all(
      samples.map((sample) => {
        const energyWh = sample.energyWh === null ? null : Math.max(0, sample.energyWh - tx.meterStartWh)
        return this.tell('meterReading', () => this.listener.meterReading({ sessionId, at: sample.at, energyWh, powerW: sample.powerW, socPercent: sample.socPercent }))
      }),
    )
  }

  /** Tells the session side charging ended (with the stop's own readings first); remembered once taken. */
  private async stopped(tx: TransactionRow, samples: MeterSample[] = []): Promise<void> {
    if (!tx.sessionId && (await this.authorize(tx.chargerId, tx.connectorId, tx.idTag)) === 'Accepted') await this.started(tx)
    if (!tx.sessionId) {
      await this.db.update(transactions).set({ stopTold: true }).where(eq(transactions.id, tx.id))
      return
    }
    await this.readings(tx, samples)
    try {
      await this.listener.chargingStopped({
        sessionId: tx.sessionId,
        chargerId: tx.chargerId,
        connectorId: tx.connectorId,
        energyWh: Math.max(0, (tx.meterStopWh ?? tx.meterStartWh) - tx.meterStartWh),
        stoppedAt: tx.stoppedAt,
        receivedAt: tx.stopReceivedAt ?? this.clock(),
        cause: stopCauses[tx.stopReason ?? 'Local'] ?? 'charger',
      })
      await this.db.update(transactions).set({ stopTold: true }).where(eq(transactions.id, tx.id))
    } catch (error) {
      this.log.error({ err: error, transactionId: tx.id }, 'charging stop not taken: told again on recovery')
    }
  }

  /** MeterValues is the hot path: a running transaction is read once and kept until it is bound or stopped. */
  private runningTransaction(id: number): Promise<TransactionRow | null> {
    const known = this.running.get(id)
    if (known) return known
    const read = this.db
      .select()
      .from(transactions)
      .where(eq(transactions.id, id))
      .then(([row]) => {
        // Only running transactions are kept: their stop drops them.
        if (!row || row.stoppedAt) this.running.delete(id)
        else {
          const ids = this.runningOf.get(row.chargerId) ?? new Set<number>()
          this.runningOf.set(row.chargerId, ids.add(id))
        }
        return row ?? null
      })
    this.running.set(id, read)
    read.catch(() => this.running.delete(id))
    return read
  }

  private async configureMeterInterval(client: RPCServerClient): Promise<void> {
    try {
      const reply = (await client.call('ChangeConfiguration', {
        key: 'MeterValueSampleInterval',
        value: String(this.meterIntervalSeconds),
      })) as Params
      this.log.debug({ chargerId: client.identity, status: reply.status }, 'MeterValueSampleInterval configured')
    } catch (error) {
      this.log.warn({ err: error, chargerId: client.identity }, 'could not configure MeterValueSampleInterval')
    }
  }
}
