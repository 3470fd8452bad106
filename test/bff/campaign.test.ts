/**
 * The fault campaign, short: two sessions of every fault kind (lost, duplicated, delayed and
 * reordered messages, clock skew and absurd dates, restamped resends, huge meter registers, charger
 * offline, provider 5xx, hangs and expired holds, SIGKILL of the BFF) through independent OCPP 1.6J
 * charge points against the real BFF, phone sessions and sessions started by a card on the charger's
 * Payter or CCV terminal (wrong and declined cards, terminal cloud 5xx and late answers, lost and
 * duplicated web hooks). Every money-error count must be 0. The long run is `npm run campaign`
 * (1,000 sessions).
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
        // Kills land among all the other sessions, whatever they are doing at that moment: between a
        // terminal's authorisation and our record of it, between a hold and its start, mid-capture.
        killsApart: false,
      })
      const failing = report.results
        .filter((r) => r.errors.length > 0)
        .map((r) => `#${r.plan.index} ${r.plan.kind}(${r.plan.variant}) ${r.sessionId}: ${r.errors.map((e) => `${e.error}: ${e.detail}`).join('; ')}`)
      const notRun = report.results.filter((r) => r.refused).map((r) => `#${r.plan.index} ${r.plan.kind}: ${r.refused}`)
      expect([...failing, ...notRun], `${report.table}\n\nreport: ${report.reportFile}`).toEqual([])
      expect(report.moneyErrorCount).toBe(0)
      expect(report.results).toHaveLength(faultKinds.length * 2)
      // Both terminal providers' sessions ran and were judged on what their clouds executed.
      for (const provider of ['payter', 'ccv'] as const) {
        const terminal = report.results.filter((r) => r.plan.via === provider)
        expect(terminal.length).toBeGreaterThanOrEqual(8)
        expect(terminal.filter((r) => r.state === 'completed' && (r.executed?.captures.length ?? 0) === 1).length).toBeGreaterThan(0)
      }
    },
    // The unplug wait is at least a minute (UNPLUG_WAIT_MINUTES), and a lost unplug waits it out.
    300_000,
  )
})
