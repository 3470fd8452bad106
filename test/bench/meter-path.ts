/**
 * The MeterValues path at the speed of the wire (issue 13): the bare ocpp-rpc server (strict 1.6
 * schemas, Basic auth, every handler answers at once) and the whole BFF (central system -> sessions
 * -> database -> live bus, one charging card session per charger) under the same load generator
 * (test/bench/ocpp-load.ts, chargers in a child process), rate stepped up until p99 passes 50 ms.
 * Also: chargers connected in one process with RSS.
 *
 *   npx tsx test/bench/meter-path.ts [--quick] [bare|bff|connections]
 *   DATABASE_URL=postgres://… for PostgreSQL instead of in-memory PGlite.
 */
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { RPCServer } from 'ocpp-rpc'
import type RPCServerClient from 'ocpp-rpc/lib/server-client'
import { boundedOcpp16Validator, maxFrameBytes } from '../../bff/charging/ocpp/limits'
import { hashPassword, hashToken, newToken } from '../../bff/secrets'
import { chargers, connectors, meterSamples, sessions, tariffs } from '../../bff/store/schema'
import { startTestSystem, type TestSystem } from '../support/system'
import type { Db } from '../../bff/store/db'
import { benchPassword, driveChargers, holdChargers, type StepReport } from './ocpp-load'

export interface RateSearch {
  server: string
  chargers: number
  steps: StepReport[]
  /** Highest offered rate answered in full with p99 < 50 ms. */
  sustained: number
  /** The whole BFF: readings in the database after the run (each answered one must be there). */
  stored?: number
}

const p99Target = 50

/** Rates tried one after the other on the same connections; stops after the first step past the knee plus one overload step. */
function ratesFor(quick: boolean): number[] {
  return quick ? [250, 500, 1000, 2000, 4000, 8000] : [250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10_000, 12_000, 16_000]
}

/** The first step warms up and does not count: every charger sends once (its first reading reads its session and transaction), JIT. */
const warmUpFor = (chargers: number) => ({ meterValuesPerSecond: Math.ceil(chargers / 3), seconds: 4 })

function sustainedOf(steps: StepReport[]): number {
  let best = 0
  for (const s of steps.slice(1)) if (s.p99Ms < p99Target && s.unanswered === 0 && s.failed === 0) best = Math.max(best, s.offered)
  return best
}

/** Steps the rate up on the same connections until two steps are past the knee (one to find it, one to see the overload). */
async function searchRate(server: string, endpoint: string, ids: string[], idTags: string[] | undefined, quick: boolean): Promise<RateSearch> {
  const seconds = quick ? 4 : 8
  const steps = [warmUpFor(ids.length), ...ratesFor(quick).map((meterValuesPerSecond) => ({ meterValuesPerSecond, seconds }))]
  console.error(`[meter-path] ${server}, ${ids.length} chargers`)
  const report = await driveChargers({ endpoint, ids, password: benchPassword, idTags, steps, settleMs: 10_000, stopPastKnee: p99Target })
  return { server, chargers: report.connected, steps: report.steps, sustained: sustainedOf(report.steps) }
}

/** ocpp-rpc with nothing behind it: what the wire and the library cost. */
async function bareServer(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const rpc = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true, strictModeValidators: [boundedOcpp16Validator()], wssOptions: { maxPayload: maxFrameBytes } })
  const expected = Buffer.from(benchPassword)
  rpc.auth((accept, reject, handshake) => (handshake.password?.equals(expected) ? accept({}) : reject(401, 'Unauthorized')))
  let transactionId = 0
  rpc.on('client', (client: RPCServerClient) => {
    client.handle('BootNotification', async () => ({ status: 'Accepted', interval: 300, currentTime: new Date().toISOString() }))
    client.handle('StartTransaction', async () => ({ transactionId: ++transactionId, idTagInfo: { status: 'Accepted' } }))
    client.handle('MeterValues', async () => ({}))
  })
  const server = http.createServer((_req, res) => res.writeHead(404).end())
  server.on('upgrade', (req, socket, head) => void rpc.handleUpgrade(req, socket as never, head))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    endpoint: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ocpp`,
    close: async () => {
      await rpc.close({ code: 1001 })
      server.close()
    },
  }
}

/** `count` OCPP chargers LOAD-1 … on site `demo` and, with `sessions`, a card session waiting for each one's start. */
export async function seedLoadChargers(db: Db, count: number, o: { sessions: boolean; prefix?: string }): Promise<{ ids: string[]; idTags: string[]; passwordHash: string }> {
  const prefix = o.prefix ?? 'LOAD'
  const [tariff] = await db.select().from(tariffs).limit(1)
  const passwordHash = await hashPassword(benchPassword)
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`)
  const idTags = ids.map((_, i) => `B${prefix}${i + 1}`)
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500)
    await db.insert(chargers).values(chunk.map((id) => ({ id, siteId: 'demo', tariffId: tariff.id, passwordHash })))
    await db.insert(connectors).values(chunk.map((id) => ({ chargerId: id, connectorId: 1, evseId: `SE*BEN*E${id}*1`, plug: 'Type2', maxPowerW: 11_000 })))
    if (!o.sessions) continue
    await db.insert(sessions).values(
      chunk.map((chargerId, j) => ({
        id: newToken(12),
        state: 'starting' as const,
        chargerId,
        connectorId: 1,
        siteId: 'demo',
        method: 'card' as const,
        idTag: idTags[i + j],
        tariff: { currency: tariff.currency, vatRateBp: tariff.vatRateBp, components: tariff.components },
        currency: tariff.currency,
        holdAmount: 1_000_000_000,
        holdStatus: 'held' as const,
        paymentId: `bench-${chargerId}`,
        stopTokenHash: hashToken(newToken()),
        receiptTokenHash: hashToken(newToken()),
        startDeadline: new Date(Date.now() + 3600_000),
      })),
    )
  }
  return { ids, idTags, passwordHash }
}

/**
 * The whole BFF with `count` OCPP chargers and, for each, a card session waiting for its start
 * (hold confirmed, idTag `BLOAD<n>`): the charger's StartTransaction makes it charging.
 */
export async function bffWithChargers(count: number, o: { sessions: boolean }): Promise<{ sys: TestSystem; ids: string[]; idTags: string[] }> {
  const sys = await startTestSystem({ meterIntervalSeconds: 10 })
  const { ids, idTags, passwordHash } = await seedLoadChargers(sys.store.db, count, o)
  // One scrypt per charger at its first connect would make these password-hashing benches (minutes
  // for 10,000 on two cores): the central system's cache of verified passwords is filled as after
  // earlier connects of the same chargers.
  const verified = (sys.central as unknown as { verified: Map<string, { passwordHash: string; passwordDigest: string }> }).verified
  const digest = hashToken(Buffer.from(benchPassword).toString('base64'))
  for (const id of ids) verified.set(id, { passwordHash, passwordDigest: digest })
  return { sys, ids, idTags }
}

export async function benchBare(chargerCount: number, quick: boolean): Promise<RateSearch> {
  const bare = await bareServer()
  try {
    return await searchRate('bare ocpp-rpc', bare.endpoint, Array.from({ length: chargerCount }, (_, i) => `LOAD-${i + 1}`), undefined, quick)
  } finally {
    await bare.close()
  }
}

export async function benchBff(chargerCount: number, quick: boolean): Promise<RateSearch> {
  const { sys, ids, idTags } = await bffWithChargers(chargerCount, { sessions: true })
  try {
    const result = await searchRate(`whole BFF, ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, `ws://127.0.0.1:${sys.port}/ocpp`, ids, idTags, quick)
    // Readings are answered from a buffer and written within milliseconds: counted, not assumed
    // (given up to 10 s to reach what was answered, then reported as they are).
    const answered = result.steps.reduce((n, step) => n + step.answered, 0)
    let stored = 0
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      if ((stored = await sys.store.db.$count(meterSamples)) >= answered) break
    }
    return { ...result, stored }
  } finally {
    await sys.close()
  }
}

/** Idle chargers (booted, no transaction) connected to the whole BFF; RSS of this process at its peak (the connect storm) and 3 s after. */
export async function benchConnections(count: number): Promise<{ connected: number; connectSeconds: number; rssMb: number; settledRssMb: number; baselineRssMb: number }> {
  const { sys, ids } = await bffWithChargers(count, { sessions: false })
  global.gc?.()
  const baselineRss = process.memoryUsage().rss
  let peakRss = baselineRss
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250)
  try {
    const held = await holdChargers({ endpoint: `ws://127.0.0.1:${sys.port}/ocpp`, ids, password: benchPassword, idle: true })
    await new Promise((r) => setTimeout(r, 3000))
    global.gc?.()
    const settledRss = process.memoryUsage().rss
    held.disconnect()
    const mb = (n: number) => Math.round(n / 2 ** 20)
    return { connected: held.report.connected, connectSeconds: held.report.connectSeconds, rssMb: mb(peakRss), settledRssMb: mb(settledRss), baselineRssMb: mb(baselineRss) }
  } finally {
    clearInterval(sampler)
    await sys.close()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  const which = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'bff'
  const run = async () => {
    if (which === 'bare') return benchBare(500, quick)
    if (which === 'connections') return benchConnections(Number(process.argv[3]) || (quick ? 2000 : 10_000))
    return benchBff(500, quick)
  }
  run().then(
    (result) => {
      console.log(JSON.stringify(result))
      process.exit(0)
    },
    (error) => {
      console.error(error)
      process.exit(1)
    },
  )
}
