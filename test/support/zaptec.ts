/**
 * Shared by the Zaptec tests: a site with a Zaptec installation, its chargers, the adapter's web-hook
 * routes on a real loopback server, and the fake Zaptec cloud calling them. The session side is a
 * recording listener (ours, standing in for bff/sessions); the external service is the fake cloud.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { randomUUID } from 'node:crypto'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import pino from 'pino'
import type { AuthorizeResult, ChargerListener, ChargingStarted, ChargingStopped, MeterReading } from '../../bff/charging/gateway'
import { ZaptecGateway, type ZaptecGatewayOptions } from '../../bff/charging/zaptec/adapter'
import { bindZaptecCharger, setUpZaptecInstallation, type ZaptecPortalSettings, type ZaptecSetupInput } from '../../bff/charging/zaptec/installations'
import { zaptecWebhookRoutes } from '../../bff/charging/zaptec/routes'
import { FakeZaptecCloud, type FakeZaptecInstallation, type FakeZaptecOptions } from '../../bff/sim/zaptec-cloud'
import type { Store } from '../../bff/store/db'
import { chargers, connectors, sites, tariffs } from '../../bff/store/schema'

export type Call = { kind: string; data: any }

/** Records every call. Tokens starting RFID-OK are accepted, RFID-BLOCKED blocked; `refuse` makes chargingStarted answer null. */
export class RecordingListener implements ChargerListener {
  calls: Call[] = []
  refuse = false
  private sessions = 0
  of(kind: string): any[] {
    return this.calls.filter((c) => c.kind === kind).map((c) => c.data)
  }
  async authorize(e: { chargerId: string; connectorId: number | null; token: string }): Promise<AuthorizeResult> {
    this.calls.push({ kind: 'authorize', data: e })
    return e.token.startsWith('RFID-OK') ? 'accepted' : e.token.startsWith('RFID-BLOCKED') ? 'blocked' : 'invalid'
  }
  async chargingStarted(e: ChargingStarted): Promise<string | null> {
    this.calls.push({ kind: 'chargingStarted', data: e })
    if (this.refuse) return null
    return e.sessionId ?? `rfid-session-${++this.sessions}`
  }
  async meterReading(e: MeterReading) {
    this.calls.push({ kind: 'meterReading', data: e })
  }
  async chargingStopped(e: ChargingStopped) {
    this.calls.push({ kind: 'chargingStopped', data: e })
  }
  async connectorStatus(e: any) {
    this.calls.push({ kind: 'connectorStatus', data: e })
  }
  async chargerConnection(e: any) {
    this.calls.push({ kind: 'chargerConnection', data: e })
  }
}

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 8_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

let siteCount = 0

/** A new site (copy of the demo's seller details) with one tariff. */
export async function newSite(store: Store): Promise<string> {
  const id = `zsite-${++siteCount}-${randomUUID().slice(0, 6)}`
  const [demo] = await store.db.select().from(sites).limit(1)
  await store.db.insert(sites).values({ ...demo, id, name: `Zaptec site ${siteCount}`, createdAt: new Date() })
  const [tariff] = await store.db.select().from(tariffs).limit(1)
  await store.db.insert(tariffs).values({ siteId: id, currency: tariff.currency, vatRateBp: tariff.vatRateBp, components: tariff.components, holdAmount: tariff.holdAmount })
  return id
}

/** One of our chargers behind Zaptec: gateway 'zaptec', no OCPP password, one connector. */
export async function newZaptecCharger(store: Store, siteId: string): Promise<{ chargerId: string; zaptecChargerId: string; deviceId: string }> {
  const chargerId = `ZAP-${randomUUID().slice(0, 8).toUpperCase()}`
  const zaptecChargerId = randomUUID()
  const deviceId = `ZAP${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`
  const [tariff] = await store.db.select().from(tariffs).limit(1)
  await store.db.transaction(async (tx) => {
    await tx.insert(chargers).values({ id: chargerId, siteId, tariffId: tariff.id, gateway: 'zaptec' })
    await tx.insert(connectors).values({ chargerId, connectorId: 1, evseId: `SE*TST*E${chargerId.replace(/[^A-Z0-9]/g, '')}*1`, plug: 'Type2', maxPowerW: 22_000 })
    await bindZaptecCharger(tx as never, { chargerId, siteId, zaptecChargerId, deviceId })
  })
  return { chargerId, zaptecChargerId, deviceId }
}

/** Our side: the web-hook routes on a loopback server (the gateway comes later), with a knob to break them for a while. */
export async function startHookServer() {
  /** Calls that fail with `status` before reaching us; session starts we handle but whose answer is lost. */
  const breakage = { sessionEnd: 0, sessionStart: 0, lostStartAnswers: 0, status: 503 }
  let app: Hono | null = null
  const routesOf = (gateway: ZaptecGateway) => new Hono()
    .use('/webhooks/zaptec/session-end', async (c, next) => {
      if (breakage.sessionEnd > 0) {
        breakage.sessionEnd--
        return c.json({ error: { code: 'unavailable', message: 'broken for the test' } }, breakage.status as 503)
      }
      await next()
    })
    .use('/webhooks/zaptec/session-start', async (c, next) => {
      if (breakage.sessionStart > 0) {
        breakage.sessionStart--
        return c.json({ error: { code: 'unavailable', message: 'broken for the test' } }, breakage.status as 503)
      }
      await next()
      if (breakage.lostStartAnswers > 0) {
        breakage.lostStartAnswers--
        c.res = new Response(null, { status: 504 })
      }
    })
    .route('/webhooks/zaptec', zaptecWebhookRoutes(gateway))
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: (request) => (app ? app.fetch(request) : new Response('not ready', { status: 503 })), port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    breakage,
    serve(gateway: ZaptecGateway) {
      app = routesOf(gateway)
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()) }),
  }
}

export const quietLogger = pino({ level: 'silent' })

/**
 * A site set up as `setup` says, `chargerCount` chargers, the adapter (polling only when asked), our
 * web-hook server, and the fake cloud configured with exactly what our setup told the owner to enter.
 */
export async function rig(
  store: Store,
  setup: Omit<ZaptecSetupInput, 'siteId'>,
  o: { chargers?: number; gateway?: Partial<ZaptecGatewayOptions>; cloud?: Partial<FakeZaptecOptions>; listener?: RecordingListener } = {},
) {
  const siteId = await newSite(store)
  const listener = o.listener ?? new RecordingListener()
  const hooks = await startHookServer()
  const zaptecInstallationId = randomUUID()
  const { portal } = await setUpZaptecInstallation(store.db, { siteId, zaptecInstallationId, ...setup }, hooks.url)
  const list = []
  for (let i = 0; i < (o.chargers ?? 1); i++) list.push(await newZaptecCharger(store, siteId))
  const installation: FakeZaptecInstallation = {
    id: zaptecInstallationId,
    authentication: setup.webhooks ? 'webhooks' : 'native',
    webhooks: portal ? fakeWebhooks(portal) : undefined,
    chargers: list.map((c) => ({ id: c.zaptecChargerId, deviceId: c.deviceId })),
  }
  const cloud = await new FakeZaptecCloud({
    accounts: setup.apiUsername ? [{ username: setup.apiUsername, password: setup.apiPassword! }] : [],
    installations: [installation],
    webhookRetryBaseMs: 20,
    webhookTimeoutMs: 2_000,
    tickMs: 50,
    timeScale: 600,
    ...o.cloud,
  }).start()
  const gateway = new ZaptecGateway({ db: store.db, listener, logger: quietLogger, apiBaseUrl: cloud.url, pollSeconds: 0, api: { retryBaseMs: 50, retryMaxMs: 500 }, ...o.gateway })
  hooks.serve(gateway)
  await gateway.start()
  return {
    siteId,
    gateway,
    listener,
    hooks,
    cloud,
    portal,
    chargers: list,
    async close() {
      await gateway.close()
      await cloud.close()
      await hooks.close()
    },
  }
}

/** What the owner enters in Zaptec's portal, as the fake cloud reads it. */
function fakeWebhooks(portal: ZaptecPortalSettings) {
  return {
    sessionStartUrl: portal.sessionStartUrl,
    sessionEndUrl: portal.sessionEndUrl,
    authenticationUrl: portal.authenticationUrl ?? undefined,
    authenticationPayload: portal.authenticationPayload,
  }
}
