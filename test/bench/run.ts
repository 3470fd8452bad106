/**
 * `npm run bench [-- --quick]`: prints the performance numbers of issues 2, 3, 6, 13 and 14 (targets in
 * parentheses). `--quick` runs shorter steps, fewer chargers and skips Lighthouse. PostgreSQL runs
 * when BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) answers.
 */
import { execFile } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { benchBare, benchBff, type benchConnections, type RateSearch } from './meter-path'
import { benchSessions } from './sessions'
import { benchLighthouse } from './lighthouse'
import { benchScaleOutSeries, printScaleOut } from './scale-out'

const ms = (n: number) => `${n.toFixed(1)} ms`
const quick = process.argv.includes('--quick')

async function postgresUrl(): Promise<string | null> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.end()
    return url
  } catch {
    return null
  }
}

/** Runs `work` with the test stores on PostgreSQL (see test/support/store.ts), or on PGlite with null. */
async function onDatabase<T>(url: string | null, work: () => Promise<T>): Promise<T> {
  const before = process.env.DATABASE_URL
  if (url) process.env.DATABASE_URL = url
  else delete process.env.DATABASE_URL
  try {
    return await work()
  } finally {
    if (before === undefined) delete process.env.DATABASE_URL
    else process.env.DATABASE_URL = before
  }
}

/** In a process of its own, so RSS is not what the benches before left behind; on PGlite with a null `databaseUrl`. */
async function connectionsInFreshProcess(count: number, databaseUrl: string | null): Promise<Awaited<ReturnType<typeof benchConnections>>> {
  const script = fileURLToPath(new URL('./meter-path.ts', import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, script, 'connections', String(count)], {
    env: { ...process.env, DATABASE_URL: databaseUrl ?? '' },
    maxBuffer: 16 * 2 ** 20,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

function printSearch(r: RateSearch) {
  console.log(`  ${r.server} (${r.chargers} chargers)`)
  for (const s of r.steps) {
    console.log(
      `    ${String(s.offered).padStart(6)}/s offered  ${String(s.answered).padStart(6)} answered  ${String(s.unanswered + s.failed).padStart(5)} unanswered  p50 ${ms(s.p50Ms).padStart(10)}  p99 ${ms(s.p99Ms).padStart(10)}`,
    )
  }
  console.log(`    sustained with p99 < 50 ms: ${r.sustained}/s`)
  if (r.stored !== undefined) {
    const answered = r.steps.reduce((n, s) => n + s.answered, 0)
    console.log(`    readings answered ${answered}, stored ${r.stored}${r.stored === answered ? '' : '   (MISMATCH)'}`)
  }
}

async function main() {
  const chargers = 500
  console.log(`MeterValues path (issue 13): the same load generator against the bare ocpp-rpc server and the whole BFF${quick ? ' (quick)' : ''}…`)
  const bare = await benchBare(chargers, quick)
  printSearch(bare)
  const pglite = await onDatabase(null, () => benchBff(chargers, quick))
  printSearch(pglite)
  const url = await postgresUrl()
  const postgres = url ? await onDatabase(url, () => benchBff(chargers, quick)) : null
  if (postgres) printSearch(postgres)
  else console.log('  PostgreSQL not reachable: skipped')
  for (const r of [pglite, postgres]) {
    if (r) console.log(`  ${r.server} / bare: ${(r.sustained / Math.max(1, bare.sustained)).toFixed(2)}   (>= 0.5)`)
  }

  const count = quick ? 2000 : 10_000
  for (const [name, db] of [['PGlite', null], ['PostgreSQL', url]] as const) {
    if (name === 'PostgreSQL' && !db) continue
    console.log(`Connected chargers: ${count} idle chargers on the whole BFF (${name}), one fresh process…`)
    const conn = await connectionsInFreshProcess(count, db)
    console.log(`  connected                ${conn.connected}   (${count})   in ${conn.connectSeconds.toFixed(1)} s`)
    console.log(`  RSS peak                 ${conn.rssMb} MB   (< 1024 MB)   before any connection ${conn.baselineRssMb} MB`)
    console.log(`  RSS connected, settled   ${conn.settledRssMb} MB`)
  }

  for (const [name, db] of [['PGlite', null], ['PostgreSQL', url]] as const) {
    if (name === 'PostgreSQL' && !db) continue
    console.log(`Sessions on ${name}: 200 drivers pressing Start within one second, snapshots, live fan-out…`)
    const s = await onDatabase(db, () => benchSessions({ sessions: 200, viewers: 1000 }))
    console.log(`  Start pressed -> answer p50 ${ms(s.pressP50Ms)}`)
    console.log(`  Start pressed -> answer p99 ${ms(s.pressP99Ms)}`)
    console.log(`  start -> charging p50    ${ms(s.startP50Ms)}   over ${s.sessions} sessions`)
    console.log(`  start -> charging p99    ${ms(s.startP99Ms)}   (< 300 ms)`)
    console.log(`  GET /api/sessions/:id p50 ${ms(s.snapshotP50Ms)}`)
    console.log(`  GET /api/sessions/:id p99 ${ms(s.snapshotP99Ms)}   (< 20 ms)`)
    console.log(`  SSE fan-out p50          ${ms(s.fanoutP50Ms)}   to ${s.viewers} viewers`)
    console.log(`  SSE fan-out p99          ${ms(s.fanoutP99Ms)}   (< 250 ms)`)
  }

  if (url) {
    console.log(`Scale-out (issue 14): 1, 2 and 4 BFF processes on one PostgreSQL behind a round-robin balancer, on this ${cpus().length}-core machine…`)
    printScaleOut(await onDatabase(url, () => benchScaleOutSeries(quick)))
  }

  if (quick) return process.exit(0)
  console.log('Lighthouse, mobile settings, on the built PWA (npm run build first)…')
  const pages = await benchLighthouse()
  if (!pages) console.log('  skipped: no built PWA in dist/ (npm run build first)')
  for (const page of pages ?? []) {
    console.log(`  ${page.page}`)
    console.log(`    performance            ${page.performance}   (95+)`)
    console.log(`    accessibility          ${page.accessibility}   (100)`)
    console.log(`    best practices         ${page.bestPractices}   (95+)`)
  }
  process.exit(0)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
