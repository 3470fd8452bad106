/**
 * The embedded demo's two ways of collecting, with the simulated provider as `npm start` runs it:
 * site `demo` sells through the platform (our fee booked), site `demo-own` sells itself. Real BFF
 * over HTTP, real storage, simulated OCPP chargers, the simulated card form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { http, startTestSystem, until, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import { openDemoStore } from '../support/store'
import { readEnv } from '../../bff/env'
import { createPaymentProvider, demoPlatformSeller } from '../../bff/payments'
import { seedCollectionDemo, ownDemoFleetCharger } from '../../bff/payments/collection/demo'
import { feeOf, feeRefundedFor } from '../../bff/payments/collection/fee'
import { SimChargePoint } from '../../bff/sim/charge-point'
import { demoChargerPassword } from '../../bff/store/seed'
import { sessions, sites } from '../../bff/store/schema'
import type { Store } from '../../bff/store/db'

const visa = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2034, cvc: '123' }

let store: Store
let sys: TestSystem
const chargePoints: SimChargePoint[] = []
let owner: string
let support: string

beforeAll(async () => {
  store = await openDemoStore()
  expect(await seedCollectionDemo(store.db, 500)).toBe(true)
  expect(await seedCollectionDemo(store.db, 500)).toBe(false)
  const payments = createPaymentProvider(readEnv({ LADDPUNKT_MODE: 'demo', NODE_ENV: 'test' }, 'cli'), store.db)
  sys = await startTestSystem({ store, payments: payments as never })
  for (const [id, password] of [['DEMO-1', demoChargerPassword('DEMO-1')], [ownDemoFleetCharger.id, ownDemoFleetCharger.password]]) {
    const cp = new SimChargePoint({ endpoint: `ws://127.0.0.1:${sys.port}/ocpp`, id, password, connectors: 2, maxPowerW: 11_000, dc: false, meterIntervalMs: 40, autoPlugDelayMs: null, timeScale: 600 })
    await cp.connect()
    chargePoints.push(cp)
  }
  owner = await cookieFor(store.db, 'demo-owner')
  support = await cookieFor(store.db, 'demo-support')
}, 60_000)

afterAll(async () => {
  for (const cp of chargePoints) await cp.close()
  await sys?.close()
  await store?.close()
})

const asOwner = (method: string, path: string) => http(sys.url, method, path, { headers: { cookie: owner } })
const snapshot = async (id: string, token: string) => (await http(sys.url, 'GET', `/api/sessions/${id}`, { token })).body

async function paidSession(chargerId: string, cp: SimChargePoint) {
  const created = await http(sys.url, 'POST', '/api/sessions', { body: { chargerId, connectorId: 1, method: 'card' }, headers: { 'idempotency-key': randomUUID() } })
  expect(created.status).toBe(201)
  const { session, payment, stopToken } = created.body
  expect(payment.provider).toBe('simulated')
  expect((await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })).status).toBe(200)
  expect((await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })).status).toBe(200)
  await cp.plugIn(1)
  await until('energy', async () => (await snapshot(session.id, stopToken)).energyWh > 700)
  await cp.unplug(1)
  await until('completed', async () => (await snapshot(session.id, stopToken)).state === 'completed')
  const [row] = await store.db.select().from(sessions).where(eq(sessions.id, session.id))
  const snap = await snapshot(session.id, stopToken)
  const url = new URL(snap.receipt.url)
  const receipt = (await http(sys.url, 'GET', `${url.pathname.replace(/^\/r\//, '/api/receipts/')}${url.search}`)).body
  return { id: session.id as string, row, receipt }
}

const stockholmMonth = (at: Date) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit' }).format(at)

describe('the embedded demo', () => {
  it('has one site in each mode, both ready for card payments without Stripe', async () => {
    const [platform, own] = await Promise.all([asOwner('GET', '/api/sites/demo/collection'), asOwner('GET', '/api/sites/demo-own/collection')])
    expect(platform.body.collection).toMatchObject({ mode: 'platform', stripe: false, ready: true, feeBp: 500, platformSeller: demoPlatformSeller })
    expect(own.body.collection).toMatchObject({ mode: 'own', stripe: false, ready: true })
    const [ownSite] = await store.db.select().from(sites).where(eq(sites.id, 'demo-own'))
    expect(ownSite).toMatchObject({ name: 'Bergs Bilservice', orgNumber: '556677-8899', accessMode: 'paid' })
    // Before paying, the charger page names whom the receipt will name.
    const platformCharger = (await http(sys.url, 'GET', '/api/chargers/DEMO-1')).body
    expect(platformCharger.site.seller).toEqual({ legalName: demoPlatformSeller.legalName, orgNumber: demoPlatformSeller.orgNumber, vatNumber: demoPlatformSeller.vatNumber })
    const ownCharger = (await http(sys.url, 'GET', `/api/chargers/${ownDemoFleetCharger.id}`)).body
    expect(ownCharger.site.seller).toEqual({ legalName: 'Bergs Bilservice AB', orgNumber: '556677-8899', vatNumber: 'SE556677889901' })
    // Onboarding needs Stripe: the demo says so instead of pretending.
    const connect = await asOwner('POST', '/api/sites/demo/collection/connect')
    expect(connect.status).toBe(409)
    expect(connect.body.error.code).toBe('needs_stripe')
    expect((await asOwner('GET', '/api/sites/demo/payouts')).body).toEqual({ payouts: [], stripe: false })
  })

  it('names the platform as seller at the platform site and the owner at the own-account site, each in its own number series', async () => {
    const atPlatform = await paidSession('DEMO-1', chargePoints[0])
    const atOwn = await paidSession(ownDemoFleetCharger.id, chargePoints[1])
    expect(atPlatform.receipt.seller).toEqual(demoPlatformSeller)
    expect(atPlatform.receipt.number).toBe('5591234567-000001')
    expect(atOwn.receipt.seller).toEqual({ legalName: 'Bergs Bilservice AB', orgNumber: '556677-8899', vatNumber: 'SE556677889901', address: 'Storgatan 12, 753 20 Uppsala' })
    expect(atOwn.receipt.number).toBe('5566778899-000001')

    // A refund at the platform site gives back our fee in proportion; the own-account site pays no fee.
    const part = Math.floor(atPlatform.row.capturedAmount / 4)
    const refunded = await http(sys.url, 'POST', `/api/support/sessions/${atPlatform.id}/refund`, {
      body: { amount: part, reason: 'Goodwill' },
      headers: { cookie: support, 'idempotency-key': randomUUID() },
    })
    expect(refunded.status).toBe(201)
    const fee = feeOf(atPlatform.row.capturedAmount, 500)
    const month = stockholmMonth(atPlatform.row.stoppedAt!)
    const platformStatement = (await asOwner('GET', `/api/sites/demo/statements/${month}`)).body.statement
    const feeBack = feeRefundedFor(fee, atPlatform.row.capturedAmount, part)
    expect(platformStatement.totals).toEqual({
      sessions: 1,
      energyWh: atPlatform.row.energyWh,
      gross: atPlatform.row.capturedAmount,
      vat: atPlatform.receipt.vat,
      fees: fee,
      feesRefunded: feeBack,
      refunds: part,
      net: atPlatform.row.capturedAmount - fee + feeBack - part,
    })
    expect(platformStatement.refunds).toEqual([expect.objectContaining({ sessionId: atPlatform.id, amount: part, feeRefunded: feeBack })])
    const ownStatement = (await asOwner('GET', `/api/sites/demo-own/statements/${stockholmMonth(atOwn.row.stoppedAt!)}`)).body.statement
    expect(ownStatement.totals).toMatchObject({ sessions: 1, gross: atOwn.row.capturedAmount, vat: atOwn.receipt.vat, fees: 0, refunds: 0, net: atOwn.row.capturedAmount })
    expect(ownStatement.sessions).toEqual([expect.objectContaining({ sessionId: atOwn.id, mode: 'own', fee: 0, receiptNumber: atOwn.receipt.number })])
  })
})
