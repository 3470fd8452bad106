/**
 * The real BFF as a child process (`node --import tsx bff/index.ts`), on a fresh embedded database
 * or a fresh PostgreSQL database, with its Stripe client pointed at the fake Stripe. It can be
 * SIGKILLed and started again on the same data, as a crash would.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openStore } from '../../bff/store/db'
import { seedDemo } from '../../bff/store/seed'
import { provisionCharger } from '../../bff/chargers/provision'
import { addTerminal } from '../../bff/terminals/provision'

/** The terminals on every campaign charger: one Payter, one CCV IM30 (see terminalOf). */
export const terminalOf = (chargerId: string, provider: 'payter' | 'ccv') => `${provider === 'payter' ? 'P68' : 'IM30'}-${chargerId}`

const root = join(import.meta.dirname, '..', '..')

/** Server settings the campaign runs with: short, so 1,000 sessions take minutes. */
export const serverSettings = {
  startTimeoutSeconds: 20,
  meterIntervalSeconds: 1,
  unplugWaitMinutes: 1,
  clockToleranceSeconds: 120,
  /** The session sweep's period (bff/system.ts default; not configurable from the environment). */
  sweepSeconds: 2,
}

/** How long after the charger and the driver are done a session must be final: start timeout + unplug wait + sweep + slack. */
export function finalBoundMs(slackSeconds = 30): number {
  const s = serverSettings
  return (s.startTimeoutSeconds + s.unplugWaitMinutes * 60 + s.sweepSeconds + slackSeconds) * 1000
}

export const webhookSecret = 'whsec_campaign_secret'

export interface ChargerLogin {
  id: string
  password: string
}

export interface Bff {
  base: string
  port: number
  chargers: ChargerLogin[]
  /** Outages (SIGKILL to ready again), for extending a session's bound by the time the BFF was down. */
  outages: { from: number; to: number }[]
  /** SIGKILL now and start again on the same data; concurrent calls share one restart. */
  kill(): Promise<void>
  stop(): Promise<void>
  /** Sessions' event logs from the database (after stop() for the embedded one). */
  events(sessionIds: string[]): Promise<Map<string, { at: string; kind: string; data: unknown }[]>>
  logFile: string
}

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const { port } = probe.address() as { port: number }
  await new Promise((r) => probe.close(r))
  return port
}

export async function startBff(o: {
  db: 'pglite' | 'postgres'
  postgresUrl: string
  chargers: number
  stripePort: number
  /** The terminal providers' fakes: the BFF's PAYTER_/CCV_API_URL and keys. */
  payter: { url: string; apiKey: string }
  ccv: { url: string; apiKey: string }
}): Promise<Bff> {
  const work = mkdtempSync(join(tmpdir(), 'laddpunkt-campaign-'))
  const dataDir = join(work, 'data')
  let databaseUrl = ''
  let dropDatabase = async () => {}
  if (o.db === 'postgres') {
    const name = `laddpunkt_campaign_${process.pid}_${Date.now().toString(36)}`
    const admin = new pg.Client({ connectionString: o.postgresUrl })
    await admin.connect()
    await admin.query(`create database ${name}`)
    await admin.end()
    const url = new URL(o.postgresUrl)
    url.pathname = `/${name}`
    databaseUrl = url.toString()
    dropDatabase = async () => {
      const again = new pg.Client({ connectionString: o.postgresUrl })
      await again.connect()
      await again.query(`drop database if exists ${name} with (force)`)
      await again.end()
    }
  }
  const storeOptions = () => (databaseUrl ? { databaseUrl } : { dataDir })

  // The demo site and its tariff, plus the campaign's chargers and their terminals, provisioned as an operator would.
  const chargers: ChargerLogin[] = []
  {
    const store = await openStore(storeOptions())
    try {
      await seedDemo(store.db)
      for (let i = 1; i <= o.chargers; i++) {
        const id = `CAMP-${String(i).padStart(4, '0')}`
        const created: { password?: string } = await provisionCharger(store.db, { id, siteId: 'demo', connectors: 1, maxPowerW: 350_000, plug: 'CCS2' }, 'http://127.0.0.1')
        chargers.push({ id, password: created.password! })
        await addTerminal(store.db, { id: terminalOf(id, 'payter'), chargerId: id, provider: 'payter' })
        await addTerminal(store.db, { id: terminalOf(id, 'ccv'), chargerId: id, provider: 'ccv' })
      }
    } finally {
      await store.close()
    }
  }

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const logFile = join(work, 'bff.log')
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' })
  const s = serverSettings
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    // The terminals' clouds call their web hooks here.
    PUBLIC_URL: base,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    SIM_CHARGERS: '0',
    LOG_LEVEL: process.env.CAMPAIGN_LOG_LEVEL ?? 'warn',
    STRIPE_SECRET_KEY: 'sk_test_campaign',
    STRIPE_PUBLISHABLE_KEY: 'pk_test_campaign',
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    STRIPE_API_BASE: `http://127.0.0.1:${o.stripePort}`,
    PAYTER_API_URL: o.payter.url,
    PAYTER_API_KEY: o.payter.apiKey,
    CCV_API_URL: o.ccv.url,
    CCV_API_KEY: o.ccv.apiKey,
    // Production mode needs a mail server; no mail is sent in the campaign.
    SMTP_URL: 'smtp://127.0.0.1:9',
    // Drivers reach us through a proxy on loopback: each has its own address for the rate limits.
    TRUST_PROXY: '127.0.0.1',
    START_TIMEOUT_SECONDS: String(s.startTimeoutSeconds),
    METER_INTERVAL_SECONDS: String(s.meterIntervalSeconds),
    UNPLUG_WAIT_MINUTES: String(s.unplugWaitMinutes),
    CHARGER_CLOCK_TOLERANCE_SECONDS: String(s.clockToleranceSeconds),
  }

  let child: ChildProcess | null = null
  async function start() {
    log.write(`\n=== start ${new Date().toISOString()} ===\n`)
    child = spawn(process.execPath, ['--import', 'tsx', 'bff/index.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.pipe(log, { end: false })
    child.stderr!.pipe(log, { end: false })
    const started = child
    const deadline = Date.now() + 120_000
    for (;;) {
      if (started.exitCode !== null) throw new Error(`the BFF exited with ${started.exitCode} at start (see ${logFile})`)
      if ((await fetch(`${base}/readyz`).catch(() => null))?.ok) return
      if (Date.now() > deadline) throw new Error(`the BFF did not get ready (see ${logFile})`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async function killNow(signal: NodeJS.Signals) {
    const running = child
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise((r) => running.once('exit', r))
    running.kill(signal)
    await exited
  }

  // Never leave the BFF behind when this process goes (a test timeout, Ctrl-C).
  const orphanGuard = () => child?.kill('SIGKILL')
  process.once('exit', orphanGuard)

  const outages: { from: number; to: number }[] = []
  let restarting: Promise<void> | null = null
  await start()

  return {
    base,
    port,
    chargers,
    outages,
    logFile,
    kill() {
      restarting ??= (async () => {
        const from = Date.now()
        log.write(`\n=== SIGKILL ${new Date().toISOString()} ===\n`)
        await killNow('SIGKILL')
        await start()
        outages.push({ from, to: Date.now() })
      })().finally(() => {
        restarting = null
      })
      return restarting
    },
    async stop() {
      await restarting
      await killNow('SIGTERM')
      process.off('exit', orphanGuard)
      log.end()
    },
    async events(ids) {
      const store = await openStore(storeOptions())
      try {
        const { sessionEvents } = await import('../../bff/store/schema')
        const { inArray, asc } = await import('drizzle-orm')
        const rows = ids.length ? await store.db.select().from(sessionEvents).where(inArray(sessionEvents.sessionId, ids)).orderBy(asc(sessionEvents.id)) : []
        const byId = new Map<string, { at: string; kind: string; data: unknown }[]>()
        for (const r of rows) {
          const list = byId.get(r.sessionId) ?? byId.set(r.sessionId, []).get(r.sessionId)!
          list.push({ at: r.at.toISOString(), kind: r.kind, data: r.data })
        }
        return byId
      } finally {
        await store.close()
        if (!process.env.CAMPAIGN_KEEP) {
          await dropDatabase()
          rmSync(dataDir, { recursive: true, force: true })
        }
      }
    },
  }
}
