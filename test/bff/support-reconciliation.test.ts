/**
 * Reconciliation against the provider's books, the scheduled support sweep, and the timeline of
 * sessions that went through a crash or an offline charger. Real BFF, real PGlite, simulated
 * payments and chargers; the Stripe ledger against the local fake of Stripe's API.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, testClock, until, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import { startFakeStripe } from '../support/fake-stripe'
import { StripePayments } from '../../bff/payments/stripe'
import { auditLog, refunds, sessions, simulatedPayments } from '../../bff/store/schema'
import type { SimChargePoint } from '../../bff/sim/charge-point'

const visa = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2034, cvc: '123' }

let sys: TestSystem | undefined
let cp: SimChargePoint | undefined
let support: string
afterEach(async () => {
  await cp?.close()
  await sys?.close()
  cp = sys = undefined
})

async function boot(clock?: () => Date) {
  sys = await startTestSystem(clock ? { clock } : {})
  cp = await connectCharger(sys)
  support = await cookieFor(sys!.store.db, 'demo-support')
}

const snapshot = async (id: string, token: string) => (await http(sys!.url, 'GET', `/api/sessions/${id}`, { token })).body
const get = (path: string) => http(sys!.url, 'GET', `/api/support${path}`, { headers: { cookie: support } })

/** A card hold placed for a session that never got further (the driver walked away). */
async function holdOnly(connectorId = 1) {
  const created = await http(sys!.url, 'POST', '/api/sessions', {
    body: { chargerId: 'DEMO-1', connectorId, method: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })
  const { session, payment } = created.body
  await http(sys!.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
  return { id: session.id as string }
}

async function startPaid(connectorId = 1) {
  const created = await http(sys!.url, 'POST', '/api/sessions', {
    body: { chargerId: 'DEMO-1', connectorId, method: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })
  const { session, payment, stopToken } = created.body
  await http(sys!.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
  await http(sys!.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
  return { id: session.id as string, stopToken: stopToken as string }
}

async function completed(connectorId = 1) {
  const s = await startPaid(connectorId)
  await cp!.plugIn(connectorId)
  await until('energy', async () => (await snapshot(s.id, s.stopToken)).energyWh > 700)
  await cp!.unplug(connectorId) // EVDisconnected: stops and settles at once
  await until('completed', async () => (await snapshot(s.id, s.stopToken)).state === 'completed')
  return s
}

const row = async (id: string) => (await sys!.store.db.select().from(sessions).where(eq(sessions.id, id)))[0]
const ledgerOf = async (id: string) => (await row(id)).paymentId!
const stockholmDay = (at: Date) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(at)

describe('reconciliation', () => {
  it('finds each kind of seeded difference, and none for a clean session', async () => {
    const clock = testClock()
    await boot(clock.now)
    const clean = await completed()
    const overCaptured = await completed()
    const refundedElsewhere = await completed()
    const notCaptured = await completed()
    const capturedBehindOurBack = await startPaid(2)

    const db = sys!.store.db
    await db.update(simulatedPayments).set({ amountCaptured: sql`${simulatedPayments.amountCaptured} + 100` }).where(eq(simulatedPayments.id, await ledgerOf(overCaptured.id)))
    await db.update(simulatedPayments).set({ amountRefunded: 50 }).where(eq(simulatedPayments.id, await ledgerOf(refundedElsewhere.id)))
    await db.update(simulatedPayments).set({ status: 'requires_capture', amountCaptured: 0 }).where(eq(simulatedPayments.id, await ledgerOf(notCaptured.id)))
    await sys!.payments.capture(await ledgerOf(capturedBehindOurBack.id), 500, randomUUID())
    const ghost = await sys!.payments.createHold({ amount: 20000, currency: 'SEK', sessionId: 'not-ours', description: 'x', idempotencyKey: randomUUID() })
    // A session that failed with its card still held, a day later.
    await db.update(sessions).set({ state: 'failed', failureReason: 'start_timeout' }).where(eq(sessions.id, capturedBehindOurBack.id))
    const forgotten = await holdOnly(2)
    await db.update(sessions).set({ state: 'failed', failureReason: 'start_timeout', holdStatus: 'held' }).where(eq(sessions.id, forgotten.id))
    clock.advance(25 * 3_600_000)

    const date = stockholmDay((await row(clean.id)).createdAt)
    const report = await get(`/reconciliation?date=${date}&siteId=demo`)
    expect(report.status).toBe(200)
    const kindsFor = (id: string | null) =>
      report.body.differences.filter((d: { sessionId: string | null }) => d.sessionId === id).map((d: { kind: string }) => d.kind).sort()
    expect(kindsFor(clean.id)).toEqual([])
    expect(kindsFor(overCaptured.id)).toEqual(['amount_mismatch'])
    expect(kindsFor(refundedElsewhere.id)).toEqual(['refund_mismatch'])
    expect(kindsFor(notCaptured.id)).toEqual(expect.arrayContaining(['receipt_without_capture', 'stale_hold', 'status_mismatch']))
    expect(kindsFor(capturedBehindOurBack.id)).toEqual(expect.arrayContaining(['captured_without_receipt', 'amount_mismatch', 'status_mismatch']))
    expect(kindsFor(forgotten.id)).toEqual(['stale_hold'])
    const unknown = report.body.differences.find((d: { kind: string }) => d.kind === 'unknown_at_provider')
    expect(unknown.paymentId).toBe(ghost.hold.id)
    expect(report.body.rows.length).toBeGreaterThanOrEqual(6)
    expect(report.body.totals.captured).toBeGreaterThan(0)

    const otherDay = await get(`/reconciliation?date=2001-01-01&siteId=demo`)
    expect(otherDay.body).toMatchObject({ rows: [], differences: [] })
    expect((await get('/reconciliation?date=yesterday&siteId=demo')).status).toBe(400)
    expect((await get(`/reconciliation?date=${date}&siteId=nope`)).status).toBe(404)
  })
})

describe('the support sweep', () => {
  it('releases stale holds of ended sessions, flags refused captures once, retries unanswered refunds; every decision logged', async () => {
    const clock = testClock()
    await boot(clock.now)
    const refused = await completed()
    const withRefund = await completed()
    const forgotten = await holdOnly(2)
    const db = sys!.store.db
    await db.update(sessions).set({ state: 'cancelled', failureReason: 'driver_cancelled', holdStatus: 'held' }).where(eq(sessions.id, forgotten.id))
    await db.update(sessions).set({ holdStatus: 'failed' }).where(eq(sessions.id, refused.id))
    // A refund recorded, but the provider never answered.
    await db.insert(refunds).values({ id: 'rf_unanswered', sessionId: withRefund.id, amount: 100, reason: 'goodwill', key: 'k-unanswered', status: 'pending', createdAt: clock.now() })

    expect(await sys!.supportSweep.run()).toEqual([{ sessionId: refused.id, decision: 'flagged', detail: 'capture refused' }])
    clock.advance(25 * 3_600_000)
    const decisions = await sys!.supportSweep.run()
    expect(decisions).toEqual(
      expect.arrayContaining([
        { sessionId: forgotten.id, decision: 'released', detail: 'released' },
        { sessionId: withRefund.id, decision: 'refund_retried', detail: 'succeeded' },
      ]),
    )
    expect(decisions.filter((d) => d.decision === 'flagged')).toEqual([]) // flagged once only
    expect((await row(forgotten.id)).holdStatus).toBe('released')
    const [ledger] = await db.select().from(simulatedPayments).where(eq(simulatedPayments.id, await ledgerOf(forgotten.id)))
    expect(ledger.status).toBe('canceled')
    expect((await row(refused.id)).holdStatus).toBe('failed') // never captured blindly
    expect((await row(withRefund.id)).refundedAmount).toBe(100)

    const logged = await db.select().from(auditLog).where(and(eq(auditLog.sessionId, forgotten.id), eq(auditLog.action, 'sweep_release')))
    expect(logged).toHaveLength(1)
    expect(logged[0].actorId).toBeNull()
    expect(logged[0].reason).toContain('24 h')
    const caseFile = await get(`/sessions/${refused.id}`)
    expect(caseFile.body.timeline.map((e: { kind: string }) => e.kind)).toContain('support_sweep_flag')
    expect(await sys!.supportSweep.run()).toEqual([])
  })
})

describe('timeline of sessions that went wrong', () => {
  const kinds = (timeline: { kind: string }[]) => timeline.map((e) => e.kind)

  it('a crashed-and-recovered session shows its whole story', async () => {
    await boot()
    const s = await startPaid()
    await cp!.plugIn(1)
    await until('charging', async () => (await snapshot(s.id, s.stopToken)).state === 'charging')
    sys = await sys!.restart()
    await until('charger reconnected', async () => {
      if (!cp!.isConnected()) await cp!.reconnect().catch(() => {})
      return sys!.central.isOnline('DEMO-1')
    })
    await sys!.sessions.tick()
    await until('energy', async () => (await snapshot(s.id, s.stopToken)).energyWh > 700)
    await http(sys!.url, 'POST', `/api/sessions/${s.id}/stop`, { token: s.stopToken })
    await until('settling', async () => (await snapshot(s.id, s.stopToken)).state === 'settling')
    await cp!.unplug(1)
    await until('completed', async () => (await snapshot(s.id, s.stopToken)).state === 'completed')
    support = await cookieFor(sys!.store.db, 'demo-support')
    const { body } = await get(`/sessions/${s.id}`)
    expect(kinds(body.timeline)).toEqual(
      expect.arrayContaining(['created', 'hold_placed', 'remote_start', 'charging_started', 'meter_values', 'stop_requested', 'remote_stop', 'charging_stopped', 'captured', 'receipt_issued']),
    )
    expect(body.session).toMatchObject({ state: 'completed', holdStatus: 'captured' })
    expect(body.powerCurve.length).toBeGreaterThan(2)
  })

  it('a charger-offline session: the late StopTransaction shows at the charger’s time, before we received it', async () => {
    await boot()
    const s = await startPaid()
    await cp!.plugIn(1)
    await until('energy', async () => (await snapshot(s.id, s.stopToken)).energyWh > 700)
    await cp!.goOffline()
    await until('offline', () => !sys!.central.isOnline('DEMO-1'))
    await cp!.unplug(1) // the car leaves while the charger is offline: StopTransaction waits in its queue
    await new Promise((r) => setTimeout(r, 150))
    await cp!.reconnect()
    await until('completed', async () => (await snapshot(s.id, s.stopToken)).state === 'completed')
    const { body } = await get(`/sessions/${s.id}`)
    const at = (kind: string) => body.timeline.find((e: { kind: string }) => e.kind === kind).at as string
    expect(at('ocpp_stop_transaction') < at('charging_stopped')).toBe(true)
    expect(body.timeline.find((e: { kind: string }) => e.kind === 'ocpp_stop_transaction').summary).toContain('EVDisconnected')
    expect(kinds(body.timeline)).toEqual(expect.arrayContaining(['charging_started', 'meter_values', 'charging_stopped', 'captured', 'receipt_issued']))
  })
})

describe('the Stripe ledger', () => {
  it('lists PaymentIntents of a time range with captured and refunded amounts and our session id', async () => {
    const fake = await startFakeStripe()
    try {
      const payments = new StripePayments({ secretKey: 'sk_test_fake', publishableKey: 'pk_test_fake', webhookSecret: 'whsec_x', stripe: fake.client() })
      const from = new Date(Date.now() - 1000)
      const made: string[] = []
      for (let i = 0; i < 3; i++) {
        const { hold } = await payments.createHold({ amount: 30000, currency: 'SEK', sessionId: `s${i}`, description: 'x', idempotencyKey: randomUUID() })
        made.push(hold.id)
      }
      fake.confirm(made[0], { card: { brand: 'visa', last4: '4242', fingerprint: 'fp' } })
      await payments.capture(made[0], 1200, randomUUID())
      await payments.refund(made[0], 200, randomUUID())
      const ledger = await payments.ledger({ from, to: new Date(Date.now() + 2000) })
      expect(ledger.map((e) => e.id).sort()).toEqual([...made].sort())
      expect(ledger.find((e) => e.id === made[0])).toMatchObject({ status: 'succeeded', amountCaptured: 1200, amountRefunded: 200, booked: 1200, sessionId: 's0', currency: 'SEK' })
      expect(ledger.find((e) => e.id === made[1])).toMatchObject({ status: 'requires_payment_method', amountCaptured: 0, booked: null, sessionId: 's1' })
      expect(await payments.ledger({ from: new Date(0), to: new Date(1000) })).toEqual([])
    } finally {
      await fake.close()
    }
  })
})
