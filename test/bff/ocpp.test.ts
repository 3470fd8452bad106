/**
 * The OCPP 1.6J central system against real WebSockets on loopback, a real PGlite database and the
 * charge-point simulator (or raw ocpp-rpc clients / raw ws sockets where a charger misbehaves).
 */
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { and, eq } from 'drizzle-orm'
import { RPCClient } from 'ocpp-rpc'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { ChargerOfflineError, type AuthorizeResult, type ChargerListener } from '../../bff/charging/gateway'
import { OcppCentralSystem, chargePointIdFromPath } from '../../bff/charging/ocpp/central-system'
import { hashPassword } from '../../bff/secrets'
import { SimChargePoint, type SimChargePointOptions } from '../../bff/sim/charge-point'
import type { Store } from '../../bff/store/db'
import { chargers, connectors, tariffs, transactions } from '../../bff/store/schema'
import { demoChargerPassword } from '../../bff/store/seed'
import { openDemoStore } from '../support/store'

type Call = { kind: string; data: any }

/**
 * Records every call; tokens starting with LP are accepted, and their charging belongs to the
 * session `session-<token>`. `failing` makes a callback throw.
 */
class RecordingListener implements ChargerListener {
  calls: Call[] = []
  failing = new Set<string>()
  private record(kind: string, data: unknown) {
    this.calls.push({ kind, data })
    if (this.failing.has(kind)) throw new Error(`listener ${kind} broke`)
  }
  of(kind: string): any[] {
    return this.calls.filter((c) => c.kind === kind).map((c) => c.data)
  }
  async authorize(e: { chargerId: string; connectorId: number | null; token: string }): Promise<AuthorizeResult> {
    this.record('authorize', e)
    return e.token.startsWith('LP') ? 'accepted' : 'invalid'
  }
  async chargingStarted(e: any) {
    this.record('chargingStarted', e)
    return e.token.startsWith('LP') ? `session-${e.token}` : null
  }
  async meterReading(e: any) { this.record('meterReading', e) }
  async chargingStopped(e: any) { this.record('chargingStopped', e) }
  async connectorStatus(e: any) { this.record('connectorStatus', e) }
  async chargerConnection(e: any) { this.record('chargerConnection', e) }
}

let store: Store
let central: OcppCentralSystem
let server: http.Server
let endpoint: string
let port: number
const listener = new RecordingListener()
const password = 'test-charger-password'
const open: Array<{ close(): Promise<unknown> }> = []
let chargerCount = 0

async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 8_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A fresh charger with connectors 1 and 2, so tests never share state. */
async function newCharger(): Promise<string> {
  const id = `T-${++chargerCount}`
  const [tariff] = await store.db.select().from(tariffs).limit(1)
  await store.db.insert(chargers).values({ id, siteId: 'demo', tariffId: tariff.id, passwordHash: await hashPassword(password) })
  for (const connectorId of [1, 2]) {
    await store.db.insert(connectors).values({ chargerId: id, connectorId, evseId: `SE*TST*E${id}*${connectorId}`, plug: 'Type2', maxPowerW: 11_000 })
  }
  return id
}

async function sim(overrides: Partial<SimChargePointOptions> = {}): Promise<SimChargePoint> {
  const cp = new SimChargePoint({
    endpoint,
    id: await newCharger(),
    password,
    connectors: 2,
    maxPowerW: 11_000,
    meterIntervalMs: 40,
    timeScale: 100,
    autoPlugDelayMs: null,
    ...overrides,
  })
  open.push(cp)
  await cp.connect()
  return cp
}

/** A plain ocpp-rpc client: lets a test send what the simulator never would. */
async function rawClient(id: string, opts: { strictMode?: boolean; password?: string | null; path?: string } = {}) {
  const client = new RPCClient({
    identity: id,
    endpoint: `ws://127.0.0.1:${port}${opts.path ?? '/ocpp'}`,
    password: opts.password === undefined ? password : opts.password,
    protocols: ['ocpp1.6'],
    strictMode: opts.strictMode ?? true,
    reconnect: false,
  } as ConstructorParameters<typeof RPCClient>[0])
  await client.connect()
  open.push(client)
  return client
}

const txRow = async (id: number) => (await store.db.select().from(transactions).where(eq(transactions.id, id)))[0]
/** The readings the listener got for a transaction's session. */
const samplesOf = async (id: number) => {
  const sessionId = (await txRow(id)).sessionId
  return listener.of('meterReading').filter((r) => sessionId !== null && r.sessionId === sessionId)
}
const stopsOf = async (id: number) => {
  const sessionId = (await txRow(id)).sessionId
  return listener.of('chargingStopped').filter((r) => sessionId !== null && r.sessionId === sessionId)
}
const iso = (d: Date) => d.toISOString()

beforeAll(async () => {
  store = await openDemoStore()
  central = new OcppCentralSystem({
    db: store.db,
    listener,
    logger: pino({ level: 'silent' }),
    meterIntervalSeconds: 7,
    commandTimeoutMs: 2_000,
  })
  server = http.createServer((_req, res) => {
    res.statusCode = 404
    res.end()
  })
  server.on('upgrade', central.handleUpgrade)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as AddressInfo).port
  endpoint = `ws://127.0.0.1:${port}/ocpp`
})

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close().catch(() => {})))
})

afterAll(async () => {
  await central.close()
  server.close()
  await store.close()
})

describe('connection', () => {
  it('accepts a charger, records its boot and tracks it online and offline', async () => {
    const id = await newCharger()
    const cp = new SimChargePoint({ endpoint, id, password, connectors: 2, maxPowerW: 11_000 })
    open.push(cp)
    const configuration = once(cp, 'configuration')
    await cp.connect()

    expect(central.isOnline(id)).toBe(true)
    const [{ key, value, status }] = await configuration
    expect({ key, value, status }).toEqual({ key: 'MeterValueSampleInterval', value: '7', status: 'Accepted' })
    expect(cp.configuration('MeterValueSampleInterval')).toBe('7')
    const [row] = await store.db.select().from(chargers).where(eq(chargers.id, id))
    expect(row).toMatchObject({ online: true, vendor: 'Laddpunkt', model: 'SimAC', serialNumber: `SIM-${id}`, firmwareVersion: '1.0.0' })
    expect(row.bootedAt).toBeInstanceOf(Date)
    expect(listener.of('chargerConnection')).toContainEqual(expect.objectContaining({ chargerId: id, online: true }))

    await cp.close()
    await waitFor(() => !central.isOnline(id), 'disconnect')
    await waitFor(() => listener.of('chargerConnection').some((e) => e.chargerId === id && !e.online), 'offline event')
    const [after] = await store.db.select().from(chargers).where(eq(chargers.id, id))
    expect(after.online).toBe(false)
  })

  it('logs in the demo chargers with their demo passwords', async () => {
    const client = await rawClient('DEMO-1', { password: demoChargerPassword('DEMO-1') })
    expect(central.isOnline('DEMO-1')).toBe(true)
    await client.close()
  })

  it('rejects unknown chargers, wrong and missing passwords with 401', async () => {
    const id = await newCharger()
    await (await rawClient(id)).close() // a verified password is remembered: that must not let others in
    for (const [who, pw] of [['NOPE-1', password], [id, 'wrong-password'], [id, `${password}x`], [id, null]] as const) {
      const error = await rawClient(who, { password: pw }).then(() => null, (e) => e)
      expect(error?.code, `${who} / ${pw}`).toBe(401)
    }
    expect(central.isOnline(id)).toBe(false)
  })

  it('answers 404 to upgrades outside /ocpp/{id}', async () => {
    for (const path of ['/foo', '/ocpp/a/b', '/ocpp/', '/ocpp/%E0%A4%A']) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, ['ocpp1.6'])
      ws.on('error', () => {})
      const [, response] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage]
      expect(response.statusCode, path).toBe(404)
      ws.terminate()
    }
    expect(chargePointIdFromPath('/ocpp/DEMO%201?x=1')).toBe('DEMO 1')
  })

  it('replaces an older connection of the same charger with the new one', async () => {
    const id = await newCharger()
    const first = await rawClient(id)
    const firstClosed = once(first, 'close')
    await rawClient(id)
    await firstClosed
    expect(central.isOnline(id)).toBe(true)
    expect(central.connectedCount()).toBeGreaterThanOrEqual(1)
  })

  it('throws ChargerOfflineError for commands to a charger that is not connected', async () => {
    const id = await newCharger()
    await expect(central.startCharging(id, { sessionId: 's-off', connectorId: 1, token: 'LP-OFF' })).rejects.toBeInstanceOf(ChargerOfflineError)
    await expect(central.stopCharging(id, 's-off')).rejects.toBeInstanceOf(ChargerOfflineError)
  })
})

describe('status', () => {
  it('persists connector status and tells the listener; ignores unknown connectors', async () => {
    const cp = await sim()
    const [c1] = await store.db.select().from(connectors).where(and(eq(connectors.chargerId, cp.id), eq(connectors.connectorId, 1)))
    expect(c1.status).toBe('Available')
    await cp.plugIn(1)
    const [after] = await store.db.select().from(connectors).where(and(eq(connectors.chargerId, cp.id), eq(connectors.connectorId, 1)))
    expect(after).toMatchObject({ status: 'Preparing', errorCode: null })
    expect(listener.of('connectorStatus')).toContainEqual(expect.objectContaining({ chargerId: cp.id, connectorId: 1, status: 'Preparing' }))

    const raw = await rawClient(await newCharger())
    await expect(raw.call('StatusNotification', { connectorId: 9, errorCode: 'NoError', status: 'Available' })).resolves.toEqual({})
    await expect(raw.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' })).resolves.toEqual({})
    const rows = await store.db.select().from(connectors).where(eq(connectors.chargerId, raw.identity!))
    expect(rows.map((r) => r.connectorId).sort()).toEqual([1, 2])
  })
})

describe('transactions', () => {
  it('runs a whole remote-started session: start, meter values, remote stop', async () => {
    const cp = await sim()
    expect(await central.startCharging(cp.id, { sessionId: 'session-LP-WHOLE', connectorId: 1, token: 'LP-WHOLE' })).toBe('Accepted')
    await waitFor(() => cp.status(1) === 'Preparing', 'Preparing while waiting for a car')
    expect(await central.startCharging(cp.id, { sessionId: 'session-LP-OTHER', connectorId: 1, token: 'LP-OTHER' })).toBe('Rejected')

    const started = once(cp, 'transactionStarted')
    await cp.plugIn(1)
    const [{ transactionId }] = await started
    expect(listener.of('chargingStarted')).toContainEqual(expect.objectContaining({ chargerId: cp.id, connectorId: 1, token: 'LP-WHOLE' }))
    expect((await txRow(transactionId)).sessionId).toBe('session-LP-WHOLE')

    await waitFor(async () => (await samplesOf(transactionId)).length >= 3, 'meter samples')
    const running = await txRow(transactionId)
    const reported = (await samplesOf(transactionId)).at(-1)
    // energy delivered in the session, not the charger's register
    expect(reported.energyWh).toBeGreaterThan(0)
    expect(reported.energyWh).toBeLessThanOrEqual(cp.meterWh(1) - running.meterStartWh)
    expect(reported.powerW).toBeGreaterThanOrEqual(10_450)

    const stopped = once(cp, 'transactionStopped')
    expect(await central.stopCharging(cp.id, 'session-LP-WHOLE')).toBe('Accepted')
    const [{ meterStop }] = await stopped
    const row = await txRow(transactionId)
    expect(row).toMatchObject({ meterStopWh: meterStop, stopReason: 'Remote' })
    expect(row.meterStopWh! - row.meterStartWh).toBe(cp.meterWh(1) - row.meterStartWh)
    expect(row.meterStopWh! - row.meterStartWh).toBeGreaterThan(0)
    expect(row.stoppedAt!.getTime()).toBeGreaterThanOrEqual(row.startedAt.getTime())
    expect(await stopsOf(transactionId)).toEqual([
      expect.objectContaining({ sessionId: 'session-LP-WHOLE', energyWh: meterStop - row.meterStartWh, cause: 'remote' }),
    ])

    expect(cp.status(1)).toBe('Finishing')
    expect(await central.stopCharging(cp.id, 'session-LP-WHOLE')).toBe('Rejected')
    await cp.unplug(1)
    const [c1] = await store.db.select().from(connectors).where(and(eq(connectors.chargerId, cp.id), eq(connectors.connectorId, 1)))
    expect(c1.status).toBe('Available')
  })

  it('stops with EVDisconnected when the car is unplugged while charging (car plugged in automatically)', async () => {
    const cp = await sim({ autoPlugDelayMs: 20 })
    const started = once(cp, 'transactionStarted')
    expect(await central.startCharging(cp.id, { sessionId: 'session-LP-UNPLUG', connectorId: 2, token: 'LP-UNPLUG' })).toBe('Accepted')
    const [{ transactionId }] = await started
    await cp.unplug(2)
    const row = await txRow(transactionId)
    expect(row).toMatchObject({ stopReason: 'EVDisconnected', meterStopWh: cp.meterWh(2) })
    expect(cp.status(2)).toBe('Available')
  })

  it('gives up a remote start when no car arrives in time', async () => {
    const cp = await sim({ connectionTimeoutMs: 50 })
    expect(await central.startCharging(cp.id, { sessionId: 'session-LP-NOCAR', connectorId: 1, token: 'LP-NOCAR' })).toBe('Accepted')
    await waitFor(() => cp.status(1) === 'Available', 'connector Available again')
    expect(cp.transactionId(1)).toBeNull()
    const rows = await store.db.select().from(transactions).where(eq(transactions.chargerId, cp.id))
    expect(rows).toEqual([])
  })

  it('records a refused StartTransaction, and the charger stops it at once (DeAuthorized)', async () => {
    const cp = await sim()
    await cp.plugIn(1)
    const stopped = once(cp, 'transactionStopped')
    expect(await central.startCharging(cp.id, { sessionId: 'session-XX-REFUSED', connectorId: 1, token: 'XX-REFUSED' })).toBe('Accepted')
    const [{ transactionId, reason }] = await stopped
    expect(reason).toBe('DeAuthorized')
    const row = await txRow(transactionId)
    expect(row).toMatchObject({ idTag: 'XX-REFUSED', stopReason: 'DeAuthorized' })
    expect(listener.of('chargingStarted').some((t) => t.token === 'XX-REFUSED')).toBe(false)
    expect(row.sessionId).toBeNull()
  })

  it('delivers what happened offline after reconnect, with the charger\'s own timestamps', async () => {
    const cp = await sim()
    const started = once(cp, 'transactionStarted')
    await central.startCharging(cp.id, { sessionId: 'session-LP-OFFLINE', connectorId: 1, token: 'LP-OFFLINE' })
    await cp.plugIn(1)
    const [{ transactionId }] = await started

    await cp.goOffline()
    await waitFor(() => !central.isOnline(cp.id), 'central sees the charger offline')
    const offlineAt = new Date()
    const wh = cp.meterWh(1)
    await waitFor(() => cp.meterWh(1) > wh + 100, 'charging goes on offline')
    const beforeStop = new Date()
    await cp.stopLocally(1)
    const afterStop = new Date()
    expect(cp.queuedCount()).toBeGreaterThan(0)
    expect((await txRow(transactionId)).stoppedAt).toBeNull()
    expect(await stopsOf(transactionId)).toEqual([])

    await new Promise((r) => setTimeout(r, 50))
    const reconnectAt = new Date()
    await cp.reconnect()
    expect(cp.queuedCount()).toBe(0)
    const row = await txRow(transactionId)
    expect(row).toMatchObject({ stopReason: 'Local', meterStopWh: cp.meterWh(1) })
    expect(row.stoppedAt!.getTime()).toBeGreaterThanOrEqual(beforeStop.getTime())
    expect(row.stoppedAt!.getTime()).toBeLessThanOrEqual(afterStop.getTime())
    expect(row.stoppedAt!.getTime()).toBeLessThan(reconnectAt.getTime())
    const offlineSamples = (await samplesOf(transactionId)).filter((s) => s.at >= offlineAt && s.at <= afterStop)
    expect(offlineSamples.length).toBeGreaterThan(0)
    expect(await stopsOf(transactionId)).toHaveLength(1)
  })

  it('maps the real transactionId onto messages queued before the charger knew it', async () => {
    const cp = await sim()
    expect(await central.startCharging(cp.id, { sessionId: 'session-LP-QUEUED', connectorId: 2, token: 'LP-QUEUED' })).toBe('Accepted')
    await waitFor(() => cp.status(2) === 'Preparing', 'waiting for a car')
    await cp.goOffline()
    await cp.plugIn(2) // starts the transaction while offline: StartTransaction is queued
    expect(cp.transactionId(2)).toBeNull()
    const wh = cp.meterWh(2)
    await waitFor(() => cp.meterWh(2) > wh + 100, 'energy while offline')
    await cp.stopLocally(2, 'Local')

    const started = once(cp, 'transactionStarted')
    await cp.reconnect()
    const [{ transactionId }] = await started
    const row = await txRow(transactionId)
    expect(row).toMatchObject({ idTag: 'LP-QUEUED', stopReason: 'Local', meterStopWh: cp.meterWh(2) })
    expect((await samplesOf(transactionId)).length).toBeGreaterThan(2)
  })

  it('records a repeated StartTransaction and StopTransaction once, also a resend with a new timestamp', async () => {
    const client = await rawClient(await newCharger())
    const start = { connectorId: 1, idTag: 'LP-DUP', meterStart: 1000, timestamp: '2025-03-01T10:00:00.000Z' }
    const first = (await client.call('StartTransaction', start)) as any
    const again = (await client.call('StartTransaction', start)) as any
    // a charger that lost our answer resends, stamped with the time of the resend
    const restamped = (await client.call('StartTransaction', { ...start, timestamp: '2025-03-01T10:00:42.000Z' })) as any
    expect(again).toEqual(first)
    expect(restamped).toEqual(first)
    expect(first.idTagInfo.status).toBe('Accepted')
    const rows = await store.db.select().from(transactions).where(eq(transactions.chargerId, client.identity!))
    expect(rows).toHaveLength(1)
    // told again each time (a crash may have cut the first delivery short), always the same transaction
    expect(listener.of('chargingStarted').filter((t) => t.token === 'LP-DUP').length).toBeGreaterThanOrEqual(1)
    expect((await txRow(first.transactionId)).sessionId).toBe('session-LP-DUP')

    const stop = { transactionId: first.transactionId, idTag: 'LP-DUP', meterStop: 5000, timestamp: '2025-03-01T11:00:00.000Z' }
    expect(await client.call('StopTransaction', stop)).toEqual({ idTagInfo: { status: 'Accepted' } })
    expect(await client.call('StopTransaction', { ...stop, meterStop: 9999, timestamp: '2025-03-01T12:00:00.000Z' })).toEqual({ idTagInfo: { status: 'Accepted' } })
    const row = await txRow(first.transactionId)
    expect(row).toMatchObject({ meterStopWh: 5000, stopReason: 'Local', stoppedAt: new Date(stop.timestamp) })
    const stops = await stopsOf(first.transactionId)
    expect(stops.length).toBeGreaterThanOrEqual(1)
    expect(stops.every((t) => t.energyWh === 4000)).toBe(true)
  })

  it('takes energy registers past 2^31 Wh', async () => {
    const client = await rawClient(await newCharger())
    const meterStart = 2_147_480_000
    const { transactionId } = (await client.call('StartTransaction', { connectorId: 1, idTag: 'LP-BIG', meterStart, timestamp: iso(new Date()) })) as any
    await client.call('MeterValues', { connectorId: 1, transactionId, meterValue: [{ timestamp: iso(new Date()), sampledValue: [{ value: String(meterStart + 3_000) }] }] })
    expect(await client.call('StopTransaction', { transactionId, meterStop: meterStart + 5_000, timestamp: iso(new Date()) })).toEqual({})
    expect(await txRow(transactionId)).toMatchObject({ meterStartWh: meterStart, meterStopWh: meterStart + 5_000 })
    expect((await stopsOf(transactionId)).map((t) => t.energyWh)).toEqual([5_000])
    expect((await samplesOf(transactionId)).map((r) => r.energyWh)).toEqual([3_000])
  })

  it('touches nothing when a charger names another charger\'s transaction', async () => {
    const owner = await rawClient(await newCharger())
    const intruder = await rawClient(await newCharger())
    const { transactionId } = (await owner.call('StartTransaction', {
      connectorId: 1, idTag: 'LP-MINE', meterStart: 100, timestamp: iso(new Date()),
    })) as any
    const meterValue = [{ timestamp: iso(new Date()), sampledValue: [{ value: '900' }] }]
    expect(await intruder.call('MeterValues', { connectorId: 1, transactionId, meterValue })).toEqual({})
    expect(await intruder.call('MeterValues', { connectorId: 1, transactionId: 999_999, meterValue })).toEqual({})
    expect(await intruder.call('StopTransaction', { transactionId, meterStop: 900, timestamp: iso(new Date()) })).toEqual({})
    expect(await samplesOf(transactionId)).toEqual([])
    expect(await txRow(transactionId)).toMatchObject({ stoppedAt: null, meterStopWh: null })
  })

  it('converts MeterValues in kWh and kW and keeps StopTransaction transactionData', async () => {
    const client = await rawClient(await newCharger())
    const { transactionId } = (await client.call('StartTransaction', {
      connectorId: 2, idTag: 'LP-KWH', meterStart: 12_000, timestamp: iso(new Date()),
    })) as any
    await client.call('MeterValues', {
      connectorId: 2,
      transactionId,
      meterValue: [{
        timestamp: iso(new Date()),
        sampledValue: [
          { value: '12.3456', measurand: 'Energy.Active.Import.Register', unit: 'kWh', context: 'Sample.Periodic' },
          { value: '7.4', measurand: 'Power.Active.Import', unit: 'kW' },
        ],
      }],
    })
    const [sample] = await samplesOf(transactionId)
    expect(sample).toMatchObject({ energyWh: 346, powerW: 7_400, socPercent: null })

    await client.call('StopTransaction', {
      transactionId, meterStop: 13_000, timestamp: iso(new Date()), reason: 'EVDisconnected',
      transactionData: [{ timestamp: iso(new Date()), sampledValue: [{ value: '13', unit: 'kWh', context: 'Transaction.End' }] }],
    })
    expect((await samplesOf(transactionId)).map((s) => s.energyWh)).toEqual([346, 1_000])
  })
})

describe('robustness', () => {
  it('answers schema-invalid calls with a CALLERROR and keeps serving', async () => {
    const client = await rawClient(await newCharger(), { strictMode: false })
    const error = await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Bogus' }).then(() => null, (e) => e)
    expect(error?.rpcErrorCode).toMatch(/Violation/)
    const missing = await client.call('StartTransaction', { connectorId: 1 }).then(() => null, (e) => e)
    expect(missing?.rpcErrorCode).toMatch(/Violation/)
    const unknown = await client.call('Teleport', {}).then(() => null, (e) => e)
    expect(unknown?.rpcErrorCode).toBeTruthy()
    expect(await client.call('Heartbeat', {})).toHaveProperty('currentTime')
  })

  it('survives garbage frames on a raw socket', async () => {
    const id = await newCharger()
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ocpp/${id}`, ['ocpp1.6'], {
      headers: { authorization: `Basic ${Buffer.from(`${id}:${password}`).toString('base64')}` },
    })
    await once(ws, 'open')
    const frames: any[] = []
    ws.on('message', (m) => frames.push(JSON.parse(m.toString())))
    ws.send('this is not json{')
    ws.send('[2, "x"]')
    await waitFor(() => frames.length >= 2, 'CALLERRORs')
    expect(frames[0][0]).toBe(4)
    ws.send(JSON.stringify([2, 'hb-1', 'Heartbeat', {}]))
    await waitFor(() => frames.some((f) => f[1] === 'hb-1'), 'heartbeat reply')
    expect(frames.find((f) => f[1] === 'hb-1')).toEqual([3, 'hb-1', { currentTime: expect.any(String) }])
    ws.terminate()
  })

  it('answers the charger even when the listener fails, and replies to Authorize and DataTransfer', async () => {
    const client = await rawClient(await newCharger())
    listener.failing.add('chargingStarted')
    let transactionId: number
    try {
      const reply = (await client.call('StartTransaction', { connectorId: 1, idTag: 'LP-FAIL', meterStart: 0, timestamp: iso(new Date()) })) as any
      expect(reply).toMatchObject({ transactionId: expect.any(Number), idTagInfo: { status: 'Accepted' } })
      transactionId = reply.transactionId
      expect((await txRow(transactionId)).sessionId).toBeNull()
    } finally {
      listener.failing.delete('chargingStarted')
    }
    // what the listener could not take is told again on recovery, and bound then
    await central.recover()
    expect((await txRow(transactionId)).sessionId).toBe('session-LP-FAIL')
    expect(await client.call('Authorize', { idTag: 'LP-OK' })).toEqual({ idTagInfo: { status: 'Accepted' } })
    expect(await client.call('Authorize', { idTag: 'STRANGER' })).toEqual({ idTagInfo: { status: 'Invalid' } })
    expect(listener.of('authorize')).toContainEqual({ chargerId: client.identity, connectorId: null, token: 'STRANGER' })
    expect(await client.call('DataTransfer', { vendorId: 'acme', messageId: 'x', data: '1' })).toEqual({ status: 'UnknownVendorId' })
    expect(await client.call('FirmwareStatusNotification', { status: 'Idle' })).toEqual({})
    expect(await client.call('DiagnosticsStatusNotification', { status: 'Idle' })).toEqual({})
  })
})
