/**
 * The fault campaign, short: two sessions of every fault kind (lost, duplicated, delayed and
 * reordered messages, clock skew and absurd dates, restamped resends, huge meter registers, charger
 * offline, provider 5xx, hangs and expired holds, SIGKILL of the BFF) through independent OCPP 1.6J
 * charge points against the real BFF. Every money-error count must be 0. The long run is
 * `npm run campaign` (1,000 sessions).
 */
import { describe, expect, it } from 'vitest'
import { runCampaign } from '../campaign/campaign'
import { faultKinds } from '../campaign/faults'

describe('the fault campaign, short', () => {
  it(
    'every session ends with the right amount, whatever the charger, the provider or a crash does',
    async () => {
      const report = await runCampaign({
        sessions: faultKinds.length * 2,
        db: process.env.DATABASE_URL ? 'postgres' : 'pglite',
        postgresUrl: process.env.DATABASE_URL,
        seed: 9,
        concurrency: faultKinds.length * 2,
        killsApart: false,
      })
      const failing = report.results
        .filter((r) => r.errors.length > 0)
        .map((r) => `#${r.plan.index} ${r.plan.kind}(${r.plan.variant}) ${r.sessionId}: ${r.errors.map((e) => `${e.error}: ${e.detail}`).join('; ')}`)
      const notRun = report.results.filter((r) => r.refused).map((r) => `#${r.plan.index} ${r.plan.kind}: ${r.refused}`)
      expect([...failing, ...notRun], `${report.table}\n\nreport: ${report.reportFile}`).toEqual([])
      expect(report.moneyErrorCount).toBe(0)
      expect(report.results).toHaveLength(faultKinds.length * 2)
    },
    // The unplug wait is at least a minute (UNPLUG_WAIT_MINUTES), and a lost unplug waits it out.
    300_000,
  )
})
