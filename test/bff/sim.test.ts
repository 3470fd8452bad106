/**
 * The charge-point simulator: its power curve (pure), and the demo fleet connecting to a real
 * central system over loopback, including a server that only starts after the fleet.
 */
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import { RPCServer } from 'ocpp-rpc'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChargerListener } from '../../bff/charging/gateway'
import { OcppCentralSystem } from '../../bff/charging/ocpp/central-system'
import { SimChargePoint } from '../../bff/sim/charge-point'
import { demoFleetConfig, startSimFleet } from '../../bff/sim/fleet'
import { chargingPowerW, dcPowerFraction, socAfter } from '../../bff/sim/power'
import type { Store } from '../../bff/store/db'
import { chargers } from '../../bff/store/schema'
import { openDemoStore } from '../support/store'

const quiet = pino({ level: 'silent' })

describe('power curve', () => {
  it('keeps AC near the maximum', () => {
    expect(chargingPowerW({ maxPowerW: 11_000, dc: false, socPercent: 90, noise: 0 })).toBe(10_450)
    expect(chargingPowerW({ maxPowerW: 11_000, dc: false, socPercent: 10, noise: 0.999 })).toBeLessThanOrEqual(11_000)
  })

  it('tapers DC after 50 % and stops at full', () => {
    expect(dcPowerFraction(30)).toBe(1)
    expect(dcPowerFraction(50)).toBe(1)
    expect(dcPowerFraction(85)).toBeCloseTo(0.2)
    expect(dcPowerFraction(70)).toBeLessThan(dcPowerFraction(60))
    expect(dcPowerFraction(99)).toBeGreaterThan(0)
    expect(dcPowerFraction(100)).toBe(0)
    expect(chargingPowerW({ maxPowerW: 50_000, dc: true, socPercent: 100, noise: 0.5 })).toBe(0)
  })

  it('fills the 60 kWh battery from energy delivered, capped at 100 %', () => {
    expect(socAfter(20, 30_000)).toBe(70)
    expect(socAfter(90, 30_000)).toBe(100)
  })
})

/** A central system that records nothing and accepts everyone. */
const acceptingListener: ChargerListener = {
  authorize: async () => 'accepted',
  chargingStarted: async (e) => `session-${e.token}`,
  meterReading: async () => {},
  chargingStopped: async () => {},
  connectorStatus: async () => {},
  chargerConnection: async () => {},
}

describe('demo fleet', () => {
  let store: Store
  let central: OcppCentralSystem
  let server: http.Server

  beforeAll(async () => {
    store = await openDemoStore()
    central = new OcppCentralSystem({ db: store.db, listener: acceptingListener, logger: quiet, meterIntervalSeconds: 10 })
    server = http.createServer((_req, res) => res.writeHead(404).end())
    server.on('upgrade', central.handleUpgrade)
  })

  afterAll(async () => {
    await central.close()
    server.close()
    await store.close()
  })

  it('connects all demo chargers, retrying while the server is not listening yet', async () => {
    // Find a free port, then start the fleet before anything listens on it.
    const probe = http.createServer().listen(0, '127.0.0.1')
    await once(probe, 'listening')
    const port = (probe.address() as AddressInfo).port
    await new Promise((r) => probe.close(r))

    const fleetStarted = startSimFleet({
      endpoint: `ws://127.0.0.1:${port}/ocpp`,
      chargers: demoFleetConfig(),
      autoPlugDelayMs: 50,
      logger: quiet,
    })
    await new Promise((r) => setTimeout(r, 150))
    server.listen(port, '127.0.0.1')
    const fleet = await fleetStarted
    try {
      expect([...fleet.chargePoints.keys()]).toEqual(['DEMO-1', 'DEMO-2', 'DEMO-3', 'DEMO-4'])
      expect(central.connectedCount()).toBe(4)
      const rows = await store.db.select().from(chargers).where(eq(chargers.id, 'DEMO-4'))
      expect(rows[0]).toMatchObject({ online: true, model: 'SimDC' })

      // The simulated car is plugged in by itself shortly after the remote start.
      const dc = fleet.chargePoints.get('DEMO-4')!
      expect(await central.startCharging('DEMO-4', { sessionId: 'session-LP-DEMO', connectorId: 1, token: 'LP-DEMO' })).toBe('Accepted')
      const [{ transactionId }] = await once(dc, 'transactionStarted')
      expect(dc.transactionId(1)).toBe(transactionId)
      expect(await central.stopCharging('DEMO-4', 'session-LP-DEMO')).toBe('Accepted')
      await once(dc, 'transactionStopped')
    } finally {
      await fleet.close()
    }
    for (let tries = 0; central.connectedCount() > 0 && tries < 200; tries++) await new Promise((r) => setTimeout(r, 10))
    expect(central.connectedCount()).toBe(0)
  })
})

describe('charge point commands', () => {
  it('answers GetConfiguration, TriggerMessage, unknown keys and busy connectors sensibly', async () => {
    const rpc = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true })
    const seen: string[] = []
    const session = new Promise<any>((resolve) => rpc.on('client', resolve))
    rpc.auth((accept) => accept())
    const http = await rpc.listen(0, '127.0.0.1')
    const port = (http.address() as AddressInfo).port
    const cp = new SimChargePoint({ endpoint: `ws://127.0.0.1:${port}/ocpp`, id: 'CMD-1', password: 'x', connectors: 1, maxPowerW: 7_400 })
    const connecting = cp.connect()
    const client = await session
    client.handle(({ method }: { method: string }) => {
      seen.push(method)
      if (method === 'BootNotification') return { status: 'Accepted', interval: 300, currentTime: new Date().toISOString() }
      if (method === 'StartTransaction') return { transactionId: 41, idTagInfo: { status: 'Accepted' } }
      return {}
    })
    await connecting
    try {
      expect(seen).toEqual(['BootNotification', 'StatusNotification', 'StatusNotification'])
      const config = await client.call('GetConfiguration', { key: ['MeterValueSampleInterval', 'Nope'] })
      expect(config).toEqual({ configurationKey: [{ key: 'MeterValueSampleInterval', readonly: false, value: '60' }], unknownKey: ['Nope'] })
      expect(await client.call('ChangeConfiguration', { key: 'Nope', value: '1' })).toEqual({ status: 'NotSupported' })
      expect(await client.call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '-5' })).toEqual({ status: 'Rejected' })
      expect(await client.call('TriggerMessage', { requestedMessage: 'Heartbeat' })).toEqual({ status: 'Accepted' })
      expect(await client.call('TriggerMessage', { requestedMessage: 'DiagnosticsStatusNotification' })).toEqual({ status: 'NotImplemented' })

      await cp.plugIn(1)
      expect(await client.call('RemoteStartTransaction', { connectorId: 1, idTag: 'LP-CMD' })).toEqual({ status: 'Accepted' })
      await once(cp, 'transactionStarted')
      expect(await client.call('RemoteStartTransaction', { connectorId: 1, idTag: 'LP-CMD2' })).toEqual({ status: 'Rejected' })
      expect(await client.call('RemoteStartTransaction', { connectorId: 7, idTag: 'LP-CMD3' })).toEqual({ status: 'Rejected' })
      expect(await client.call('RemoteStopTransaction', { transactionId: 99 })).toEqual({ status: 'Rejected' })
      expect(seen).toContain('Heartbeat')
      expect(seen).toContain('StartTransaction')
    } finally {
      await cp.close()
      await rpc.close({})
    }
  })
})
