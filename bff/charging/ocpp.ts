/**
 * OCPP 1.6J central system (ocpp-rpc): chargers connect to `/ocpp/{chargePointId}` with HTTP Basic
 * auth, report what they do, and take remote start/stop commands. Every charger message is persisted
 * first, then handed to the ChargerListener, then answered — one message at a time per charger, so
 * the listener sees each charger's events in order.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { and, desc, eq, isNull, ne, or, sql } from 'drizzle-orm'
import { RPCServer, createRPCError } from 'ocpp-rpc'
import type RPCServerClient from 'ocpp-rpc/lib/server-client'
import type { IHandlersOption } from 'ocpp-rpc'
import type pino from 'pino'
import type { Db } from '../store/db'
import { chargers, connectors, meterSamples, transactions, type ConnectorStatus } from '../store/schema'
import { hashToken, tokenMatches, verifyPassword } from '../secrets'
import { boundedOcpp16Validator, boundedTransactionData, maxFrameBytes, offersOcpp16 } from './limits'
import {
  ChargerOfflineError,
  transactionEvent,
  type ChargerGateway,
  type ChargerListener,
  type IdTagStatus,
  type MeterSample,
  type RemoteResult,
  type TransactionEvent,
} from './gateway'
import { hasReading, parseMeterValue, type MeterValue } from './meter'

export interface OcppCentralSystemOptions {
  db: Db
  listener: ChargerListener
  logger: pino.Logger
  /** MeterValueSampleInterval configured on every charger at boot. */
  meterIntervalSeconds: number
  clock?: () => Date
  /** How long a remote command waits for the charger's answer. */
  commandTimeoutMs?: number
}

type Params = Record<string, any>

/** A transactions row as raw SQL returns it (both PGlite and node-postgres); times as epoch milliseconds. */
interface TransactionSqlRow {
  id: number
  charger_id: string
  connector_id: number
  id_tag: string
  meter_start_wh: number | string | bigint
  meter_stop_wh: number | string | bigint | null
  stop_reason: string | null
  started_ms: number
  stopped_ms: number | null
  received_ms: number
  stop_received_ms: number | null
}
type Handler = (client: RPCServerClient, params: Params) => Promise<Params>

const heartbeatIntervalSeconds = 300

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
  private readonly chains = new Map<string, Promise<unknown>>()
  /**
   * Passwords already verified against a given stored hash: a reconnect storm costs one query per
   * charger instead of one slow scrypt each. Keyed by the stored hash, so a new password invalidates it.
   */
  private readonly verified = new Map<string, { passwordHash: string; passwordDigest: string }>()

  constructor(opts: OcppCentralSystemOptions) {
    this.db = opts.db
    this.listener = opts.listener
    this.log = opts.logger.child({ component: 'ocpp' })
    this.meterIntervalSeconds = opts.meterIntervalSeconds
    this.clock = opts.clock ?? (() => new Date())
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 10_000
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

  async remoteStart(chargerId: string, request: { connectorId: number; idTag: string }): Promise<RemoteResult> {
    const reply = await this.command(chargerId, 'RemoteStartTransaction', request)
    return reply.status === 'Accepted' ? 'Accepted' : 'Rejected'
  }

  async remoteStop(chargerId: string, transactionId: number): Promise<RemoteResult> {
    const reply = await this.command(chargerId, 'RemoteStopTransaction', { transactionId })
    return reply.status === 'Accepted' ? 'Accepted' : 'Rejected'
  }

  async askStatus(chargerId: string): Promise<void> {
    await this.command(chargerId, 'TriggerMessage', { requestedMessage: 'StatusNotification' })
  }

  /** Closes every charger connection and the RPC server, after the messages in hand are handled. */
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close({ code: 1001, reason: 'Server shutting down' })))
    await this.server.close({ code: 1001 })
    await Promise.allSettled([...this.chains.values()])
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
      .where(eq(chargers.id, chargerId))
    if (!row) return false
    // base64 keeps binary passwords (allowed by OCPP) distinct; utf8 decoding would not.
    const presented = password.toString('base64')
    const known = this.verified.get(chargerId)
    if (known && known.passwordHash === row.passwordHash && tokenMatches(presented, known.passwordDigest)) return true
    if (!(await verifyPassword(password, row.passwordHash))) return false
    this.verified.set(chargerId, { passwordHash: row.passwordHash, passwordDigest: hashToken(presented) })
    return true
  }

  /** Runs `work` after every earlier message of this charger; its failure does not break the chain. */
  private serial<T>(chargerId: string, work: () => Promise<T>): Promise<T> {
    const result = (this.chains.get(chargerId) ?? Promise.resolve()).then(work)
    const tail = result.catch(() => {})
    this.chains.set(chargerId, tail)
    tail.then(() => {
      if (this.chains.get(chargerId) === tail) this.chains.delete(chargerId)
    })
    return result
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
      client.handle(action, ({ params }: IHandlersOption) => this.serial(chargerId, () => this.run(action, handler, client, params ?? {})))
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
        this.listener.connectorStatus({ chargerId, connectorId: p.connectorId, status, errorCode, at }),
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
      const status = await this.authorize(chargerId, p.connectorId, p.idTag)
      if (seen) {
        this.log.info({ chargerId, transactionId: seen.id }, 'StartTransaction delivered again')
        // Told again: the first delivery may have been cut short by a crash; the listener is idempotent.
        if (status === 'Accepted' && !seen.stoppedAt) await this.tell('transactionStarted', () => this.listener.transactionStarted(transactionEvent(seen)))
        return { transactionId: seen.id, idTagInfo: { status } }
      }
      // Recorded even when refused: the charger needs a transactionId to stop with.
      const [row] = await this.db
        .insert(transactions)
        .values({ chargerId, connectorId: p.connectorId, idTag: p.idTag, meterStartWh: p.meterStart, startedAt, receivedAt: this.clock() })
        .returning()
      if (status === 'Accepted') {
        await this.tell('transactionStarted', () => this.listener.transactionStarted(transactionEvent(row)))
      } else {
        this.log.info({ chargerId, transactionId: row.id, status }, 'StartTransaction refused')
      }
      return { transactionId: row.id, idTagInfo: { status } }
    },

    MeterValues: async (client, p) => {
      const chargerId = client.identity!
      if (p.transactionId === undefined) return {}
      const samples = (p.meterValue as MeterValue[]).map(parseMeterValue).filter(hasReading)
      if (samples.length === 0) return {}
      const tx = await this.recordSamples(chargerId, p.transactionId, samples)
      if (!tx) {
        this.log.warn({ chargerId, transactionId: p.transactionId }, 'MeterValues for a transaction this charger does not have')
        return {}
      }
      for (const sample of samples) {
        await this.tell('meterValues', () => this.listener.meterValues(tx, sample))
      }
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
          lastEnergyWh: p.meterStop,
          stopReceivedAt: this.clock(),
        })
        .where(and(eq(transactions.id, p.transactionId), eq(transactions.chargerId, chargerId), isNull(transactions.stoppedAt)))
        .returning()
      if (!row) {
        const [stopped] = await this.db
          .select()
          .from(transactions)
          .where(and(eq(transactions.id, p.transactionId), eq(transactions.chargerId, chargerId)))
        this.log.info({ chargerId, transactionId: p.transactionId }, 'StopTransaction for a stopped or unknown transaction')
        // Told again (idempotent): the first delivery may have been cut short by a crash.
        if (stopped) await this.tell('transactionStopped', () => this.listener.transactionStopped(transactionEvent(stopped)))
        return reply
      }
      const samples = (boundedTransactionData(p.transactionData as MeterValue[] | undefined) ?? []).map(parseMeterValue).filter(hasReading)
      if (samples.length > 0) await this.insertSamples(row.id, samples)
      await this.tell('transactionStopped', () => this.listener.transactionStopped(transactionEvent(row)))
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
      return await this.listener.authorize({ chargerId, connectorId, idTag })
    } catch (error) {
      this.log.error({ err: error, chargerId, idTag }, 'authorize failed: refusing the idTag')
      return 'Invalid'
    }
  }

  /**
   * Updates the transaction's latest reading and stores the samples in one statement: MeterValues is
   * the hot path (hundreds a second). The update also proves the transaction belongs to this charger;
   * another charger's transaction id matches nothing, so nothing is stored.
   */
  private async recordSamples(chargerId: string, transactionId: number, samples: MeterSample[]): Promise<TransactionEvent | null> {
    const latest = (key: 'energyWh' | 'powerW') => samples.findLast((s) => s[key] !== null)?.[key] ?? null
    const rows = JSON.stringify(
      samples.map((s) => ({ at: s.at.toISOString(), energy_wh: s.energyWh, power_w: s.powerW, soc_percent: s.socPercent })),
    )
    const result = await this.db.execute(sql`
      with tx as (
        update transactions set
          last_energy_wh = coalesce(${latest('energyWh')}::bigint, last_energy_wh),
          last_power_w = coalesce(${latest('powerW')}::integer, last_power_w),
          last_sample_at = ${samples[samples.length - 1].at.toISOString()}::timestamptz
        where id = ${transactionId} and charger_id = ${chargerId}
        returning id, charger_id, connector_id, id_tag, meter_start_wh, started_at, meter_stop_wh, stopped_at, stop_reason, received_at, stop_received_at
      ), stored as (
        insert into meter_samples (transaction_id, at, energy_wh, power_w, soc_percent)
        select tx.id, s.at, s.energy_wh, s.power_w, s.soc_percent
        from tx, jsonb_to_recordset(${rows}::jsonb) as s(at timestamptz, energy_wh bigint, power_w integer, soc_percent integer)
      )
      select id, charger_id, connector_id, id_tag, meter_start_wh, meter_stop_wh, stop_reason,
        (extract(epoch from started_at) * 1000)::float8 as started_ms,
        (extract(epoch from stopped_at) * 1000)::float8 as stopped_ms,
        (extract(epoch from received_at) * 1000)::float8 as received_ms,
        (extract(epoch from stop_received_at) * 1000)::float8 as stop_received_ms
      from tx`)
    const [row] = (result as unknown as { rows: TransactionSqlRow[] }).rows
    if (!row) return null
    return {
      transactionId: row.id,
      chargerId: row.charger_id,
      connectorId: row.connector_id,
      idTag: row.id_tag,
      meterStartWh: Number(row.meter_start_wh),
      startedAt: new Date(row.started_ms),
      meterStopWh: row.meter_stop_wh === null ? null : Number(row.meter_stop_wh),
      stoppedAt: row.stopped_ms === null ? null : new Date(row.stopped_ms),
      stopReason: row.stop_reason,
      receivedAt: new Date(row.received_ms),
      stopReceivedAt: row.stop_received_ms === null ? null : new Date(row.stop_received_ms),
    }
  }

  private async insertSamples(transactionId: number, samples: MeterSample[]): Promise<void> {
    await this.db.insert(meterSamples).values(samples.map((s) => ({ transactionId, ...s })))
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
