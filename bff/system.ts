/**
 * Puts the parts together: storage, payments, the OCPP central system, sessions, the HTTP app,
 * all on one port. Used by bff/index.ts and by the tests, which start the real thing on port 0.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import type { Logger } from 'pino'
import { createApp, type Limits } from './app'
import type { TrustProxy } from './http/client-address'
import type { Store } from './store/db'
import { LiveBus } from './live'
import { OcppCentralSystem } from './charging/ocpp/central-system'
import type { ChargerGateway, ChargerListener } from './charging/gateway'
import { GatewayRouter } from './charging/router'
import { ZaptecGateway } from './charging/zaptec/adapter'
import type { HoldKeeper, PaymentProvider } from './payments/provider'
import { simulatedPaymentsOf } from './payments'
import { Sessions } from './sessions/service'
import { createMailer, type Mailer } from './mail/mailer'
import { SupportDesk } from './support/desk'
import { SupportSweep } from './support/sweep'
import { startTerminals, type Terminals, type TerminalsConfig } from './terminals'
import type { DemoTerminalCloud } from './sim/payter-demo'
import { Cluster } from './cluster/cluster'
import { ClusterGateway } from './cluster/gateway'
import { eq, inArray } from 'drizzle-orm'
import { chargers } from './store/schema'

export interface SystemOptions {
  /** The embedded demo: development outbox, simulated card form and provider. Production (false) unless set. */
  demo?: boolean
  /** Proxies whose X-Forwarded-For names the client (TRUST_PROXY); none by default. */
  trustProxy?: TrustProxy
  store: Store
  payments: PaymentProvider
  logger: Logger
  /** Base URL used in QR codes and receipt links; defaults to the address the server listens on. */
  publicUrl?: string
  port?: number
  host?: string
  clock?: () => Date
  startTimeoutSeconds?: number
  meterIntervalSeconds?: number
  /** Zaptec's API (default https://api.zaptec.com); the fake cloud in the demo and tests. */
  zaptecApiUrl?: string
  /** Longest wait for the unplug after a stop before settling anyway (default 7200). */
  unplugWaitSeconds?: number
  /** A charger clock this far from ours is not believed for billing (default 300). */
  clockToleranceSeconds?: number
  /** How often the session sweep runs (start timeouts, idle fees, retries); 0 turns it off (tests drive tick()). */
  sweepSeconds?: number
  limits?: Partial<Limits>
  staticRoot?: string
  adminTokenHash?: string
  /** Default: the development outbox in the database. */
  mailer?: Mailer
  /** How often the support sweep releases stale holds and flags refused captures (default 600); off with 0 or with `sweepSeconds: 0`. */
  supportSweepSeconds?: number
  /** A hold on an ended session older than this is released by the support sweep (default 24). */
  staleHoldHours?: number
  /** Payment terminals on chargers (Payter, CCV): their clouds, or the local fakes. */
  terminals?: TerminalsConfig
  /** The demo's simulated Payter terminal, driven from the PWA's demo page (demo only). */
  demoTerminal?: DemoTerminalCloud
}

export interface System {
  url: string
  port: number
  server: Server
  app: ReturnType<typeof createApp>
  central: OcppCentralSystem
  sessions: Sessions
  live: LiveBus
  /** This process among the others on the database. */
  cluster: Cluster
  zaptec: ZaptecGateway
  /** Tests run it with run(). */
  supportSweep: SupportSweep
  /** Payment terminals on chargers; tests drive poll() and the CCV requests. */
  terminals: Terminals
  close(): Promise<void>
}

export async function startSystem(o: SystemOptions): Promise<System> {
  const cluster = new Cluster({ db: o.store.db, signals: o.store.signals, logger: o.logger })
  await cluster.start()
  const live = new LiveBus()
  live.connect(o.store.signals, cluster.processId)
  const meterIntervalSeconds = o.meterIntervalSeconds ?? 10
  // Sessions and the gateways need each other: the router reaches the adapters once they exist.
  const gateways: Record<string, ChargerGateway> = {}
  const router = new GatewayRouter(o.store.db, gateways)
  // Payment terminals on chargers register here the holds they keep (see bff/terminals/).
  const holdKeepers: Record<string, HoldKeeper> = {}
  const sessions = new Sessions({
    db: o.store.db,
    payments: o.payments,
    holdKeepers,
    chargers: router,
    live,
    leases: cluster.leases,
    logger: o.logger,
    clock: o.clock,
    startTimeoutSeconds: o.startTimeoutSeconds ?? 120,
    meterIntervalSeconds,
    unplugWaitSeconds: o.unplugWaitSeconds,
    clockToleranceSeconds: o.clockToleranceSeconds,
  })
  const chargerChanged = (chargerId: string) => live.publish(`charger:${chargerId}`, chargerId)
  const listener: ChargerListener = {
    authorize: (e) => sessions.authorizeToken(e),
    chargingStarted: (e) => sessions.chargingStarted(e),
    meterReading: (e) => sessions.meterReading(e),
    chargingStopped: (e) => sessions.chargingStopped(e),
    connectorStatus: async (e) => {
      chargerChanged(e.chargerId)
      await sessions.connectorStatus(e)
    },
    chargerConnection: async (e) => {
      chargerChanged(e.chargerId)
      await sessions.chargerConnection(e)
    },
  }
  const central = new OcppCentralSystem({
    db: o.store.db,
    listener,
    logger: o.logger,
    meterIntervalSeconds,
    clock: o.clock,
    presence: { connected: (id) => cluster.link(id), disconnected: (id) => cluster.unlink(id), elsewhere: (id) => cluster.isHeldElsewhere(id) },
  })
  // OCPP chargers hold a WebSocket to one process: commands reach it wherever they are asked.
  gateways.ocpp = new ClusterGateway(central, cluster)
  cluster.onMoved((id) => void central.drop(id))
  cluster.onDeclaredDead(() => central.dropAll())
  // Chargers held by a process that died are offline until they reconnect (to any process).
  const chargersLost = async (ids: string[]) => {
    const rows = await o.store.db.select({ id: chargers.id, lastSeenAt: chargers.lastSeenAt }).from(chargers).where(inArray(chargers.id, ids))
    for (const r of rows) {
      await o.store.db.update(chargers).set({ online: false }).where(eq(chargers.id, r.id))
      await listener.chargerConnection({ chargerId: r.id, online: false, lastSeenAt: r.lastSeenAt }).catch((error) => o.logger.error({ err: error, chargerId: r.id }, 'recording a lost charger failed'))
    }
  }
  const zaptec = new ZaptecGateway({
    db: o.store.db,
    listener,
    logger: o.logger,
    leases: cluster.leases,
    clock: o.clock,
    apiBaseUrl: o.zaptecApiUrl,
    // the "plug in now" window is the session's start timeout
    waitSeconds: o.startTimeoutSeconds ?? 120,
    pollSeconds: o.sweepSeconds === 0 ? 0 : 5,
  })
  gateways.zaptec = zaptec
  await zaptec.start()

  // Listen first (requests wait for the app), so the public URL can default to the real port.
  let app: ReturnType<typeof createApp> | undefined
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: (request, env) => app!.fetch(request, env), port: o.port ?? 0, hostname: o.host ?? '127.0.0.1' }, () =>
      resolve(s as Server),
    ) as Server
    s.once('error', reject)
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://${o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1'}:${port}`
  const terminals = await startTerminals({
    config: o.terminals ?? {},
    db: o.store.db,
    sessions,
    live,
    logger: o.logger,
    publicUrl: o.publicUrl ?? url,
    holdKeepers,
    pollSeconds: o.sweepSeconds === 0 ? 0 : 5,
    leases: cluster.leases,
  })
  const mailer = o.mailer ?? createMailer({ db: o.store.db, from: 'Laddpunkt <no-reply@laddpunkt.test>' })
  app = createApp({
    demo: o.demo,
    trustProxy: o.trustProxy,
    store: o.store,
    payments: o.payments,
    simulatedPayments: simulatedPaymentsOf(o.payments),
    sessions,
    mailer,
    live,
    logger: o.logger,
    publicUrl: o.publicUrl ?? url,
    ocppReady: () => server.listening,
    isOnline: (id) => router.isOnline(id),
    zaptec,
    terminalWebhooks: terminals.routes,
    terminalBooks: terminals.books,
    demoTerminal: o.demoTerminal,
    limits: o.limits,
    staticRoot: o.staticRoot,
    adminTokenHash: o.adminTokenHash,
  })
  server.on('upgrade', central.handleUpgrade)
  if (o.sweepSeconds !== 0) sessions.startSweeping(o.sweepSeconds ?? 2)
  const reaper = o.sweepSeconds === 0 ? undefined : cluster.reapEvery(2000, chargersLost)
  const deskDeps = { db: o.store.db, sessions, payments: o.payments, mailer, live, logger: o.logger, clock: sessions.clock }
  const supportSweep = new SupportSweep({ ...deskDeps, desk: new SupportDesk(deskDeps), staleHoldHours: o.staleHoldHours, leases: cluster.leases })
  if (o.sweepSeconds !== 0 && o.supportSweepSeconds !== 0) supportSweep.start(o.supportSweepSeconds ?? 600)

  return {
    url,
    port,
    server,
    app,
    central: central,
    zaptec,
    sessions,
    live,
    cluster,
    supportSweep,
    terminals,
    async close() {
      sessions.stopSweeping()
      terminals.close()
      supportSweep.stop()
      clearInterval(reaper)
      await central.close()
      await zaptec.close()
      await cluster.stop()
      server.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
