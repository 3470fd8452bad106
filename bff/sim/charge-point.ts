/**
 * A simulated OCPP 1.6J charge point (ocpp-rpc RPCClient) that behaves like a real one: it accepts
 * remote starts before a car is plugged in and waits for it, meters energy, stops on remote stop,
 * local stop or unplug, and keeps charging through a lost connection, queueing its transaction
 * messages and delivering them, with their original timestamps, once it is back.
 */
import { EventEmitter } from 'node:events'
import { RPCClient, createRPCError } from 'ocpp-rpc'
import type { IHandlersOption } from 'ocpp-rpc'
import pino from 'pino'
import type { ConnectorStatus } from '../store/schema'
import { chargingPowerW, socAfter } from './power'

export interface SimChargePointOptions {
  /** e.g. ws://127.0.0.1:8080/ocpp */
  endpoint: string
  id: string
  password: string
  connectors: number
  maxPowerW: number
  dc?: boolean
  /** Default: follows ChangeConfiguration MeterValueSampleInterval (seconds). */
  meterIntervalMs?: number
  /** After a RemoteStart with no car plugged: plug one in after this delay; null waits for plugIn(). */
  autoPlugDelayMs?: number | null
  /** After charging ends with the car still plugged in: unplug it after this delay; null waits for unplug(). */
  autoUnplugDelayMs?: number | null
  /** How long a RemoteStart waits for a car before giving up. */
  connectionTimeoutMs?: number
  /** Energy/time acceleration factor for benchmarks and demos. */
  timeScale?: number
  logger?: pino.Logger
}

type Params = Record<string, any>

interface Transaction {
  /** Null until the central system has answered StartTransaction (possibly much later, after being offline). */
  transactionId: number | null
  idTag: string
  meterStart: number
  startedAt: Date
}

interface Connector {
  id: number
  status: ConnectorStatus
  plugged: boolean
  /** Energy register in Wh, fractions kept so that short ticks add up. */
  energyWh: number
  powerW: number
  /** State of charge the simulated DC car arrived with. */
  socStart: number
  tx: Transaction | null
  /** A remote start accepted before a car was plugged in. */
  waiting: { idTag: string; timers: NodeJS.Timeout[] } | null
  meterTimer: NodeJS.Timeout | null
}

interface Outgoing {
  action: string
  /** Built when sent: a queued message learns its transactionId only then. Null: nothing to send any more. */
  params: () => Params | null
  /** Transaction messages are queued while offline; others are dropped. */
  transactional: boolean
  onReply?: (reply: Params) => void
}

const energyRegister = 'Energy.Active.Import.Register'
const defaultMeterIntervalSeconds = 60
const defaultHeartbeatSeconds = 300

export class SimChargePoint extends EventEmitter {
  readonly id: string
  private readonly opts: SimChargePointOptions
  private readonly log: pino.Logger
  private readonly connectors = new Map<number, Connector>()
  private readonly outbox: Outgoing[] = []
  private readonly config = new Map<string, string>([
    ['MeterValueSampleInterval', String(defaultMeterIntervalSeconds)],
    ['HeartbeatInterval', String(defaultHeartbeatSeconds)],
    ['ConnectionTimeOut', '60'],
    ['MeterValuesSampledData', `${energyRegister},Power.Active.Import`],
    ['NumberOfConnectors', ''],
  ])
  private rpc: RPCClient | null = null
  private online = false
  /** True while going offline or closing on purpose: a drop we caused is not reported as lost. */
  private leaving = false
  private pumping: Promise<void> | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private connectionTimeoutMs: number

  constructor(opts: SimChargePointOptions) {
    super()
    this.opts = opts
    this.id = opts.id
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ sim: opts.id })
    this.connectionTimeoutMs = opts.connectionTimeoutMs ?? 60_000
    this.config.set('ConnectionTimeOut', String(Math.round(this.connectionTimeoutMs / 1000)))
    this.config.set('NumberOfConnectors', String(opts.connectors))
    for (let id = 1; id <= opts.connectors; id++) {
      this.connectors.set(id, {
        id,
        status: 'Available',
        plugged: false,
        energyWh: Math.round(100_000 + Math.random() * 4_900_000), // a meter that has seen 100–5000 kWh
        powerW: 0,
        socStart: 30,
        tx: null,
        waiting: null,
        meterTimer: null,
      })
    }
  }

  /** Opens the WebSocket, boots, and reports every connector (and the charger itself) Available. */
  async connect(): Promise<void> {
    await this.open()
    const boot = (await this.rpc!.call('BootNotification', this.bootParams())) as Params
    if (boot.status !== 'Accepted') throw new Error(`Charger ${this.id}: BootNotification ${boot.status}`)
    this.startHeartbeat(boot.interval)
    this.reportAllStatuses()
    await this.idle()
  }

  async close(): Promise<void> {
    this.leaving = true
    this.online = false
    if (this.heartbeat) clearInterval(this.heartbeat)
    for (const c of this.connectors.values()) {
      this.stopMetering(c)
      this.stopWaiting(c)
    }
    await this.rpc?.close({ code: 1000, reason: 'Charge point shutting down' })
  }

  /** Drops the connection but keeps charging; transaction messages wait in a queue. */
  async goOffline(): Promise<void> {
    this.leaving = true
    this.online = false
    await this.rpc?.close({ force: true })
  }

  /** Comes back online: delivers the queued transaction messages in order, then reports every connector. */
  async reconnect(): Promise<void> {
    await this.open()
    this.reportAllStatuses()
    await this.idle()
  }

  isConnected(): boolean {
    return this.online
  }

  status(connectorId: number): ConnectorStatus {
    return this.connector(connectorId).status
  }

  transactionId(connectorId: number): number | null {
    return this.connector(connectorId).tx?.transactionId ?? null
  }

  meterWh(connectorId: number): number {
    return Math.round(this.connector(connectorId).energyWh)
  }

  configuration(key: string): string | undefined {
    return this.config.get(key)
  }

  /** Messages not yet delivered (queued while offline). */
  queuedCount(): number {
    return this.outbox.length
  }

  /** A car is plugged in: Preparing, or the transaction starts if a remote start waits for it. */
  async plugIn(connectorId: number): Promise<void> {
    const c = this.connector(connectorId)
    if (!c.plugged) {
      c.plugged = true
      if (c.waiting) this.beginTransaction(c, c.waiting.idTag)
      else if (c.status === 'Available') this.setStatus(c, 'Preparing')
    }
    await this.idle()
  }

  /** The car leaves: a running transaction stops (EVDisconnected) and the connector is Available again. */
  async unplug(connectorId: number): Promise<void> {
    const c = this.connector(connectorId)
    c.plugged = false
    const tx = c.tx
    if (tx) {
      this.stopMetering(c)
      c.tx = null
      this.sendStopTransaction(c, tx, 'EVDisconnected')
    }
    if (c.status !== 'Available' && !c.waiting) this.setStatus(c, 'Available')
    await this.idle()
  }

  /** Someone stops at the charger itself (button, card); the car stays plugged in. */
  async stopLocally(connectorId: number, reason = 'Local'): Promise<void> {
    this.finishTransaction(this.connector(connectorId), reason)
    await this.idle()
  }

  /**
   * A driver presents an RFID tag at the charger, as on a real one: Authorize, and when accepted the
   * transaction starts (the car is plugged in). Returns the central system's answer to Authorize.
   */
  async startLocally(connectorId: number, idTag: string): Promise<string> {
    const c = this.connector(connectorId)
    const reply = (await this.rpc!.call('Authorize', { idTag })) as Params
    const status = String(reply.idTagInfo?.status)
    if (status === 'Accepted' && !c.tx) {
      c.plugged = true
      this.beginTransaction(c, idTag)
    }
    await this.idle()
    return status
  }

  /** Resolves when every message has been delivered, or when the charger is offline (the rest is queued). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping
  }

  private connector(connectorId: number): Connector {
    const c = this.connectors.get(connectorId)
    if (!c) throw new Error(`Charger ${this.id} has no connector ${connectorId}`)
    return c
  }

  private async open(): Promise<void> {
    const rpc = new RPCClient({
      identity: this.id,
      endpoint: this.opts.endpoint,
      password: this.opts.password,
      protocols: ['ocpp1.6'],
      strictMode: true,
      reconnect: false,
      callTimeoutMs: 30_000,
    } as ConstructorParameters<typeof RPCClient>[0])
    this.registerHandlers(rpc)
    rpc.on('strictValidationFailure', (e: { method: string; error: Error }) =>
      this.log.warn({ method: e.method, err: e.error }, 'OCPP schema validation failed'),
    )
    rpc.on('close', () => {
      if (this.rpc !== rpc) return
      const lost = this.online && !this.leaving
      this.online = false
      if (lost) {
        this.log.warn('connection lost')
        this.emit('disconnected')
      }
    })
    this.rpc = rpc
    await rpc.connect()
    this.leaving = false
    this.online = true
    void this.pump()
  }

  private registerHandlers(rpc: RPCClient): void {
    const on = (action: string, handler: (params: Params) => Params) =>
      rpc.handle(action, async ({ params }: IHandlersOption) => handler(params ?? {}))

    on('RemoteStartTransaction', (p) => {
      const c = p.connectorId === undefined ? [...this.connectors.values()].find(isFree) : this.connectors.get(p.connectorId)
      if (!c || !isFree(c)) return { status: 'Rejected' }
      c.waiting = { idTag: p.idTag, timers: [] }
      setImmediate(() => this.remoteStartAccepted(c)) // after our answer has gone out
      return { status: 'Accepted' }
    })

    on('RemoteStopTransaction', (p) => {
      const c = [...this.connectors.values()].find((x) => x.tx && x.tx.transactionId === p.transactionId)
      if (!c) return { status: 'Rejected' }
      setImmediate(() => this.finishTransaction(c, 'Remote'))
      return { status: 'Accepted' }
    })

    on('ChangeConfiguration', (p) => {
      const status = this.changeConfiguration(p.key, p.value)
      this.emit('configuration', { key: p.key, value: p.value, status })
      return { status }
    })

    on('GetConfiguration', (p) => {
      const keys: string[] = p.key ?? [...this.config.keys()]
      return {
        configurationKey: keys.filter((k) => this.config.has(k)).map((key) => ({ key, readonly: false, value: this.config.get(key) })),
        unknownKey: keys.filter((k) => !this.config.has(k)),
      }
    })

    on('Reset', (p) => {
      setImmediate(() => this.reset(p.type === 'Hard' ? 'HardReset' : 'SoftReset'))
      return { status: 'Accepted' }
    })

    on('TriggerMessage', (p) => {
      const trigger = this.trigger(p.requestedMessage, p.connectorId)
      if (!trigger) return { status: 'NotImplemented' }
      setImmediate(trigger)
      return { status: 'Accepted' }
    })

    on('UnlockConnector', () => ({ status: 'NotSupported' }))

    rpc.handle(({ method }: IHandlersOption) => {
      throw createRPCError('NotImplemented', `${method} is not supported by the simulator`)
    })
  }

  private changeConfiguration(key: string, value: string): 'Accepted' | 'Rejected' | 'NotSupported' {
    if (!this.config.has(key)) return 'NotSupported'
    const seconds = Number(value)
    const numeric = ['MeterValueSampleInterval', 'HeartbeatInterval', 'ConnectionTimeOut']
    if (numeric.includes(key) && (!Number.isInteger(seconds) || seconds <= 0)) return 'Rejected'
    this.config.set(key, value)
    if (key === 'MeterValueSampleInterval' && this.opts.meterIntervalMs === undefined) {
      for (const c of this.connectors.values()) if (c.meterTimer) this.startMetering(c)
    }
    if (key === 'HeartbeatInterval') this.startHeartbeat(seconds)
    if (key === 'ConnectionTimeOut') this.connectionTimeoutMs = seconds * 1000
    return 'Accepted'
  }

  private trigger(message: string, connectorId: number | undefined): (() => void) | null {
    const selected = () => [...this.connectors.values()].filter((c) => connectorId === undefined || c.id === connectorId)
    switch (message) {
      case 'Heartbeat':
        return () => this.send({ action: 'Heartbeat', params: () => ({}), transactional: false })
      case 'StatusNotification':
        return () => selected().forEach((c) => this.sendStatus(c))
      case 'MeterValues':
        return () => selected().forEach((c) => this.sendMeterValues(c, 'Trigger'))
      case 'BootNotification':
        return () => this.send({ action: 'BootNotification', params: () => this.bootParams(), transactional: false })
      default:
        return null
    }
  }

  private bootParams(): Params {
    return {
      chargePointVendor: 'Laddpunkt',
      chargePointModel: this.opts.dc ? 'SimDC' : 'SimAC',
      chargePointSerialNumber: `SIM-${this.id}`,
      firmwareVersion: '1.0.0',
    }
  }

  private reset(reason: 'HardReset' | 'SoftReset'): void {
    for (const c of this.connectors.values()) {
      this.stopWaiting(c)
      this.finishTransaction(c, reason)
    }
    this.send({ action: 'BootNotification', params: () => this.bootParams(), transactional: false })
    this.reportAllStatuses()
  }

  private remoteStartAccepted(c: Connector): void {
    const waiting = c.waiting
    if (!waiting) return
    if (c.plugged) return this.beginTransaction(c, waiting.idTag)
    this.setStatus(c, 'Preparing')
    waiting.timers.push(
      setTimeout(() => {
        this.log.info({ connectorId: c.id }, 'no car plugged in: remote start given up')
        this.stopWaiting(c)
        if (!c.plugged) this.setStatus(c, 'Available')
      }, this.connectionTimeoutMs),
    )
    const delay = this.opts.autoPlugDelayMs
    if (delay !== null && delay !== undefined) {
      waiting.timers.push(setTimeout(() => void this.plugIn(c.id), delay))
    }
  }

  private stopWaiting(c: Connector): void {
    c.waiting?.timers.forEach(clearTimeout)
    c.waiting = null
  }

  private beginTransaction(c: Connector, idTag: string): void {
    this.stopWaiting(c)
    const tx: Transaction = { transactionId: null, idTag, meterStart: this.meterWh(c.id), startedAt: new Date() }
    c.tx = tx
    c.socStart = 20 + Math.random() * 20 // a new car arrives with 20–40 %
    this.send({
      action: 'StartTransaction',
      transactional: true,
      params: () => ({ connectorId: c.id, idTag, meterStart: tx.meterStart, timestamp: tx.startedAt.toISOString() }),
      onReply: (reply) => {
        tx.transactionId = reply.transactionId
        this.emit('transactionStarted', { connectorId: c.id, transactionId: tx.transactionId, idTag })
        if (reply.idTagInfo?.status !== 'Accepted' && c.tx === tx) this.finishTransaction(c, 'DeAuthorized')
      },
    })
    this.setStatus(c, 'Charging')
    this.startMetering(c)
  }

  /** Stop with the car still plugged in: Finishing, then StopTransaction. */
  private finishTransaction(c: Connector, reason: string): void {
    const tx = c.tx
    if (!tx) return
    this.stopMetering(c)
    c.tx = null
    this.setStatus(c, c.plugged ? 'Finishing' : 'Available')
    this.sendStopTransaction(c, tx, reason)
    const delay = this.opts.autoUnplugDelayMs
    if (c.plugged && delay !== null && delay !== undefined) {
      // The driver walks back to the car: it leaves a little after charging ended.
      setTimeout(() => {
        if (c.plugged && !c.tx) void this.unplug(c.id)
      }, delay).unref()
    }
  }

  private sendStopTransaction(c: Connector, tx: Transaction, reason: string): void {
    const meterStop = this.meterWh(c.id)
    const stoppedAt = new Date()
    const reading = (value: number, context: string, at: Date) => ({
      timestamp: at.toISOString(),
      sampledValue: [{ value: String(value), context, measurand: energyRegister, unit: 'Wh' }],
    })
    this.send({
      action: 'StopTransaction',
      transactional: true,
      params: () =>
        tx.transactionId === null
          ? null
          : {
              transactionId: tx.transactionId,
              idTag: tx.idTag,
              meterStop,
              timestamp: stoppedAt.toISOString(),
              reason,
              transactionData: [reading(tx.meterStart, 'Transaction.Begin', tx.startedAt), reading(meterStop, 'Transaction.End', stoppedAt)],
            },
      onReply: () => this.emit('transactionStopped', { connectorId: c.id, transactionId: tx.transactionId, meterStop, reason }),
    })
  }

  private meterIntervalMs(): number {
    return this.opts.meterIntervalMs ?? Number(this.config.get('MeterValueSampleInterval')) * 1000
  }

  private startMetering(c: Connector): void {
    this.stopMetering(c)
    const intervalMs = this.meterIntervalMs()
    c.meterTimer = setInterval(() => this.meterTick(c, intervalMs), intervalMs)
  }

  private stopMetering(c: Connector): void {
    if (c.meterTimer) clearInterval(c.meterTimer)
    c.meterTimer = null
    c.powerW = 0
  }

  private soc(c: Connector): number {
    return socAfter(c.socStart, c.tx ? c.energyWh - c.tx.meterStart : 0)
  }

  /** One metering interval of charging: energy = power × interval × timeScale. */
  private meterTick(c: Connector, intervalMs: number): void {
    if (!c.tx) return
    const powerW = chargingPowerW({ maxPowerW: this.opts.maxPowerW, dc: !!this.opts.dc, socPercent: this.soc(c), noise: Math.random() })
    c.powerW = powerW
    c.energyWh += (powerW * intervalMs * (this.opts.timeScale ?? 1)) / 3_600_000
    if (powerW === 0 && c.status === 'Charging') this.setStatus(c, 'SuspendedEV') // the car is full
    this.sendMeterValues(c, 'Sample.Periodic')
  }

  private sendMeterValues(c: Connector, context: string): void {
    const tx = c.tx
    const timestamp = new Date().toISOString()
    const sampled = [
      { value: String(this.meterWh(c.id)), context, measurand: energyRegister, unit: 'Wh' },
      { value: String(c.powerW), context, measurand: 'Power.Active.Import', unit: 'W' },
    ]
    if (this.opts.dc && tx) sampled.push({ value: String(Math.floor(this.soc(c))), context, measurand: 'SoC', unit: 'Percent' })
    this.send({
      action: 'MeterValues',
      transactional: tx !== null,
      params: () =>
        tx && tx.transactionId === null
          ? null
          : {
              connectorId: c.id,
              ...(tx ? { transactionId: tx.transactionId } : {}),
              meterValue: [{ timestamp, sampledValue: sampled }],
            },
    })
  }

  private setStatus(c: Connector, status: ConnectorStatus): void {
    c.status = status
    this.emit('status', { connectorId: c.id, status })
    this.sendStatus(c)
  }

  private sendStatus(c: { id: number; status: ConnectorStatus }): void {
    const timestamp = new Date().toISOString()
    const { id, status } = c
    this.send({
      action: 'StatusNotification',
      transactional: false,
      params: () => ({ connectorId: id, errorCode: 'NoError', status, timestamp }),
    })
  }

  private reportAllStatuses(): void {
    this.sendStatus({ id: 0, status: 'Available' })
    for (const c of this.connectors.values()) this.sendStatus(c)
  }

  private startHeartbeat(seconds: number): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = setInterval(
      () => this.send({ action: 'Heartbeat', params: () => ({}), transactional: false }),
      seconds * 1000,
    )
    this.heartbeat.unref()
  }

  /** Every message goes through one ordered outbox, so the central system sees events in the order they happened. */
  private send(message: Outgoing): void {
    if (!this.online && !message.transactional) return
    this.outbox.push(message)
    void this.pump()
  }

  private pump(): Promise<void> {
    this.pumping ??= this.drain().finally(() => {
      this.pumping = null
      if (this.online && this.outbox.length > 0) void this.pump()
    })
    return this.pumping
  }

  private async drain(): Promise<void> {
    while (this.online && this.outbox.length > 0) {
      const message = this.outbox[0]
      const params = message.params()
      if (params === null) {
        this.outbox.shift()
        continue
      }
      try {
        const reply = (await this.rpc!.call(message.action, params)) as Params
        this.outbox.shift()
        message.onReply?.(reply)
      } catch (error) {
        if (!this.online) return // kept at the head of the queue: delivered after reconnect
        this.outbox.shift()
        this.log.warn({ err: error, action: message.action }, 'message refused by the central system: dropped')
      }
    }
  }
}

const isFree = (c: Connector) => !c.tx && !c.waiting && (c.status === 'Available' || c.status === 'Preparing')
