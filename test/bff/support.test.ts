/**
 * The support console's API over real HTTP against the whole BFF (simulated payments, simulated
 * chargers over OCPP): lookup, the case file and its timeline, and every action with its audit row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, until, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import { auditLog, outbox, receipts, sessions, simulatedPayments, users } from '../../bff/store/schema'
import type { SimChargePoint } from '../../bff/sim/charge-point'

const visa = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2034, cvc: '123' }

let sys: TestSystem
let cp: SimChargePoint
let support: string
let driver: string
let admin: string

beforeAll(async () => {
  sys = await startTestSystem()
  cp = await connectCharger(sys)
  support = await cookieFor(sys.store.db, 'demo-support')
  await sys.store.db.insert(users).values([
    { id: 'driver-1', email: 'driver@example.test' },
    { id: 'admin-1', email: 'admin@example.test' },
  ])
  const { userRoles } = await import('../../bff/store/schema')
  await sys.store.db.insert(userRoles).values({ userId: 'admin-1', role: 'admin' })
  driver = await cookieFor(sys.store.db, 'driver-1')
  admin = await cookieFor(sys.store.db, 'admin-1')
})

afterAll(async () => {
  await cp?.close()
  await sys?.close()
})

const as = (cookie: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  http(sys.url, method, `/api/support${path}`, { body, headers: { cookie, ...headers } })

const snapshot = async (id: string, token: string) => (await http(sys.url, 'GET', `/api/sessions/${id}`, { token })).body

async function startPaid(connectorId: number) {
  const created = await http(sys.url, 'POST', '/api/sessions', {
    body: { chargerId: 'DEMO-1', connectorId, method: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })
  expect(created.status).toBe(201)
  const { session, payment, stopToken } = created.body
  await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
  const authorized = await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
  expect(authorized.status).toBe(200)
  return { id: session.id as string, stopToken: stopToken as string }
}

async function charging(connectorId: number) {
  const s = await startPaid(connectorId)
  await cp.plugIn(connectorId)
  await until('energy', async () => (await snapshot(s.id, s.stopToken)).energyWh > 700)
  return s
}

/** A whole paid session: charge, stop from the phone, unplug, captured and receipted. */
async function completed(connectorId = 1) {
  const s = await charging(connectorId)
  await http(sys.url, 'POST', `/api/sessions/${s.id}/stop`, { token: s.stopToken })
  await until('settling', async () => (await snapshot(s.id, s.stopToken)).state === 'settling')
  await cp.unplug(connectorId)
  const done = await until('completed', async () => {
    const v = await snapshot(s.id, s.stopToken)
    return v.state === 'completed' ? v : null
  })
  const receiptUrl = new URL(done.receipt.url)
  return { ...s, number: done.receipt.number as string, captured: done.hold.captured as number, receiptPath: receiptUrl.pathname + receiptUrl.search }
}

const auditRows = (sessionId: string, action: string) =>
  sys.store.db.select().from(auditLog).where(and(eq(auditLog.sessionId, sessionId), eq(auditLog.action, action)))

describe('support console API', () => {
  let done: Awaited<ReturnType<typeof completed>>
  beforeAll(async () => {
    done = await completed()
  })

  it('only support (or admin) gets in: a guest gets 401, a driver 403, on every route', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', `/receipts/${done.number}`],
      ['GET', '/search?q=DEMO-1'],
      ['GET', `/sessions/${done.id}`],
      ['POST', `/sessions/${done.id}/refund`, { amount: 1, reason: 'test' }],
      ['POST', `/sessions/${done.id}/stop`, { reason: 'test' }],
      ['POST', `/sessions/${done.id}/release-hold`, { reason: 'test' }],
      ['POST', `/sessions/${done.id}/resend-receipt`, { reason: 'test', email: 'a@b.test' }],
      ['POST', `/sessions/${done.id}/reissue-invoice`, { reason: 'test', buyer: { name: 'A AB', orgNumber: '556000-0000', address: 'Gatan 1' } }],
      ['GET', '/reconciliation?date=2025-01-01&siteId=demo'],
      ['GET', '/sites'],
    ]
    for (const [method, path, body] of routes) {
      expect((await as('', method, path, body)).status, `${method} ${path} as guest`).toBe(401)
      expect((await as(driver, method, path, body)).status, `${method} ${path} as driver`).toBe(403)
    }
    expect((await as(admin, 'GET', `/sessions/${done.id}`)).status).toBe(200)
    // Nothing a driver tried moved money.
    const [row] = await sys.store.db.select().from(sessions).where(eq(sessions.id, done.id))
    expect(row.refundedAmount).toBe(0)
  })

  it('finds a session by its receipt number however it is typed, and logs each read', async () => {
    const digits = done.number.replace(/\D/g, '')
    const typed = [done.number, ` ${digits.slice(0, 6)} ${digits.slice(6, 10)}-${digits.slice(10)} `, `${digits.slice(0, 10)}-${Number(digits.slice(10))}`]
    const before = (await auditRows(done.id, 'view')).length
    for (const number of typed) {
      const res = await as(support, 'GET', `/receipts/${encodeURIComponent(number)}`)
      expect(res.status, number).toBe(200)
      expect(res.body.session).toMatchObject({ id: done.id, chargerId: 'DEMO-1', receiptNumber: done.number, card: { last4: '4242' } })
    }
    expect((await auditRows(done.id, 'view')).length).toBe(before + typed.length)
    const view = (await auditRows(done.id, 'view')).at(-1)!
    expect(view.actorId).toBe('demo-support')
    expect((await as(support, 'GET', '/receipts/5591234567-999999')).status).toBe(404)
    expect((await as(support, 'GET', '/receipts/nonsense')).status).toBe(404)
  })

  it('searches by charger and time window, card last four and date, email, and free text', async () => {
    const [row] = await sys.store.db.select().from(sessions).where(eq(sessions.id, done.id))
    await sys.store.db.update(sessions).set({ userId: 'driver-1' }).where(eq(sessions.id, done.id))
    const ids = (res: { body: { matches: { id: string }[] } }) => res.body.matches.map((m) => m.id)
    const from = new Date(row.createdAt.getTime() - 60_000).toISOString()
    const to = new Date(row.createdAt.getTime() + 60_000).toISOString()
    const byCharger = await as(support, 'GET', `/search?chargerId=demo-1&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)
    expect(byCharger.status).toBe(200)
    expect(ids(byCharger)).toContain(done.id)
    const earlier = new Date(row.createdAt.getTime() - 3_600_000)
    const outside = await as(support, 'GET', `/search?chargerId=DEMO-1&from=${encodeURIComponent(new Date(earlier.getTime() - 60_000).toISOString())}&to=${encodeURIComponent(earlier.toISOString())}`)
    expect(ids(outside)).not.toContain(done.id)

    const day = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(row.createdAt)
    expect(ids(await as(support, 'GET', `/search?last4=4242&date=${day}`))).toContain(done.id)
    expect(ids(await as(support, 'GET', `/search?last4=0002&date=${day}`))).not.toContain(done.id)
    expect(ids(await as(support, 'GET', `/search?last4=4242&date=2001-01-01`))).toEqual([])
    expect((await as(support, 'GET', '/search?last4=4242')).status).toBe(400) // too broad without a date

    expect(ids(await as(support, 'GET', '/search?email=DRIVER@example.test'))).toEqual([done.id])
    expect(ids(await as(support, 'GET', `/search?q=${encodeURIComponent(done.number.replace('-', ' '))}`))).toEqual([done.id])
    expect(ids(await as(support, 'GET', `/search?q=${done.id}`))).toEqual([done.id])
    expect((await as(support, 'GET', '/search')).status).toBe(400)
    const logged = await sys.store.db.select().from(auditLog).where(eq(auditLog.action, 'search'))
    expect(logged.length).toBe(8) // the refused (400) searches are not searches
  })

  it('tells the whole story of a normal session, in order, with the power and energy curves', async () => {
    const res = await as(support, 'GET', `/sessions/${done.id}`)
    expect(res.status).toBe(200)
    const { timeline, powerCurve, energyCurve, session } = res.body
    const kinds: string[] = timeline.map((e: { kind: string }) => e.kind)
    for (const kind of ['created', 'hold_created', 'hold_placed', 'remote_start', 'charging_started', 'ocpp_start_transaction', 'meter_values', 'stop_requested', 'remote_stop', 'charging_stopped', 'ocpp_stop_transaction', 'unplugged', 'settling', 'provider_capture', 'captured', 'receipt_issued']) {
      expect(kinds, kind).toContain(kind)
    }
    const states = timeline.filter((e: { kind: string }) => e.kind === 'state').map((e: { data: { to: string } }) => e.data.to)
    expect(states).toEqual(['starting', 'charging', 'stopping', 'settling', 'completed'])
    expect(timeline.find((e: { kind: string }) => e.kind === 'receipt_issued').summary).toContain('completed')
    const times = timeline.map((e: { at: string }) => e.at)
    expect([...times].sort()).toEqual(times)
    expect(kinds.indexOf('created')).toBeLessThan(kinds.indexOf('remote_start'))
    expect(kinds.indexOf('captured')).toBeLessThan(kinds.indexOf('receipt_issued'))
    const stop = timeline.find((e: { kind: string }) => e.kind === 'ocpp_stop_transaction')
    expect(stop.summary).toContain('Remote')
    expect(timeline.find((e: { kind: string }) => e.kind === 'captured').source).toBe('payment')
    expect(powerCurve.length).toBeGreaterThan(2)
    expect(Math.max(...powerCurve.map((p: number[]) => p[1]))).toBeGreaterThan(5000)
    expect(energyCurve.at(-1)[1]).toBeGreaterThan(energyCurve[0][1])
    expect(session).toMatchObject({ state: 'completed', holdStatus: 'captured', capturedAmount: done.captured, refundable: done.captured, provider: 'simulated' })
  })

  it('refunds part, then the rest, never more than captured; the driver sees the refunds but not the reason', async () => {
    const { id } = await completed(2)
    const [row] = await sys.store.db.select().from(sessions).where(eq(sessions.id, id))
    const captured = row.capturedAmount
    const missingReason = await as(support, 'POST', `/sessions/${id}/refund`, { amount: 100, reason: ' ' })
    expect(missingReason.status).toBe(400)
    const partial = await as(support, 'POST', `/sessions/${id}/refund`, { amount: 100, reason: 'Charger slow, goodwill' }, { 'idempotency-key': randomUUID() })
    expect(partial.status).toBe(201)
    expect(partial.body.refund).toMatchObject({ amount: 100, status: 'succeeded' })
    const tooMuch = await as(support, 'POST', `/sessions/${id}/refund`, { amount: captured, reason: 'Everything' })
    expect(tooMuch.status).toBe(409)
    expect(tooMuch.body.error.code).toBe('refund_too_large')
    const rest = await as(support, 'POST', `/sessions/${id}/refund`, { amount: captured - 100, reason: 'Charged twice, per driver' })
    expect(rest.status).toBe(201)
    const nothingLeft = await as(support, 'POST', `/sessions/${id}/refund`, { amount: 1, reason: 'One more' })
    expect(nothingLeft.status).toBe(409)

    const [after] = await sys.store.db.select().from(sessions).where(eq(sessions.id, id))
    expect(after.refundedAmount).toBe(captured)
    const [ledger] = await sys.store.db.select().from(simulatedPayments).where(eq(simulatedPayments.id, row.paymentId!))
    expect(ledger.amountRefunded).toBe(captured)
    expect((await auditRows(id, 'refund')).map((a) => a.reason)).toEqual(['Charger slow, goodwill', 'Charged twice, per driver'])

    const receiptRow = (await sys.store.db.select().from(receipts).where(eq(receipts.sessionId, id)))[0]
    expect((receiptRow.content as { payment: { refunded: number } }).payment.refunded).toBe(0) // as issued
    const caseFile = await as(support, 'GET', `/sessions/${id}`)
    expect(caseFile.body.refunds.map((r: { amount: number }) => r.amount)).toEqual([100, captured - 100])
    expect(caseFile.body.can.refund).toBe(false)
    expect(caseFile.body.timeline.filter((e: { kind: string }) => e.kind === 'refunded')).toHaveLength(2)
  })

  it('a double submit with one Idempotency-Key makes one refund; concurrent refunds never exceed the captured amount', async () => {
    const { id, receiptPath } = await completed(1)
    const [row] = await sys.store.db.select().from(sessions).where(eq(sessions.id, id))
    const key = randomUUID()
    const twice = await Promise.all([1, 2].map(() => as(support, 'POST', `/sessions/${id}/refund`, { amount: 150, reason: 'Double tap test' }, { 'idempotency-key': key })))
    expect(twice.map((r) => r.status).sort()).toEqual([200, 201])
    expect(twice[0].body.refund.id).toBe(twice[1].body.refund.id)
    const left = row.capturedAmount - 150
    const racing = await Promise.all([1, 2, 3].map(() => as(support, 'POST', `/sessions/${id}/refund`, { amount: left, reason: 'Race' }, { 'idempotency-key': randomUUID() })))
    expect(racing.filter((r) => r.status === 201)).toHaveLength(1)
    expect(racing.filter((r) => r.status === 409)).toHaveLength(2)
    const [after] = await sys.store.db.select().from(sessions).where(eq(sessions.id, id))
    expect(after.refundedAmount).toBe(row.capturedAmount)
    const [ledger] = await sys.store.db.select().from(simulatedPayments).where(eq(simulatedPayments.id, row.paymentId!))
    expect(ledger.amountRefunded).toBe(row.capturedAmount)

    const receipt = await http(sys.url, 'GET', receiptPath)
    expect(receipt.status).toBe(200)
    expect(receipt.body.refunded).toBe(row.capturedAmount)
    expect(receipt.body.refunds.map((r: { amount: number }) => r.amount)).toEqual([150, left])
    expect(JSON.stringify(receipt.body)).not.toContain('Race')
    expect(Object.keys(receipt.body.refunds[0]).sort()).toEqual(['amount', 'at'])
  })

  it('force-stops a running session, with a reason in the audit log', async () => {
    const s = await charging(1)
    expect((await as(support, 'POST', `/sessions/${s.id}/stop`, {})).status).toBe(400)
    const stop = await as(support, 'POST', `/sessions/${s.id}/stop`, { reason: 'Driver called: app frozen' })
    expect(stop.status).toBe(200)
    await until('settling', async () => (await snapshot(s.id, s.stopToken)).state === 'settling')
    expect((await snapshot(s.id, s.stopToken)).stopReason).toBe('support')
    const [entry] = await auditRows(s.id, 'stop')
    expect(entry).toMatchObject({ actorId: 'demo-support', reason: 'Driver called: app frozen' })
    expect((await as(support, 'POST', `/sessions/${s.id}/stop`, { reason: 'again' })).status).toBe(409)
    await cp.unplug(1)
    await until('completed', async () => (await snapshot(s.id, s.stopToken)).state === 'completed')
  })

  it('releases a hold left behind by an ended session, once; a running session is refused', async () => {
    const s = await startPaid(2)
    expect((await as(support, 'POST', `/sessions/${s.id}/release-hold`, { reason: 'Stuck hold' })).status).toBe(409)
    // As after a lost release: the session failed but the card is still held.
    await sys.store.db.update(sessions).set({ state: 'failed', failureReason: 'start_timeout' }).where(eq(sessions.id, s.id))
    const before = await as(support, 'GET', `/sessions/${s.id}`)
    expect(before.body.can.releaseHold).toBe(true)
    const released = await as(support, 'POST', `/sessions/${s.id}/release-hold`, { reason: 'Driver sees money still held' })
    expect(released.status).toBe(200)
    expect(released.body).toEqual({ alreadyReleased: false, holdStatus: 'released' })
    const [row] = await sys.store.db.select().from(sessions).where(eq(sessions.id, s.id))
    const [ledger] = await sys.store.db.select().from(simulatedPayments).where(eq(simulatedPayments.id, row.paymentId!))
    expect(ledger.status).toBe('canceled')
    const again = await as(support, 'POST', `/sessions/${s.id}/release-hold`, { reason: 'Once more' })
    expect(again.body).toEqual({ alreadyReleased: true, holdStatus: 'released' })
    expect(await auditRows(s.id, 'release_hold')).toHaveLength(1)
  })

  it('resends the receipt as a PDF and reissues it as a full invoice that refers to the original', async () => {
    const resend = await as(support, 'POST', `/sessions/${done.id}/resend-receipt`, { reason: 'Driver lost it', email: 'driver@example.test' })
    expect(resend.status).toBe(200)
    const [mail] = await sys.store.db.select().from(outbox).where(eq(outbox.to, 'driver@example.test'))
    expect(mail.subject).toContain(done.number)
    expect(mail.text).toContain(`kvitto-${done.number}.pdf`)
    // A guest at a Swedish site: the mail in Swedish, money as money, the Swedish PDF alone.
    expect(mail.subject).toBe(`Kvitto ${done.number} från Laddpunkt Demo AB`)
    expect(mail.text).toMatch(/kWh · \d+,\d\d\skr/)
    expect(mail.text).toContain('Dokumentet finns bifogat som PDF.')
    expect(mail.text).not.toMatch(/Receipt|attached/)

    const buyer = { name: 'Åkeri AB', orgNumber: '556677-8899', address: 'Hamngatan 1, 111 47 Stockholm' }
    const invoice = await as(support, 'POST', `/sessions/${done.id}/reissue-invoice`, { reason: 'Company needs VAT invoice', buyer })
    expect(invoice.status).toBe(201)
    expect(invoice.body.replaces).toBe(done.number)
    expect(invoice.body.number).not.toBe(done.number)
    const same = await as(support, 'POST', `/sessions/${done.id}/reissue-invoice`, { reason: 'Clicked twice', buyer })
    expect(same.body.number).toBe(invoice.body.number)

    const original = await http(sys.url, 'GET', done.receiptPath)
    expect(original.body).toMatchObject({ number: done.number, kind: 'simplified_invoice' })
    expect(original.body.buyer).toBeUndefined()
    const token = new URL(sys.url + done.receiptPath).searchParams.get('t')
    const full = await http(sys.url, 'GET', `/api/receipts/${invoice.body.number}?t=${token}`)
    expect(full.body).toMatchObject({ number: invoice.body.number, kind: 'invoice', replaces: done.number, buyer, total: original.body.total, vat: original.body.vat })
    const pdf = await fetch(`${sys.url}/api/receipts/${invoice.body.number}.pdf?t=${token}`)
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    const caseFile = await as(support, 'GET', `/sessions/${done.id}`)
    expect(caseFile.body.receipts.map((r: { kind: string }) => r.kind)).toEqual(['simplified_invoice', 'invoice'])
    const kinds = caseFile.body.timeline.map((e: { kind: string }) => e.kind)
    expect(kinds).toContain('support_resend_receipt')
    expect(kinds).toContain('support_reissue_invoice')
    expect(kinds).toContain('invoice_issued')
  })
})
