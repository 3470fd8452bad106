/**
 * The embedded demo's Zaptec charger: seeded once, the fake cloud pointed at our web hooks, a simulated
 * driver who plugs in when a session waits and unplugs after a stop from the phone.
 */
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ZaptecGateway } from '../../bff/charging/zaptec/adapter'
import { demoZaptec, seedZaptecDemo, startZaptecDemo } from '../../bff/sim/zaptec-demo'
import type { Store } from '../../bff/store/db'
import { chargers } from '../../bff/store/schema'
import { openDemoStore } from '../support/store'
import { RecordingListener, quietLogger, startHookServer, waitFor } from '../support/zaptec'

let store: Store
beforeAll(async () => {
  store = await openDemoStore()
})
afterAll(async () => {
  await store.close()
})

it('a whole session on ZAPTEC-1: the driver plugs in, charges, stops from the phone and unplugs', async () => {
  expect(await seedZaptecDemo(store.db)).toBe(true)
  expect(await seedZaptecDemo(store.db)).toBe(false)
  const [charger] = await store.db.select().from(chargers).where(eq(chargers.id, demoZaptec.chargerId))
  expect(charger).toMatchObject({ siteId: 'demo', gateway: 'zaptec', passwordHash: null })

  const demo = await startZaptecDemo({ logger: quietLogger, plugInDelayMs: 50, unplugAfterStopMs: 50, timeScale: 600 })
  const hooks = await startHookServer()
  const listener = new RecordingListener()
  const gateway = new ZaptecGateway({ db: store.db, listener, logger: quietLogger, apiBaseUrl: demo.url, pollSeconds: 0 })
  hooks.serve(gateway)
  await gateway.start()
  demo.connect(hooks.url, gateway)
  try {
    expect(gateway.isOnline(demoZaptec.chargerId)).toBe(true)
    expect(await gateway.startCharging(demoZaptec.chargerId, { sessionId: 'S-demo', connectorId: 1, token: 'LPDEMO' })).toBe('Accepted')
    await waitFor(() => listener.of('chargingStarted').length === 1, 'the simulated car to be approved')
    await waitFor(() => demo.cloud.charger(demoZaptec.zaptecChargerId).energyKWh > 0.3, 'energy')
    await gateway.poll()
    expect(listener.of('meterReading').at(-1)).toMatchObject({ sessionId: 'S-demo', powerW: 11_000 })
    expect(await gateway.stopCharging(demoZaptec.chargerId, 'S-demo')).toBe('Accepted')
    await waitFor(() => listener.of('chargingStopped').length === 1, 'the session end after the driver unplugs')
    expect(listener.of('chargingStopped')[0]).toMatchObject({ sessionId: 'S-demo', cause: 'remote' })
    expect(listener.of('chargingStopped')[0].energyWh).toBeGreaterThan(300)
  } finally {
    await gateway.close()
    await demo.close()
    await hooks.close()
  }
})
