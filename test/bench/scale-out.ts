/**
 * Scale-out (issue 14): 1, 2 and 4 BFF processes (`bff/index.ts`, production mode) on one
 * PostgreSQL behind a round-robin balancer, on this machine. For each: the sustained MeterValues
 * rate at p99 < 50 ms with a charging session per charger (the chargers spread over the processes
 * by the balancer), and drivers starting sessions: hold, confirm, start, where the HTTP request and
 * the charger's WebSocket are usually on different processes (the RemoteStart crosses over).
 *
 *   npx tsx test/bench/scale-out.ts [--quick]
 */
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { SMTPServer } from 'smtp-server'
import { openStore } from '../../bff/store/db'
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe'
import { demoDatabase, startBalancer, startBff, type BffProcess } from '../support/cluster'
import { benchPassword, driveChargers, holdChargers, type StepReport } from './ocpp-load'
import { seedLoadChargers } from './meter-path'
import { percentile } from './sessions'

export interface ScaleOutResult {
  processes: number
  chargers: number
  meterSteps: StepReport[]
  /** Highest MeterValues/s answered in full with p99 < 50 ms. */
  sustainedMeterValues: number
  starts: number
  startsPerSecond: number
  startP50Ms: number
  startP99Ms: number
  refusedStarts: number
}

const card = { brand: 'visa', last4: '4242', fingerprint: 'fp_visa_4242' }

async function post(base: string, path: string, body: unknown, headers: Record<string, string>) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', origin: base, ...headers }, body: JSON.stringify(body) })
  return { status: r.status, body: (await r.json().catch(() => null)) as any }
}

/** One run: `processes` BFFs on a fresh database. */
export async function benchScaleOut(o: { processes: number; chargers: number; starts: number; quick: boolean; stripe: FakeStripe; smtpUrl: string }): Promise<ScaleOutResult> {
  const db = await demoDatabase('laddpunkt_bench_scale')
  const store = await openStore({ databaseUrl: db.url })
  const load = await seedLoadChargers(store.db, o.chargers, { sessions: true })
  const drivers = await seedLoadChargers(store.db, o.starts, { sessions: false, prefix: 'START' })
  await store.close()
  const env = {
    DATABASE_URL: db.url,
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_PUBLISHABLE_KEY: 'pk_test_bench',
    STRIPE_WEBHOOK_SECRET: 'whsec_bench',
    STRIPE_API_BASE: `http://127.0.0.1:${o.stripe.port}`,
    SMTP_URL: o.smtpUrl,
    PLATFORM_LEGAL_NAME: 'Laddpunkt Bench AB',
    PLATFORM_ORG_NUMBER: '559123-4567',
    PLATFORM_VAT_NUMBER: 'SE559123456701',
    PLATFORM_ADDRESS: 'Sveavägen 44, 111 34 Stockholm',
    METER_INTERVAL_SECONDS: '10',
    // Drivers arrive through the balancer: their own addresses are in X-Forwarded-For.
    TRUST_PROXY: '1',
  }
  const bffs: BffProcess[] = await Promise.all(Array.from({ length: o.processes }, (_, i) => startBff(`P${i + 1}`, env)))
  const balancer = await startBalancer(() => bffs.map((b) => b.port), 'round-robin')
  const endpoint = `ws://127.0.0.1:${balancer.port}/ocpp`
  try {
    // Drivers' chargers first, held connected (idle: they accept RemoteStart) while drivers press Start.
    const held = await holdChargers({ endpoint, ids: drivers.ids, password: benchPassword, idle: true })
    await new Promise((r) => setTimeout(r, 3000)) // every process hears of every charger
    const latencies: number[] = []
    let refused = 0
    let next = 0
    const began = performance.now()
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < drivers.ids.length; i = next++) {
          const base = bffs[i % bffs.length].url
          const headers = { 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'idempotency-key': randomUUID() }
          const t0 = performance.now()
          const created = await post(base, '/api/sessions', { chargerId: drivers.ids[i], connectorId: 1, method: 'card' }, headers)
          if (created.status !== 201) {
            refused++
            continue
          }
          const [intent] = o.stripe.intentsOf(created.body.session.id)
          o.stripe.confirm(intent, { card })
          const started = await post(base, `/api/sessions/${created.body.session.id}/authorize`, {}, { ...headers, authorization: `Bearer ${created.body.stopToken}` })
          if (started.body?.session?.state !== 'starting') refused++
          else latencies.push(performance.now() - t0)
        }
      }),
    )
    const startSeconds = (performance.now() - began) / 1000
    held.disconnect()

    const seconds = o.quick ? 4 : 8
    const rates = o.quick ? [250, 500, 1000, 2000, 4000] : [250, 500, 1000, 1500, 2000, 3000, 4000, 6000]
    const report = await driveChargers({
      endpoint,
      ids: load.ids,
      password: benchPassword,
      idTags: load.idTags,
      steps: [{ meterValuesPerSecond: Math.ceil(o.chargers / 3), seconds: 4 }, ...rates.map((meterValuesPerSecond) => ({ meterValuesPerSecond, seconds }))],
      settleMs: 10_000,
      stopPastKnee: 50,
    })
    let sustained = 0
    for (const s of report.steps.slice(1)) if (s.p99Ms < 50 && s.unanswered === 0 && s.failed === 0) sustained = Math.max(sustained, s.offered)
    return {
      processes: o.processes,
      chargers: report.connected,
      meterSteps: report.steps,
      sustainedMeterValues: sustained,
      starts: latencies.length,
      startsPerSecond: latencies.length / startSeconds,
      startP50Ms: percentile(latencies, 50),
      startP99Ms: percentile(latencies, 99),
      refusedStarts: refused,
    }
  } finally {
    await balancer.close()
    await Promise.all(bffs.map((b) => b.stop()))
    await db.drop()
  }
}

/** 1, 2 and 4 processes one after the other, with the same load. */
export async function benchScaleOutSeries(quick: boolean): Promise<ScaleOutResult[]> {
  const stripe = await startFakeStripe()
  const smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], onData: (stream, _s, done) => stream.resume().on('end', () => done()) })
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r))
  const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`
  const results: ScaleOutResult[] = []
  try {
    for (const processes of [1, 2, 4]) {
      console.error(`[scale-out] ${processes} process(es)…`)
      results.push(await benchScaleOut({ processes, chargers: quick ? 300 : 500, starts: quick ? 100 : 200, quick, stripe, smtpUrl }))
    }
  } finally {
    await stripe.close()
    await new Promise<void>((r) => smtp.close(() => r()))
  }
  return results
}

export function printScaleOut(results: ScaleOutResult[]): void {
  const one = results[0]
  console.log('  processes  MeterValues/s (p99<50ms)  scaling   starts/s  start p50   start p99   refused')
  for (const r of results) {
    const scaling = one.sustainedMeterValues ? (r.sustainedMeterValues / one.sustainedMeterValues).toFixed(2) : '–'
    console.log(
      `  ${String(r.processes).padStart(9)}  ${String(r.sustainedMeterValues).padStart(24)}  ${scaling.padStart(7)}  ${r.startsPerSecond.toFixed(1).padStart(9)}  ${r.startP50Ms.toFixed(0).padStart(6)} ms  ${r.startP99Ms.toFixed(0).padStart(7)} ms  ${String(r.refusedStarts).padStart(8)}`,
    )
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchScaleOutSeries(process.argv.includes('--quick')).then(
    (results) => {
      printScaleOut(results)
      process.exit(0)
    },
    (error) => {
      console.error(error)
      process.exit(1)
    },
  )
}
