/** `npm run bench`: prints the performance numbers of issues 2, 3 and 6 (targets in parentheses). */
import { benchOcppLoad } from './ocpp-load'
import { benchSessions } from './sessions'
import { benchLighthouse } from './lighthouse'

const ms = (n: number) => `${n.toFixed(1)} ms`

async function main() {
  console.log('OCPP load: simulated chargers sending MeterValues to one BFF process…')
  const ocpp = await benchOcppLoad({ chargers: 2000, meterValuesPerSecond: 400, seconds: 20 })
  console.log(`  chargers connected       ${ocpp.connected}   (2,000)`)
  console.log(`  MeterValues handled/s    ${ocpp.messagesPerSecond.toFixed(0)}   (400 sustained)`)
  console.log(`  handling latency p50     ${ms(ocpp.p50Ms)}`)
  console.log(`  handling latency p99     ${ms(ocpp.p99Ms)}   (< 50 ms)`)
  console.log(`  RSS                      ${ocpp.rssMb.toFixed(0)} MB   (< 400 MB)`)

  console.log('Sessions: start latency, snapshots, live fan-out…')
  const s = await benchSessions({ sessions: 200, viewers: 1000 })
  console.log(`  start -> charging p50    ${ms(s.startP50Ms)}   over ${s.sessions} sessions`)
  console.log(`  start -> charging p99    ${ms(s.startP99Ms)}   (< 300 ms)`)
  console.log(`  GET /api/sessions/:id p50 ${ms(s.snapshotP50Ms)}`)
  console.log(`  GET /api/sessions/:id p99 ${ms(s.snapshotP99Ms)}   (< 20 ms)`)
  console.log(`  SSE fan-out p50          ${ms(s.fanoutP50Ms)}   to ${s.viewers} viewers`)
  console.log(`  SSE fan-out p99          ${ms(s.fanoutP99Ms)}   (< 250 ms)`)

  console.log('Lighthouse, mobile settings, on the built PWA (npm run build first)…')
  for (const page of await benchLighthouse()) {
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
