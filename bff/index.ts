/** Reads the configuration, opens storage, starts HTTP + OCPP on one port and the demo chargers. */
import { chmodSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { readEnv, type Env } from './env'
import { openStore, type Store } from './store/db'
import { seedDemo } from './store/seed'
import { createPaymentProvider } from './payments'
import { ownDemoFleetCharger, seedCollectionDemo } from './payments/collection/demo'
import { startSystem } from './system'
import { createMailer } from './mail/mailer'
import { demoFleetConfig, startSimFleet } from './sim/fleet'
import { seedZaptecDemo, startZaptecDemo } from './sim/zaptec-demo'
import { demoPayter, seedPayterDemo, startPayterDemo } from './sim/payter-demo'
import { hashToken, newToken } from './secrets'

const staticRoot = fileURLToPath(new URL('../dist', import.meta.url))

async function main() {
  const env = readEnv()
  const logger = pino({ level: env.LOG_LEVEL })
  const store = await openStoreOrExplain(env, logger)
  if (env.demo && (await seedDemo(store.db))) logger.info('seeded the demo site "demo" with chargers DEMO-1 … DEMO-4')
  // With simulated payments the demo shows both ways of collecting; with Stripe test keys owners set them up for real.
  const collectionDemo = env.demo && !env.STRIPE_SECRET_KEY
  if (collectionDemo && (await seedCollectionDemo(store.db, env.PLATFORM_FEE_BP))) logger.info('seeded the collection demo: "demo" in platform mode, "demo-own" (charger OWN-1) collecting on its own account')
  if (env.demo && (await seedZaptecDemo(store.db))) logger.info('seeded ZAPTEC-1, a Zaptec charger behind the local fake of Zaptec\'s cloud')
  // The demo's Zaptec charger lives in a local fake of Zaptec's cloud, with the simulated OCPP chargers.
  if (env.demo && (await seedPayterDemo(store.db))) logger.info(`seeded ${demoPayter.terminalId}, a Payter card terminal on ${demoPayter.chargerId} behind the local fake of Payter's cloud`)
  // The demo's card terminal lives in a local fake of Payter's Cloud Payment Service; /demo/terminal/<id> taps its cards.
  const payterDemo = env.demo && env.SIM_CHARGERS ? await startPayterDemo() : null
  const zaptecDemo = env.demo && env.SIM_CHARGERS ? await startZaptecDemo({ logger: logger.child({ sim: 'zaptec' }), unplugAfterStopMs: env.SIM_UNPLUG_SECONDS * 1000 }) : null

  // The command line reaches a running server with this token (the embedded database allows one process).
  const adminToken = newToken()
  const adminTokenFile = join(env.DATA_DIR, 'admin.token')
  if (store.kind === 'pglite') {
    writeFileSync(adminTokenFile, JSON.stringify({ token: adminToken, port: env.PORT }))
    chmodSync(adminTokenFile, 0o600)
  }

  const payments = createPaymentProvider(env, store.db)
  const system = await startSystem({
    demo: env.demo,
    trustProxy: env.TRUST_PROXY,
    store,
    payments,
    logger,
    port: env.PORT,
    host: env.HOST,
    publicUrl: env.PUBLIC_URL,
    startTimeoutSeconds: env.START_TIMEOUT_SECONDS,
    meterIntervalSeconds: env.METER_INTERVAL_SECONDS,
    unplugWaitSeconds: env.UNPLUG_WAIT_MINUTES * 60,
    clockToleranceSeconds: env.CHARGER_CLOCK_TOLERANCE_SECONDS,
    zaptecApiUrl: zaptecDemo?.url,
    terminals: {
      payter: payterDemo ? { apiUrl: payterDemo.url, apiKey: payterDemo.apiKey } : env.PAYTER_API_KEY ? { apiUrl: env.PAYTER_API_URL, apiKey: env.PAYTER_API_KEY } : undefined,
      ccv: env.CCV_API_KEY ? { apiUrl: env.CCV_API_URL, apiKey: env.CCV_API_KEY } : undefined,
    },
    demoTerminal: payterDemo ?? undefined,
    staticRoot: existsSync(staticRoot) ? staticRoot : undefined,
    adminTokenHash: hashToken(adminToken),
    mailer: createMailer({ smtpUrl: env.SMTP_URL, from: env.MAIL_FROM, db: store.db }),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new Error(`Port ${env.PORT} is already in use: stop the other program or set PORT.`)
    if (error.code === 'EACCES') throw new Error(`Not allowed to listen on port ${env.PORT}: pick a port above 1024 with PORT.`)
    throw error
  })
  logger.info(`Laddpunkt is running at ${env.PUBLIC_URL} (${env.demo ? 'demo' : 'production'}, payments: ${payments.name}, storage: ${store.kind})`)

  const fleet = env.SIM_CHARGERS
    ? await startSimFleet({ endpoint: `ws://127.0.0.1:${system.port}/ocpp`, chargers: [...demoFleetConfig(), ...(collectionDemo ? [ownDemoFleetCharger] : [])], autoUnplugDelayMs: env.SIM_UNPLUG_SECONDS * 1000, logger: logger.child({ sim: true }) })
    : null
  zaptecDemo?.connect(system.url, system.zaptec)
  if (fleet) logger.info(`simulated chargers connected: ${[...fleet.chargePoints.keys()].join(', ')} — try ${env.PUBLIC_URL}/c/DEMO-1`)
  if (payterDemo) logger.info(`simulated card terminal on ${demoPayter.chargerId}: tap test cards at ${env.PUBLIC_URL}/demo/terminal/${demoPayter.terminalId}`)

  const shutdown = async () => {
    logger.info('shutting down')
    await fleet?.close()
    await system.close()
    await zaptecDemo?.close()
    await payterDemo?.close()
    await store.close()
    process.exit(0)
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

async function openStoreOrExplain(env: Env, logger: pino.Logger): Promise<Store> {
  try {
    return await openStore(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, logger } : { dataDir: env.DATA_DIR })
  } catch (error) {
    throw new Error(`Cannot open the database: ${(error as Error).message}`)
  }
}

main().catch((error: Error) => {
  console.error(`laddpunkt: ${error.message}`)
  process.exit(1)
})
