/**
 * A charge point for the fault campaign, built on an independent OCPP 1.6J implementation
 * (`@voltbras/ts-ocpp`, its own JSON schemas and RPC framing), not on our simulator nor ocpp-rpc.
 *
 * It behaves like a real one: BootNotification, StatusNotification (with or without timestamps),
 * Authorize, StartTransaction, MeterValues, StopTransaction with transactionData; it answers
 * RemoteStart/RemoteStopTransaction, TriggerMessage and ChangeConfiguration. Transaction messages go
 * through an offline queue, in order, retried after a lost answer or an error and delivered after a
 * reconnect. Its clock and energy register are settable, and every outgoing message passes a fault
 * hook that may lose, duplicate, delay it or lose its answer.
 */
import { createRequire } from 'node:module'
import type WebSocket from 'ws'

// The package is CommonJS with getter exports Node cannot see from ESM: load it the CommonJS way.
const { ChargePoint } = createRequire(import.meta.url)('@voltbras/ts-ocpp') as typeof import('@voltbras/ts-ocpp')
type Library = InstanceType<typeof ChargePoint>

type Payload = Record<string, any>

/** What happens to one outgoing message. */
export interface Fate {
  /** Lost on the way: the central system never sees it (the charger sees no answer). */
  drop?: boolean
  /** Sent twice, as a charger does that resends without waiting. */
  duplicate?: boolean
  /** Held back this long before it goes out. */
  delayMs?: number
  /** The central system handles it, but its answer is lost. */
  loseAnswer?: boolean
}

export interface OutgoingCall {
  action: string
  payload: Payload
  /** 0 for the first try of a queued transaction message, then 1, 2 … */
  attempt: number
}

export interface Transaction {
  connectorId: number
  idTag: string
  meterStartWh: number
  /** Every transactionId the central system answered for it (a restamped resend can get a second). */
  ids: number[]
  /** The id the charger uses: the last answer it got. */
  transactionId: number | null
  idTagStatus: string | null
  startedAt: string
  meterStopWh: number | null
  stoppedAt: string | null
  stopReason: string | null
  /** Real time (not the charger's clock) of the stop and of the car leaving: the idle time that truly passed. */
  stoppedRealMs: number | null
  unpluggedRealMs: number | null
}

interface Connector {
  id: number
  status: string
  /** idTag of an accepted RemoteStart waiting for the car. */
  pending: string | null
  plugged: boolean
  powerW: number
  /** The energy register: Wh at `since`, growing with the car's power while charging. */
  registerWh: number
  since: number
  tx: Transaction | null
  meterTimer: NodeJS.Timeout | null
}

interface Queued {
  action: 'StartTransaction' | 'MeterValues' | 'StopTransaction'
  tx: Transaction
  build(attempt: number): Payload | null
  answered?(answer: Payload): void
}

export interface CampaignChargePointOptions {
  /** ws://host:port/ocpp */
  endpoint: string
  id: string
  password: string
  connectors: number
  /** How long the charger waits for an answer before it counts the message as lost. */
  answerTimeoutMs?: number
  /** Tries per transaction message before the charger gives up on it (OCPP TransactionMessageAttempts). */
  transactionAttempts?: number
  retryIntervalMs?: number
  /** How long an accepted remote start waits for the car (OCPP ConnectionTimeOut). */
  connectionTimeoutMs?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class CampaignChargePoint {
  readonly id: string
  /** Charger clock = real time + offset; or, after a reset, a fixed date running on from `clockSetAt`. */
  clockOffsetMs = 0
  statusTimestamps = true
  /** Sends its connectors' status after reconnecting; many chargers only do so when asked (TriggerMessage). */
  statusOnReconnect = true
  /** Sends Authorize for remote starts first (AuthorizeRemoteTxRequests = true). */
  authorizeRemoteStarts = false
  /** A resend of a StartTransaction whose answer was lost carries a new timestamp. */
  restampStartResend = false
  /** Meter readings in kWh with decimals instead of Wh. */
  meterInKwh = false
  /** Time-lapse for the car: energy flows this many times faster than the power says (and the power reported is the true rate). */
  energySpeed = 1
  /** Refuses RemoteStartTransaction. */
  rejectRemoteStart = false
  /** Fault hook for every outgoing message. */
  fault: ((call: OutgoingCall) => Fate | undefined) | null = null
  /** Fault hook for incoming commands: true loses the command (never answered, never carried out). */
  loseIncoming: ((action: string, payload: Payload) => boolean) | null = null
  /** Runs before a command is answered (e.g. the campaign kills the BFF while RemoteStart is in flight). */
  beforeAnswer: ((action: string, payload: Payload) => Promise<void>) | null = null
  /** Every message in and out, for the campaign's per-session trace. */
  trace: ((line: string) => void) | null = null
  /** All transactions this charger ran. */
  readonly transactions: Transaction[] = []

  private readonly o: Required<CampaignChargePointOptions>
  private readonly connectors: Connector[]
  private lib: Library | null = null
  private socket: WebSocket | null = null
  private online = false
  private offlineOnPurpose = false
  private closed = false
  private booted = false
  private meterIntervalMs = 1000
  private readonly queue: Queued[] = []
  private draining = false
  private onlineWaiters: (() => void)[] = []

  constructor(options: CampaignChargePointOptions) {
    this.o = { answerTimeoutMs: 3000, transactionAttempts: 6, retryIntervalMs: 1000, connectionTimeoutMs: 20_000, ...options }
    this.id = options.id
    this.connectors = Array.from({ length: options.connectors }, (_, i) => ({
      id: i + 1,
      status: 'Available',
      pending: null,
      plugged: false,
      powerW: 0,
      registerWh: 1_000_000 + i * 10_000,
      since: Date.now(),
      tx: null,
      meterTimer: null,
    }))
  }

  // ——— clock and register ———

  now(): Date {
    return new Date(Date.now() + this.clockOffsetMs)
  }

  /** As after a power loss: the clock restarts at `date` and runs on from there. */
  setClock(date: Date): void {
    this.clockOffsetMs = date.getTime() - Date.now()
  }

  setRegister(connectorId: number, wh: number): void {
    const c = this.connector(connectorId)
    c.registerWh = wh
    c.since = Date.now()
  }

  /** The register now: what it was plus what the car drew since. */
  registerWh(connectorId: number): number {
    const c = this.connector(connectorId)
    const drawing = c.tx && !c.tx.stoppedAt ? c.powerW * this.energySpeed : 0
    return Math.floor(c.registerWh + (drawing * (Date.now() - c.since)) / 3_600_000)
  }

  status(connectorId: number): string {
    return this.connector(connectorId).status
  }

  transaction(connectorId: number): Transaction | null {
    return this.connector(connectorId).tx
  }

  isOnline(): boolean {
    return this.online
  }

  // ——— connection ———

  private connecting: Promise<void> | null = null

  /**
   * Connects and boots; resolves once online and booted, trying again as a charger does while the
   * central system is away or does not accept the boot.
   */
  async connect(timeoutMs = 120_000): Promise<void> {
    this.closed = false
    this.offlineOnPurpose = false
    const deadline = Date.now() + timeoutMs
    for (;;) {
      await this.attempt().catch(() => {})
      if (this.online && this.booted) return
      if (this.closed || this.offlineOnPurpose || Date.now() > deadline) throw new Error(`${this.id}: could not connect`)
      await sleep(300)
    }
  }

  /** One connection attempt at a time; concurrent callers share it. */
  private attempt(): Promise<void> {
    this.connecting ??= this.connectOnce().finally(() => (this.connecting = null))
    return this.connecting
  }

  /** Opens the socket; the first time it boots, after a reconnect it says hello and, if so set, its status. */
  private async connectOnce(): Promise<void> {
    if (this.online) return
    await this.open()
    if (!this.booted) {
      const boot = await this.call('BootNotification', { chargePointVendor: 'CampaignCo', chargePointModel: 'TS-OCPP-1', chargePointSerialNumber: this.id, firmwareVersion: '1.6.3' })
      if (!boot.ok || boot.payload.status !== 'Accepted') {
        this.socket?.terminate() // not accepted, or the answer was lost: reconnect and boot again
        return
      }
      this.booted = true
      await this.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' })
      for (const c of this.connectors) await this.sendStatus(c.id)
    } else {
      // Back: say hello (and, if so set, the connectors' status) without waiting on the answers.
      void this.call('Heartbeat', {})
      if (this.statusOnReconnect) for (const c of this.connectors) void this.sendStatus(c.id)
    }
    void this.drain()
  }

  private open(): Promise<void> {
    const url = new URL(this.o.endpoint)
    url.username = encodeURIComponent(this.id)
    url.password = encodeURIComponent(this.o.password)
    const lib = new ChargePoint(this.id, (request) => this.handle(request as Payload), url.toString().replace(/\/$/, ''))
    const opened = lib.connect()
    // The library keeps its socket to itself and logs its errors to the console: take them over.
    const connection = (lib as unknown as { connection: { socket: WebSocket; requestTimeout?: number; sendOCPPMessage(m: unknown): Promise<void> } }).connection
    connection.requestTimeout = this.o.answerTimeoutMs
    // A send on a socket that just died rejects before the library awaits its answer timer, which
    // then rejects unhandled: let the send fail quietly, the answer timer reports the loss.
    const sendMessage = connection.sendOCPPMessage.bind(connection)
    connection.sendOCPPMessage = (message) => sendMessage(message).catch(() => {})
    const socket = connection.socket
    socket.removeAllListeners('error')
    return new Promise<void>((resolve, reject) => {
      socket.on('error', (error) => reject(error))
      socket.once('unexpected-response', (_req, res) => reject(new Error(`${this.id}: HTTP ${res.statusCode} on connect`)))
      socket.once('close', () => {
        reject(new Error(`${this.id}: closed while connecting`))
        if (this.socket === socket) this.lost()
      })
      void opened.then(() => {
        this.lib = lib
        this.socket = socket
        this.online = true
        this.trace?.('connected')
        for (const wake of this.onlineWaiters.splice(0)) wake()
        resolve()
      })
    })
  }

  /** The connection dropped (the central system went away): a charger reconnects by itself. */
  private lost(): void {
    this.online = false
    this.socket = null
    this.lib = null
    this.trace?.('disconnected')
    const retry = () => {
      if (this.online || this.closed || this.offlineOnPurpose) return
      this.attempt().then(
        () => setTimeout(retry, 300),
        () => setTimeout(retry, 300),
      )
    }
    setTimeout(retry, 300)
  }

  /** The charger loses its network (the socket is cut, no close handshake). */
  goOffline(): void {
    this.offlineOnPurpose = true
    this.online = false
    const socket = this.socket
    this.socket = null
    this.lib = null
    socket?.terminate()
    this.trace?.('offline')
  }

  async goOnline(): Promise<void> {
    await this.connect()
  }

  async close(): Promise<void> {
    this.closed = true
    for (const c of this.connectors) if (c.meterTimer) clearInterval(c.meterTimer)
    this.socket?.terminate()
    this.online = false
    for (const wake of this.onlineWaiters.splice(0)) wake()
  }

  private waitOnline(): Promise<void> {
    if (this.online || this.closed) return Promise.resolve()
    return new Promise((resolve) => this.onlineWaiters.push(resolve))
  }

  // ——— sending ———

  /** One CALL through the fault hook. */
  private async call(action: string, payload: Payload, attempt = 0): Promise<{ ok: true; payload: Payload } | { ok: false; error: string }> {
    const fate = this.fault?.({ action, payload, attempt }) ?? {}
    if (fate.delayMs) await sleep(fate.delayMs)
    const lib = this.lib
    if (!lib || !this.online) return { ok: false, error: 'offline' }
    const mark = [fate.drop && 'LOST', fate.duplicate && 'DUP', fate.delayMs && `+${fate.delayMs}ms`, fate.loseAnswer && 'ANSWER-LOST'].filter(Boolean).join(' ')
    this.trace?.(`→ ${action}${attempt ? ` (try ${attempt + 1})` : ''} ${summary(action, payload)}${mark ? ` [${mark}]` : ''}`)
    if (fate.drop) {
      await sleep(this.o.answerTimeoutMs)
      return { ok: false, error: 'timeout' }
    }
    const send = () => lib.sendRequest({ action: action as never, ocppVersion: 'v1.6-json', payload: payload as never })
    const first = send()
    if (fate.duplicate) void send()
    const answer: { isLeft(): boolean; extract(): unknown } = await first
    if (answer.isLeft()) {
      const error = answer.extract() as Error & { errorCode?: string }
      this.trace?.(`← ${action} error ${error.errorCode ?? error.name}`)
      return { ok: false, error: error.errorCode ?? error.name }
    }
    const result = answer.extract() as Payload
    if (fate.loseAnswer) {
      await sleep(this.o.answerTimeoutMs) // the charger only learns of the loss when its wait runs out
      return { ok: false, error: 'timeout' }
    }
    if (action !== 'MeterValues' && action !== 'StatusNotification') this.trace?.(`← ${action} ${JSON.stringify(result).slice(0, 120)}`)
    return { ok: true, payload: result }
  }

  /** Any message, outside the transaction queue (e.g. a stale MeterValues arriving late). */
  send(action: string, payload: Payload) {
    return this.call(action, payload)
  }

  async sendStatus(connectorId: number, status = this.connector(connectorId).status, at = this.now()): Promise<void> {
    await this.call('StatusNotification', {
      connectorId,
      errorCode: 'NoError',
      status,
      ...(this.statusTimestamps ? { timestamp: at.toISOString() } : {}),
    })
  }

  private setStatus(c: Connector, status: string): Promise<void> {
    c.status = status
    return this.sendStatus(c.id, status)
  }

  /** Transaction messages: queued, in order, retried until answered (or given up after the attempts). */
  private enqueue(item: Queued): void {
    this.queue.push(item)
    void this.drain()
  }

  private async drain(): Promise<void> {
    if (this.draining) return
    this.draining = true
    try {
      let attempt = 0
      while (this.queue.length > 0 && !this.closed) {
        await this.waitOnline()
        if (this.closed) break
        const item = this.queue[0]
        const payload = item.build(attempt)
        if (!payload) {
          this.queue.shift()
          attempt = 0
          continue
        }
        const result = await this.call(item.action, payload, attempt)
        if (result.ok) {
          item.answered?.(result.payload)
          this.queue.shift()
          attempt = 0
          continue
        }
        if (result.error === 'offline') continue
        attempt++
        if (attempt >= this.o.transactionAttempts) {
          this.trace?.(`gave up on ${item.action} after ${attempt} tries`)
          this.queue.shift()
          attempt = 0
          continue
        }
        await sleep(this.o.retryIntervalMs * attempt)
      }
    } finally {
      this.draining = false
    }
  }

  /** True while messages of this transaction wait in the queue. */
  flushing(tx: Transaction): boolean {
    return this.queue.some((q) => q.tx === tx)
  }

  /** A new session at this connector: an earlier accepted remote start has lapsed (ConnectionTimeOut). */
  forgetPendingStart(connectorId: number): void {
    this.connector(connectorId).pending = null
  }

  /** Resolves when every queued transaction message has been answered (or given up). */
  async flushed(timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (this.queue.length > 0 || this.draining) {
      if (Date.now() > deadline) return false
      await sleep(50)
    }
    return true
  }

  // ——— the car ———

  /** The driver plugs the car in: a waiting remote start begins charging. */
  async plugIn(connectorId: number, powerW: number): Promise<void> {
    const c = this.connector(connectorId)
    c.plugged = true
    c.powerW = powerW
    await this.setStatus(c, 'Preparing')
    if (c.pending) await this.startTransaction(c, c.pending)
  }

  /** The car leaves: a running transaction ends (EVDisconnected), the connector is free. */
  async unplug(connectorId: number): Promise<void> {
    const c = this.connector(connectorId)
    if (c.tx && !c.tx.stoppedAt) this.stopTransaction(c, 'EVDisconnected')
    if (c.tx && c.tx.unpluggedRealMs === null) c.tx.unpluggedRealMs = Date.now()
    c.plugged = false
    c.pending = null
    await this.setStatus(c, 'Available')
  }

  private async startTransaction(c: Connector, idTag: string): Promise<void> {
    c.pending = null
    if (this.authorizeRemoteStarts) {
      const auth = await this.call('Authorize', { idTag })
      if (auth.ok && auth.payload.idTagInfo?.status !== 'Accepted') return void (await this.setStatus(c, 'Finishing'))
    }
    c.registerWh = this.registerWh(c.id)
    c.since = Date.now()
    const tx: Transaction = {
      connectorId: c.id,
      idTag,
      meterStartWh: c.registerWh,
      ids: [],
      transactionId: null,
      idTagStatus: null,
      startedAt: this.now().toISOString(),
      meterStopWh: null,
      stoppedAt: null,
      stopReason: null,
      stoppedRealMs: null,
      unpluggedRealMs: null,
    }
    c.tx = tx
    this.transactions.push(tx)
    this.enqueue({
      action: 'StartTransaction',
      tx,
      build: (attempt) => ({
        connectorId: c.id,
        idTag,
        meterStart: tx.meterStartWh,
        timestamp: attempt > 0 && this.restampStartResend ? this.now().toISOString() : tx.startedAt,
      }),
      answered: (answer) => {
        tx.ids.push(answer.transactionId)
        tx.transactionId = answer.transactionId
        tx.idTagStatus = answer.idTagInfo?.status ?? null
        // A refused idTag: the charger ends the transaction at once (OCPP 1.6, 5.17).
        if (tx.idTagStatus !== 'Accepted' && !tx.stoppedAt && c.tx === tx) {
          this.stopTransaction(c, 'DeAuthorized')
          void this.setStatus(c, 'Finishing')
        }
      },
    })
    await this.setStatus(c, 'Charging')
    c.meterTimer = setInterval(() => this.sample(c), this.meterIntervalMs)
  }

  private sample(c: Connector): void {
    const tx = c.tx
    if (!tx || tx.stoppedAt) return
    const at = this.now().toISOString()
    const wh = this.registerWh(c.id)
    this.enqueue({
      action: 'MeterValues',
      tx,
      build: () =>
        tx.transactionId === null ? null : { connectorId: c.id, transactionId: tx.transactionId, meterValue: [this.meterValue(at, wh, c.powerW * this.energySpeed, 'Sample.Periodic')] },
    })
  }

  private meterValue(timestamp: string, wh: number, powerW: number, context: string) {
    const energy = this.meterInKwh
      ? { value: (wh / 1000).toFixed(3), unit: 'kWh' }
      : { value: String(wh), unit: 'Wh' }
    return {
      timestamp,
      sampledValue: [
        { ...energy, context, measurand: 'Energy.Active.Import.Register', location: 'Outlet' },
        { value: String(powerW), unit: 'W', context, measurand: 'Power.Active.Import', location: 'Outlet' },
      ],
    }
  }

  private stopTransaction(c: Connector, reason: string): void {
    const tx = c.tx!
    if (c.meterTimer) clearInterval(c.meterTimer)
    c.meterTimer = null
    const wh = this.registerWh(c.id)
    c.registerWh = wh
    c.since = Date.now()
    tx.meterStopWh = wh
    tx.stoppedAt = this.now().toISOString()
    tx.stoppedRealMs = Date.now()
    tx.stopReason = reason
    this.enqueue({
      action: 'StopTransaction',
      tx,
      build: () =>
        tx.transactionId === null
          ? null
          : {
              transactionId: tx.transactionId,
              idTag: tx.idTag,
              meterStop: tx.meterStopWh,
              timestamp: tx.stoppedAt,
              reason,
              transactionData: [this.meterValue(tx.startedAt, tx.meterStartWh, 0, 'Transaction.Begin'), this.meterValue(tx.stoppedAt!, tx.meterStopWh!, 0, 'Transaction.End')],
            },
    })
  }

  // ——— what the central system asks ———

  private async handle(request: Payload): Promise<any> {
    const { action, ocppVersion, ...payload } = request
    const reply = (fields: Payload) => ({ action, ocppVersion, ...fields })
    if (this.loseIncoming?.(action, payload)) {
      this.trace?.(`⇠ ${action} ${JSON.stringify(payload)} [LOST]`)
      return new Promise(() => {}) // never answered, never carried out
    }
    this.trace?.(`⇠ ${action} ${JSON.stringify(payload)}`)
    switch (action) {
      case 'RemoteStartTransaction': {
        const c = this.connectors.find((x) => x.id === (payload.connectorId ?? 1))
        // A newer remote start replaces one still waiting for the car.
        if (!c || this.rejectRemoteStart || (c.tx && !c.tx.stoppedAt)) return reply({ status: 'Rejected' })
        c.pending = payload.idTag
        if (c.plugged) setTimeout(() => void this.startTransaction(c, payload.idTag), 10)
        // ConnectionTimeOut: a start nobody plugs in for lapses.
        setTimeout(() => c.pending === payload.idTag && (c.pending = null), this.o.connectionTimeoutMs).unref()
        await this.beforeAnswer?.(action, payload)
        return reply({ status: 'Accepted' })
      }
      case 'RemoteStopTransaction': {
        const c = this.connectors.find((x) => x.tx && !x.tx.stoppedAt && x.tx.transactionId === payload.transactionId)
        await this.beforeAnswer?.(action, payload)
        if (!c) return reply({ status: 'Rejected' })
        setTimeout(() => {
          if (c.tx && !c.tx.stoppedAt) {
            this.stopTransaction(c, 'Remote')
            void this.setStatus(c, 'Finishing')
          }
        }, 10)
        return reply({ status: 'Accepted' })
      }
      case 'TriggerMessage': {
        const what = payload.requestedMessage
        const ids = payload.connectorId ? [payload.connectorId] : this.connectors.map((c) => c.id)
        if (what === 'StatusNotification') setTimeout(() => ids.forEach((id: number) => void this.sendStatus(id)), 10)
        else if (what === 'Heartbeat') setTimeout(() => void this.call('Heartbeat', {}), 10)
        else if (what === 'MeterValues') setTimeout(() => ids.forEach((id: number) => this.sample(this.connector(id))), 10)
        else return reply({ status: 'NotImplemented' })
        return reply({ status: 'Accepted' })
      }
      case 'ChangeConfiguration': {
        if (payload.key === 'MeterValueSampleInterval') {
          this.meterIntervalMs = Math.max(200, Number(payload.value) * 1000)
          return reply({ status: 'Accepted' })
        }
        return reply({ status: 'NotSupported' })
      }
      case 'GetConfiguration':
        return reply({ configurationKey: [{ key: 'MeterValueSampleInterval', readonly: false, value: String(this.meterIntervalMs / 1000) }] })
      default:
        throw new Error(`${action} is not supported by this charge point`)
    }
  }

  private connector(id: number): Connector {
    const c = this.connectors.find((x) => x.id === id)
    if (!c) throw new Error(`${this.id} has no connector ${id}`)
    return c
  }
}

function summary(action: string, p: Payload): string {
  switch (action) {
    case 'StatusNotification':
      return `${p.connectorId}:${p.status}${p.timestamp ? ` @${p.timestamp}` : ''}`
    case 'StartTransaction':
      return `idTag=${p.idTag} meterStart=${p.meterStart} @${p.timestamp}`
    case 'StopTransaction':
      return `tx=${p.transactionId} meterStop=${p.meterStop} ${p.reason} @${p.timestamp}`
    case 'MeterValues':
      return `tx=${p.transactionId} ${p.meterValue?.[0]?.sampledValue?.[0]?.value}${p.meterValue?.[0]?.sampledValue?.[0]?.unit}`
    default:
      return ''
  }
}
