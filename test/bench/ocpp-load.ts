/**
 * Load on the OCPP central system: N chargers connected at once, MeterValues at a fixed total rate,
 * round-trip latency measured at the charger (call -> result). The central system and in-memory
 * PGlite run in this process; the chargers run in a forked child process (raw `ws` sockets speaking
 * OCPP-J frames) so that their work does not count against the server.
 *
 *   npx tsx test/bench/ocpp-load.ts [chargers] [meterValuesPerSecond] [seconds]
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath, pathToFileURL } from 'node:url'
import pino from 'pino'
import WebSocket from 'ws'
import type { ChargerListener } from '../../bff/charging/gateway'
import { OcppCentralSystem } from '../../bff/charging/ocpp/central-system'
import { hashPassword } from '../../bff/secrets'
import { chargers, connectors, tariffs } from '../../bff/store/schema'
import { openDemoStore } from '../support/store'

export interface OcppLoadResult {
  connected: number
  messagesPerSecond: number
  p50Ms: number
  p99Ms: number
  rssMb: number
  /** RSS with the database open and no charger connected: the embedded PGlite alone takes most of it. */
  baselineRssMb: number
}

export interface ClientJob {
  endpoint: string
  ids: string[]
  password: string
  /** idTag of each charger's StartTransaction (default LP-BENCH for all). */
  idTags?: string[]
  /** Load steps one after the other on the same connections; empty: connect and start only. */
  steps: { meterValuesPerSecond: number; seconds: number }[]
  /** Without transactions (a connected, idle charger that starts one when told to remotely), for the connection-count and start benches. */
  idle?: boolean
  /** Pause between connecting and the first step (the server's follow-ups of the connects). */
  settleMs?: number
  /** Stop after two steps in a row (the first, a warm-up, aside) whose p99 reaches this many ms: the knee and past it. */
  stopPastKnee?: number
}

export interface StepReport {
  offered: number
  sent: number
  answered: number
  failed: number
  unanswered: number
  p50Ms: number
  p99Ms: number
}

export interface ClientReport {
  connected: number
  connectSeconds: number
  steps: StepReport[]
}

const clientFlag = '--ocpp-load-clients'
export const benchPassword = 'bench-charger-password'
const password = benchPassword

const noopListener: ChargerListener = {
  authorize: async () => 'accepted',
  chargingStarted: async (e) => `session-${e.token}`,
  meterReading: async () => {},
  chargingStopped: async () => {},
  connectorStatus: async () => {},
  chargerConnection: async () => {},
}

export async function benchOcppLoad(opts: { chargers: number; meterValuesPerSecond: number; seconds: number }): Promise<OcppLoadResult> {
  // In-memory PGlite, or a fresh PostgreSQL database when DATABASE_URL is set.
  const store = await openDemoStore()
  const [tariff] = await store.db.select().from(tariffs).limit(1)
  const passwordHash = await hashPassword(password) // one hash for all: the bench is not about scrypt at rest
  const ids = Array.from({ length: opts.chargers }, (_, i) => `LOAD-${i + 1}`)
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500)
    await store.db.insert(chargers).values(chunk.map((id) => ({ id, siteId: 'demo', tariffId: tariff.id, passwordHash })))
    await store.db
      .insert(connectors)
      .values(chunk.map((id) => ({ chargerId: id, connectorId: 1, evseId: `SE*BEN*E${id}*1`, plug: 'Type2', maxPowerW: 11_000 })))
  }

  const central = new OcppCentralSystem({ db: store.db, listener: noopListener, logger: pino({ level: 'silent' }), meterIntervalSeconds: 10 })
  const server = http.createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', central.handleUpgrade)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const endpoint = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ocpp`

  const baselineRss = process.memoryUsage().rss
  let peakRss = baselineRss
  const rssSampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250)
  try {
    const report = await driveChargers({ endpoint, ids, password, steps: [{ meterValuesPerSecond: opts.meterValuesPerSecond, seconds: opts.seconds }] })
    const step = report.steps[0]
    console.error(
      `[ocpp-load] connected ${report.connected}/${opts.chargers} in ${report.connectSeconds.toFixed(1)} s; ` +
        `MeterValues sent ${step.sent}, answered ${step.answered}, failed ${step.failed}`,
    )
    return {
      connected: report.connected,
      messagesPerSecond: round(step.answered / opts.seconds),
      p50Ms: step.p50Ms,
      p99Ms: step.p99Ms,
      rssMb: Math.round(peakRss / 1024 / 1024),
      baselineRssMb: Math.round(baselineRss / 1024 / 1024),
    }
  } finally {
    clearInterval(rssSampler)
    await central.close()
    server.close()
    await store.close()
  }
}

/** Runs the simulated chargers in a child process (their work does not count against the server) and returns its report. */
export async function driveChargers(job: ClientJob): Promise<ClientReport> {
  const child = fork(fileURLToPath(import.meta.url), [clientFlag], { stdio: 'inherit' })
  child.send(job)
  const report = await reportOf(child)
  child.kill()
  return report
}

/** The child's report; a child that dies first fails the bench instead of hanging it. */
async function reportOf(child: ChildProcess): Promise<ClientReport> {
  const died = once(child, 'exit').then(([code]) => Promise.reject(new Error(`the chargers' process exited (${code}) before reporting`)))
  const [report] = (await Promise.race([once(child, 'message'), died])) as [ClientReport]
  return report
}

/** Chargers connected (and booted) from a child process and kept connected until `disconnect()`. */
export async function holdChargers(job: Omit<ClientJob, 'steps'>): Promise<{ report: ClientReport; disconnect: () => void }> {
  const child = fork(fileURLToPath(import.meta.url), [clientFlag], { stdio: 'inherit' })
  child.send({ ...job, steps: [] })
  return { report: await reportOf(child), disconnect: () => void child.kill() }
}

const round = (n: number) => Math.round(n * 100) / 100

/** Child side: plain WebSockets speaking OCPP-J, as light as a charger can be. */
async function runClients(job: ClientJob): Promise<ClientReport> {
  const pending = new Map<string, { sentAt: number; resolve: (result: any) => void; reject: (e: Error) => void }>()
  let nextId = 0
  const call = (ws: WebSocket, action: string, params: object): Promise<any> =>
    new Promise((resolve, reject) => {
      const id = String(++nextId)
      pending.set(id, { sentAt: performance.now(), resolve, reject })
      ws.send(JSON.stringify([2, id, action, params]))
    })
  const onFrame = (ws: WebSocket, data: WebSocket.RawData) => {
    const [type, id, a, b] = JSON.parse(data.toString())
    if (type === 2) {
      ws.send(JSON.stringify([3, id, { status: 'Accepted' }])) // ChangeConfiguration, RemoteStartTransaction …
      // The car is plugged in already: a remote start starts a transaction with the driver's idTag.
      if (a === 'RemoteStartTransaction') {
        call(ws, 'StartTransaction', { connectorId: b.connectorId ?? 1, idTag: b.idTag, meterStart: 1_000_000, timestamp: new Date().toISOString() }).catch(() => {})
      }
      return
    }
    const waiting = pending.get(id)
    if (!waiting) return
    pending.delete(id)
    if (type === 3) waiting.resolve(a)
    else waiting.reject(new Error(`${a}: ${b}`))
  }

  const connectStart = performance.now()
  const sockets: Array<{ ws: WebSocket; transactionId: number; energyWh: number }> = []
  const connectOne = async (id: string, index: number) => {
    const ws = new WebSocket(`${job.endpoint}/${id}`, ['ocpp1.6'], {
      headers: { authorization: `Basic ${Buffer.from(`${id}:${job.password}`).toString('base64')}` },
      perMessageDeflate: false,
    })
    ws.on('message', (data) => onFrame(ws, data))
    ws.on('error', () => {})
    await once(ws, 'open')
    await call(ws, 'BootNotification', { chargePointVendor: 'Bench', chargePointModel: 'Load' })
    const energyWh = 1_000_000
    if (job.idle) return void sockets.push({ ws, transactionId: 0, energyWh })
    const idTag = job.idTags?.[index] ?? 'LP-BENCH'
    const started = await call(ws, 'StartTransaction', { connectorId: 1, idTag, meterStart: energyWh, timestamp: new Date().toISOString() })
    sockets.push({ ws, transactionId: started.transactionId, energyWh })
  }
  const queue = job.ids.map((id, index) => ({ id, index }))
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await connectOne(next.id, next.index).catch(() => {})
    }),
  )
  const connectSeconds = (performance.now() - connectStart) / 1000
  const steps: StepReport[] = []
  let pastKnee = 0
  if (job.steps.length > 0) await new Promise((r) => setTimeout(r, job.settleMs ?? 0))
  for (const step of job.steps) {
    const report = await runStep(sockets, call, step)
    steps.push(report)
    console.error(`[ocpp-load] ${step.meterValuesPerSecond}/s offered: ${report.answered} answered, ${report.unanswered} unanswered, ${report.failed} failed, p50 ${report.p50Ms} ms, p99 ${report.p99Ms} ms`)
    // Two steps in a row: one spike from a busy machine does not end the search.
    if (job.stopPastKnee && steps.length > 1) pastKnee = report.p99Ms >= job.stopPastKnee || report.unanswered > 0 ? pastKnee + 1 : 0
    if (pastKnee >= 2) break
    await new Promise((r) => setTimeout(r, 1000)) // let the server drain before the next rate
  }
  if (job.steps.length === 0) {
    process.send!({ connected: sockets.length, connectSeconds, steps })
    await new Promise(() => {}) // connected until the parent kills this process
  }
  for (const s of sockets) s.ws.terminate()
  return { connected: sockets.length, connectSeconds, steps }
}

/** MeterValues round-robin over the chargers at a fixed total rate; latency measured call -> result. */
async function runStep(
  sockets: Array<{ ws: WebSocket; transactionId: number; energyWh: number }>,
  call: (ws: WebSocket, action: string, params: object) => Promise<any>,
  step: { meterValuesPerSecond: number; seconds: number },
): Promise<StepReport> {
  const latenciesMs: number[] = []
  let sent = 0
  let failed = 0
  let cursor = 0
  const inFlight: Promise<void>[] = []
  const begin = performance.now()
  for (let elapsed = 0; elapsed < step.seconds * 1000 && sockets.length > 0; elapsed = performance.now() - begin) {
    // Catch up to the schedule: timers drift, the rate must not.
    const due = Math.floor((elapsed / 1000) * step.meterValuesPerSecond)
    while (sent < due) {
      const s = sockets[cursor++ % sockets.length]
      s.energyWh += 30
      const t0 = performance.now()
      sent++
      inFlight.push(
        call(s.ws, 'MeterValues', {
          connectorId: 1,
          transactionId: s.transactionId,
          meterValue: [{
            timestamp: new Date().toISOString(),
            sampledValue: [
              { value: String(s.energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
              { value: '10900', measurand: 'Power.Active.Import', unit: 'W', context: 'Sample.Periodic' },
            ],
          }],
        }).then(
          () => void latenciesMs.push(performance.now() - t0),
          () => void failed++,
        ),
      )
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  // Answers later than 5 s after the step count as unanswered (a charger would have timed out).
  await Promise.race([Promise.allSettled(inFlight), new Promise((r) => setTimeout(r, 5_000))])
  const sorted = latenciesMs.sort((a, b) => a - b)
  const pct = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN)
  const answered = latenciesMs.length
  return { offered: step.meterValuesPerSecond, sent, answered, failed, unanswered: sent - answered - failed, p50Ms: pct(50), p99Ms: pct(99) }
}

if (process.argv.includes(clientFlag)) {
  process.once('message', (job: ClientJob) => {
    runClients(job).then(
      (report) => process.send!(report, () => process.exit(0)),
      (error) => {
        console.error(error)
        process.exit(1)
      },
    )
  })
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [chargerCount = 2000, rate = 400, seconds = 20] = process.argv.slice(2).map(Number)
  benchOcppLoad({ chargers: chargerCount, meterValuesPerSecond: rate, seconds }).then((result) => {
    console.log(JSON.stringify(result))
    const met = result.p99Ms < 50 && result.rssMb < 400 && result.connected === chargerCount
    console.log(`target (all connected, p99 < 50 ms, RSS < 400 MB): ${met ? 'met' : 'NOT met'}`)
  })
}
