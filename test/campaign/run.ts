/**
 * `npm run campaign -- [--sessions 1000] [--db pglite|postgres] [--seed 1] [--concurrency 40]
 *   [--kinds none,lost_unplug,…] [--kills-with-others] [--quiet]`
 *
 * Drives the sessions through independent OCPP 1.6J charge points against the real BFF with faults
 * injected, prints one table (sessions per fault kind and money errors) and exits non-zero when any
 * money error is counted. PostgreSQL: a fresh database on --postgres-url (default
 * postgres://postgres@127.0.0.1:5432/test), dropped afterwards. Per-session traces and the BFF's
 * session events of every failing session go to the report file named at the end.
 */
import { parseArgs } from 'node:util'
import { runCampaign } from './campaign'
import { faultKinds, type FaultKind } from './faults'

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    db: { type: 'string', default: 'pglite' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '40' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    kinds: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    // SIGKILL sessions among the others instead of after them (faster, but kills touch every row).
    'kills-with-others': { type: 'boolean', default: false },
  },
})

const db = values.db
if (db !== 'pglite' && db !== 'postgres') throw new Error('--db is pglite or postgres')
const kinds = values.kinds?.split(',').map((k) => k.trim()) as FaultKind[] | undefined
const unknown = kinds?.filter((k) => !faultKinds.includes(k))
if (unknown?.length) throw new Error(`unknown fault kinds: ${unknown.join(', ')} (known: ${faultKinds.join(', ')})`)

// Ctrl-C: exit normally, so the BFF child is killed on the way out.
process.once('SIGINT', () => process.exit(130))

const report = await runCampaign({
  sessions: Number(values.sessions),
  db,
  seed: Number(values.seed),
  concurrency: Number(values.concurrency),
  postgresUrl: values['postgres-url'],
  kinds,
  killsApart: !values['kills-with-others'],
  log: values.quiet ? undefined : (line) => console.log(line),
})

const failing = report.results.filter((r) => r.errors.length > 0)
if (failing.length) {
  console.log(`\nSessions with money errors (${failing.length}; traces and server events in the report file):`)
  for (const r of failing.slice(0, 40)) {
    console.log(`  #${r.plan.index} ${r.plan.kind}${r.plan.variant ? `(${r.plan.variant})` : ''} ${r.sessionId} on ${r.chargerId}: ${r.errors.map((e) => `${e.error}: ${e.detail}`).join('; ')}`)
  }
}
console.log(`\nreport: ${report.reportFile}`)
console.log(`fault campaign, ${db}, seed ${values.seed}, ${report.results.length} sessions, final within ${report.boundMs / 1000} s of the charger and driver being done:\n`)
console.log(report.table)
const notRun = report.results.filter((r) => r.refused).length
if (notRun) console.log(`\n${notRun} sessions could not be run (column "refused"): see the report file.`)
process.exit(report.moneyErrorCount > 0 || notRun > 0 ? 1 : 0)
