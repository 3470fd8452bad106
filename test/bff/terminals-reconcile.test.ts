/**
 * Support's reconciliation of sessions paid at card terminals, against what the terminal providers'
 * clouds say (the local fakes of Payter's CPS and CCV's Payment API): clean sessions show nothing;
 * a different committed amount, a capture CCV has no more, a second capture, an authorisation that
 * started nothing but is still held, and one CCV has at our terminal that we never saw all show.
 * Real BFF, real database, real HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, until, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import { payterTestCards, startFakePayter, type FakePayter } from '../../bff/sim/payter-cloud'
import { ccvTestCards, startFakeCcv, type FakeCcv } from '../../bff/sim/ccv-cloud'
import { paymentTerminals, sessions, terminalPayments } from '../../bff/store/schema'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem | undefined
let cp: SimChargePoint | undefined
let payter: FakePayter
let ccv: FakeCcv
afterEach(async () => {
  await cp?.close()
  await sys?.close()
  await payter?.close()
  await ccv?.close()
  cp = sys = undefined
})

const stockholmDay = (at: Date) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(at)

/** DEMO-1 (online): Payter P68-1 on connector 1, CCV IM30-1 on connector 2. DEMO-2 (offline): Payter P68-2. */
async function boot() {
  payter = await startFakePayter()
  ccv = await startFakeCcv()
  const { openDemoStore } = await import('../support/store')
  const store = await openDemoStore()
  await store.db.insert(paymentTerminals).values([
    { id: 'P68-1', provider: 'payter', chargerId: 'DEMO-1', connectorIds: [1] },
    { id: 'IM30-1', provider: 'ccv', chargerId: 'DEMO-1', connectorIds: [2] },
    { id: 'P68-2', provider: 'payter', chargerId: 'DEMO-2', connectorIds: [1] },
  ])
  const system = await startTestSystem({
    store,
    terminals: { payter: { apiUrl: payter.url, apiKey: payter.apiKey }, ccv: { apiUrl: ccv.url, apiKey: ccv.apiKey } },
  })
  const close = system.close
  system.close = async () => {
    await close()
    await store.close()
  }
  sys = system
  cp = await connectCharger(system)
  return system
}

const sessionOf = async (paymentId: string) => (await sys!.store.db.select().from(sessions).where(eq(sessions.paymentId, paymentId)))[0]
const started = (terminalId: string) =>
  until(`a session started at ${terminalId}`, async () => (await sys!.store.db.select().from(terminalPayments)).find((p) => p.terminalId === terminalId && p.status === 'started') ?? null)

/** The driver at the IM30 presses a button: the terminal's app calls us with its token. */
const press = (button: 'start' | 'stop', connectorId?: number) =>
  http(sys!.url, 'POST', `/webhooks/ccv/IM30-1/press?token=${sys!.terminals.ccv!.cloud.webhookToken('IM30-1')}`, { body: { button, connectorId } })

async function charge(connectorId: number, paymentId: string, stop: () => Promise<void>) {
  await cp!.plugIn(connectorId)
  await until('energy', async () => (await sessionOf(paymentId)).energyWh > 1000)
  await stop()
  await until('settling', async () => (await sessionOf(paymentId)).state === 'settling')
  await cp!.unplug(connectorId)
  return until('completed', async () => {
    const s = await sessionOf(paymentId)
    return s.state === 'completed' ? s : null
  })
}

describe('reconciliation of terminal sessions against the terminal providers', () => {
  it('shows nothing for clean sessions, and each difference the providers’ books have with ours', async () => {
    const system = await boot()
    const support = await cookieFor(system.store.db, 'demo-support')
    const report = async () => {
      const answer = await http(system.url, 'GET', `/api/support/reconciliation?date=${stockholmDay(new Date())}&siteId=demo`, { headers: { cookie: support } })
      expect(answer.status).toBe(200)
      return answer.body as { rows: { sessionId: string; provider: { status: string; captured: number } | null }[]; differences: { kind: string; sessionId: string | null; paymentId: string | null }[] }
    }

    // A Payter session: tap, charge, tap the same card.
    expect(await payter.tap('P68-1', payterTestCards[0])).toBe(true)
    const atPayter = await started('P68-1')
    const payterDone = await charge(1, atPayter.id, async () => void (await payter.tap('P68-1', payterTestCards[0])))
    // A CCV session: start and stop pressed on the IM30, the same card both times.
    expect((await press('start', 2)).status).toBe(200)
    expect(await ccv.tap('IM30-1', ccvTestCards[0])).toBe(true)
    const atCcv = await started('IM30-1')
    const ccvDone = await charge(2, atCcv.id, async () => {
      expect((await press('stop')).status).toBe(200)
      await ccv.tap('IM30-1', ccvTestCards[0])
    })
    expect(payter.commits).toEqual([{ sessionId: atPayter.id, amount: payterDone.capturedAmount }])
    expect(ccv.captures).toEqual([{ reference: atCcv.id, amount: ccvDone.capturedAmount }])

    const clean = await report()
    expect(clean.differences).toEqual([])
    const rowOf = (r: Awaited<ReturnType<typeof report>>, sessionId: string) => r.rows.find((x) => x.sessionId === sessionId)
    expect(rowOf(clean, payterDone.id)?.provider).toMatchObject({ status: 'succeeded', captured: payterDone.capturedAmount })
    expect(rowOf(clean, ccvDone.id)?.provider).toMatchObject({ status: 'succeeded', captured: ccvDone.capturedAmount })

    // A tap on the offline charger: the hold cannot start anything, and Payter refuses to cancel it.
    payter.faultsFor('P68-2').cancelFailsBefore = 100
    expect(await payter.tap('P68-2', payterTestCards[1])).toBe(true)
    const stuck = await until('refused', async () => (await system.store.db.select().from(terminalPayments)).find((p) => p.terminalId === 'P68-2' && p.status === 'refused') ?? null)
    expect(payter.sessions.get(stuck.id)?.state).toBe('AUTHORIZED')

    // The providers' books differ: Payter committed 100 more; CCV has the capture no more, but a
    // second one on the same authorisation; CCV holds an authorisation at our terminal we never saw.
    payter.sessions.get(atPayter.id)!.committedAmount += 100
    const authorisation = ccv.transactions.get(atCcv.id)!
    const [capture] = [...ccv.transactions.values()].filter((t) => t.type === 'capture' && t.originalReference === atCcv.id)
    delete authorisation.details.capturedAmount
    ccv.transactions.set(`TC${randomUUID().slice(0, 8)}`, { ...capture, reference: `TC${randomUUID().slice(0, 8)}` })
    const ghost = `TL${randomUUID().replace(/-/g, '').slice(0, 20)}`
    ccv.transactions.set(ghost, { ...authorisation, reference: ghost, details: { terminalId: 'IM30-1', maskedPan: '4111XXXXXXXX0001' } })

    const after = await report()
    const kindsFor = (key: 'sessionId' | 'paymentId', id: string) => after.differences.filter((d) => d[key] === id).map((d) => d.kind).sort()
    expect(kindsFor('sessionId', payterDone.id)).toEqual(['amount_mismatch'])
    expect(kindsFor('sessionId', ccvDone.id)).toEqual(['amount_mismatch', 'balance_mismatch', 'receipt_without_capture', 'status_mismatch'])
    expect(kindsFor('paymentId', stuck.id)).toEqual(['open_authorisation'])
    expect(kindsFor('paymentId', ghost)).toEqual(['unknown_at_provider'])
    expect(after.differences).toHaveLength(7)
  })
})
