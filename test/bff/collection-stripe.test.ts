/**
 * Who collects, end to end: the real BFF over HTTP, real storage, simulated OCPP chargers and the
 * real `stripe` package against the local fake of Stripe's API (with Connect). Site `demo` in
 * platform mode (destination charges, our fee at capture, payouts to the owner's connected
 * account), site `demo-own` on the owner's own Stripe account (its keys, its webhooks). A paid
 * session and a refund in each mode; the statements add up against the sessions and the fake's books.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import Stripe from 'stripe'
import { eq } from 'drizzle-orm'
import { http, startTestSystem, until, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import { openDemoStore } from '../support/store'
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe'
import { StripePayments } from '../../bff/payments/stripe'
import { SitePayments } from '../../bff/payments/collection/router'
import { StripeAccounts } from '../../bff/payments/collection/accounts'
import { seedCollectionDemo, ownDemoFleetCharger } from '../../bff/payments/collection/demo'
import { feeOf } from '../../bff/payments/collection/fee'
import { collectedHolds, siteCollections } from '../../bff/payments/collection/schema'
import { SimChargePoint } from '../../bff/sim/charge-point'
import { demoChargerPassword } from '../../bff/store/seed'
import { sessions } from '../../bff/store/schema'
import { vatOf } from '../../bff/domain/money'
import type { Store } from '../../bff/store/db'

const webhookSecret = 'whsec_platform_secret'
const connectSecret = 'whsec_platform_connect_secret'
const ownKeys = { secretKey: 'sk_test_bergs_own_account', publishableKey: 'pk_test_bergs_own_account', webhookSecret: 'whsec_bergs_own_account' }
const platformSeller = { legalName: 'Laddpunkt Plattform AB', orgNumber: '559000-1111', vatNumber: 'SE559000111101', address: 'Kungsgatan 1, 111 43 Stockholm' }
const card = { brand: 'visa', last4: '4242', fingerprint: 'fp_visa_4242' }

let fake: FakeStripe
let store: Store
let sys: TestSystem
let platformCp: SimChargePoint
let ownCp: SimChargePoint
let owner: string
let support: string

beforeAll(async () => {
  fake = await startFakeStripe()
  store = await openDemoStore()
  await seedCollectionDemo(store.db, 500)
  const clientFor = (key: string) => new Stripe(key, { host: '127.0.0.1', port: fake.port, protocol: 'http', maxNetworkRetries: 2 })
  const payments = new SitePayments({
    db: store.db,
    platform: new StripePayments({ secretKey: 'sk_test_fake', publishableKey: 'pk_test_fake', webhookSecret, stripe: clientFor('sk_test_fake') }),
    platformSeller,
    defaultFeeBp: 500,
    connectEvents: new StripePayments({ secretKey: 'sk_test_fake', publishableKey: 'pk_test_fake', webhookSecret: connectSecret, stripe: clientFor('sk_test_fake') }),
    accounts: new StripeAccounts(clientFor('sk_test_fake'), clientFor),
    ownAccount: (keys) => new StripePayments({ ...keys, stripe: clientFor(keys.secretKey) }),
  })
  sys = await startTestSystem({ store, payments: payments as never })
  fake.sendWebhooks(`${sys.url}/webhooks/stripe`, webhookSecret)
  fake.sendWebhooks(`${sys.url}/webhooks/stripe/connect`, connectSecret, 'connect')
  const charger = (id: string, password: string) =>
    new SimChargePoint({ endpoint: `ws://127.0.0.1:${sys.port}/ocpp`, id, password, connectors: 2, maxPowerW: 11_000, dc: false, meterIntervalMs: 40, autoPlugDelayMs: null, timeScale: 600 })
  platformCp = charger('DEMO-1', demoChargerPassword('DEMO-1'))
  ownCp = charger(ownDemoFleetCharger.id, ownDemoFleetCharger.password)
  await platformCp.connect()
  await ownCp.connect()
  owner = await cookieFor(store.db, 'demo-owner')
  support = await cookieFor(store.db, 'demo-support')
}, 60_000)

afterAll(async () => {
  await platformCp?.close()
  await ownCp?.close()
  await sys?.close()
  await store?.close()
  await fake?.close()
})

const asOwner = (method: string, path: string, body?: unknown) => http(sys.url, method, path, { body, headers: { cookie: owner } })
const snapshot = async (id: string, token: string) => (await http(sys.url, 'GET', `/api/sessions/${id}`, { token })).body
const row = async (id: string) => (await store.db.select().from(sessions).where(eq(sessions.id, id)))[0]

async function createCardSession(chargerId: string) {
  return http(sys.url, 'POST', '/api/sessions', { body: { chargerId, connectorId: 1, method: 'card' }, headers: { 'idempotency-key': randomUUID() } })
}

/** Pays (the fake confirms the hold as Stripe.js would), charges until some energy, unplugs; returns the settled session. */
async function paidSession(chargerId: string, cp: SimChargePoint, o: { authorizeByWebhookOnly?: boolean } = {}) {
  const created = await createCardSession(chargerId)
  expect(created.status).toBe(201)
  const { session, payment, stopToken } = created.body
  const paymentId = (await row(session.id)).paymentId!
  fake.confirm(paymentId, { card })
  if (o.authorizeByWebhookOnly) await until('started from the webhook', async () => (await row(session.id)).state !== 'pending')
  else expect((await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })).status).toBe(200)
  await cp.plugIn(1)
  await until('energy', async () => (await snapshot(session.id, stopToken)).energyWh > 700)
  await cp.unplug(1)
  await until('completed', async () => (await snapshot(session.id, stopToken)).state === 'completed')
  const done = await row(session.id)
  expect(done.capturedAmount).toBeGreaterThan(0)
  return { id: session.id as string, stopToken: stopToken as string, paymentId, payment, captured: done.capturedAmount, settled: done }
}

async function receiptOf(id: string, token: string) {
  const snap = await snapshot(id, token)
  const url = new URL(snap.receipt.url)
  return (await http(sys.url, 'GET', `${url.pathname.replace(/^\/r\//, '/api/receipts/')}${url.search}`)).body
}

async function refund(id: string, amount: number) {
  const answer = await http(sys.url, 'POST', `/api/support/sessions/${id}/refund`, {
    body: { amount, reason: 'Charger stopped early, goodwill' },
    headers: { cookie: support, 'idempotency-key': randomUUID() },
  })
  expect(answer.status, JSON.stringify(answer.body)).toBe(201)
  expect(answer.body.refund.status).toBe('succeeded')
}

const stockholmMonth = (at: Date) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit' }).format(at)
const balanceOf = (account: string) => fake.bookings(account).reduce((sum, b) => sum + b.amount, 0)

describe('platform mode: destination charges through Stripe Connect', () => {
  let account: string

  it('onboards the owner through a Connect account link; card payments wait until Stripe says the account is ready', async () => {
    const started = await asOwner('POST', '/api/sites/demo/collection/connect')
    expect(started.status).toBe(200)
    expect(started.body.url).toMatch(/^https:\/\/connect\.stripe\.test\/setup\//)
    const [setup] = await store.db.select().from(siteCollections).where(eq(siteCollections.siteId, 'demo'))
    account = setup.connectedAccountId!
    expect(setup).toMatchObject({ mode: 'platform', accountReady: false })
    const link = fake.requests.find((r) => r.path === '/v1/account_links')!
    expect(link.params).toMatchObject({ account, type: 'account_onboarding', return_url: expect.stringContaining('/owner/sites/demo/money') })
    // Asked again, the same account gets a fresh link.
    await asOwner('POST', '/api/sites/demo/collection/connect')
    expect(fake.requests.filter((r) => r.path === '/v1/accounts' && r.method === 'POST').map((r) => r.idempotencyKey)).toEqual(['connected-account:demo'])
    expect(fake.requests.filter((r) => r.path === '/v1/account_links')).toHaveLength(2)

    const refused = await createCardSession('DEMO-1')
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('collection_not_ready')

    fake.completeOnboarding(account) // Stripe sends account.updated to the platform's Connect endpoint, signed with its own secret
    await until('account ready', async () => (await asOwner('GET', '/api/sites/demo/collection')).body.collection.ready)
    const view = (await asOwner('GET', '/api/sites/demo/collection')).body.collection
    expect(view).toMatchObject({ mode: 'platform', stripe: true, feeBp: 500, connect: { accountId: account, ready: true }, platformSeller })
  })

  it('captures a paid session as a destination charge with our fee, the platform sells on the receipt, and a refund reverses transfer and fee in proportion', async () => {
    const s = await paidSession('DEMO-1', platformCp)
    const create = fake.requests.find((r) => r.path === '/v1/payment_intents' && r.method === 'POST' && (r.params.metadata as { session_id?: string })?.session_id === s.id)!
    expect(create.params.transfer_data).toEqual({ destination: account })
    expect(s.payment.publishableKey).toBe('pk_test_fake')
    const fee = feeOf(s.captured, 500)
    expect(fee).toBeGreaterThan(0)
    const capture = fake.requests.find((r) => r.path === `/v1/payment_intents/${s.paymentId}/capture`)!
    expect(capture.params).toMatchObject({ amount_to_capture: String(s.captured), application_fee_amount: String(fee) })
    expect(capture.idempotencyKey).toBe(`${s.id}:capture`)
    expect(fake.executed(s.paymentId).captures).toEqual([s.captured])
    const transfer = fake.transfers().find((t) => t.destination === account)!
    expect(transfer.amount).toBe(s.captured)
    const applicationFee = fake.applicationFees().find((f) => f.account === account)!
    expect(applicationFee.amount).toBe(fee)

    const receipt = await receiptOf(s.id, s.stopToken)
    expect(receipt.seller).toEqual(platformSeller)
    expect((await http(sys.url, 'GET', '/api/chargers/DEMO-1')).body.site.seller).toEqual({ legalName: platformSeller.legalName, orgNumber: platformSeller.orgNumber, vatNumber: platformSeller.vatNumber })
    expect(receipt.number).toMatch(/^5590001111-\d{6}$/)
    expect(receipt.total).toBe(s.captured)

    const part = Math.floor(s.captured / 3)
    await refund(s.id, part)
    const refundCall = fake.requests.find((r) => r.path === '/v1/refunds' && r.params.payment_intent === s.paymentId)!
    expect(refundCall.params).toMatchObject({ amount: String(part), reverse_transfer: 'true', refund_application_fee: 'true' })
    expect(fake.transfers().find((t) => t.id === transfer.id)!.amount_reversed).toBe(part)
    const feeBack = Math.round((fee * part) / s.captured)
    expect(fake.applicationFees().find((f) => f.id === applicationFee.id)!.amount_refunded).toBe(feeBack)
    const [hold] = await store.db.select().from(collectedHolds).where(eq(collectedHolds.paymentId, s.paymentId))
    expect(hold).toMatchObject({ mode: 'platform', destination: account, feeAmount: fee, feeRefunded: feeBack })
    const caseFile = await http(sys.url, 'GET', `/api/support/sessions/${s.id}`, { headers: { cookie: support } })
    expect(caseFile.body.session.collection).toEqual({ mode: 'platform', destination: account, fee, feeRefunded: feeBack })

    // The month's statement adds up against the session and against the connected account's balance on Stripe.
    const month = stockholmMonth(s.settled.stoppedAt!)
    const statement = (await asOwner('GET', `/api/sites/demo/statements/${month}`)).body.statement
    expect(statement.sessions).toEqual([
      expect.objectContaining({ sessionId: s.id, receiptNumber: receipt.number, gross: s.captured, vat: vatOf(s.captured, 2500), fee, mode: 'platform', energyWh: s.settled.energyWh }),
    ])
    expect(statement.totals).toEqual({
      sessions: 1,
      energyWh: s.settled.energyWh,
      gross: s.captured,
      vat: receipt.vat,
      fees: fee,
      feesRefunded: feeBack,
      refunds: part,
      net: s.captured - fee + feeBack - part,
    })
    expect(balanceOf(account)).toBe(statement.totals.net)

    const csv = await http(sys.url, 'GET', `/api/sites/demo/statements/${month}.csv`, { headers: { cookie: owner } })
    expect(csv.headers.get('content-type')).toContain('text/csv')
    expect(csv.body).toContain(`session,${s.id},${receipt.number}`)
    expect(csv.body).toContain(`net_payout,${month},,,,,,,,,${(statement.totals.net / 100).toFixed(2)},SEK`)
    const pdf = await fetch(`${sys.url}/api/sites/demo/statements/${month}.pdf?lang=en`, { headers: { cookie: owner } })
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-')

    // Stripe pays the balance out; the owner sees the payout as Stripe reports it (Stripe-Account header).
    const paid = fake.payout(account)!
    expect(paid.amount).toBe(statement.totals.net)
    const payouts = await asOwner('GET', '/api/sites/demo/payouts')
    expect(payouts.body.payouts).toEqual([expect.objectContaining({ id: paid.id, amount: paid.amount, currency: 'SEK', status: 'paid' })])
    expect(fake.requests.some((r) => r.path === '/v1/payouts')).toBe(true)

    // Support's reconciliation: the platform's books agree with ours, refund included.
    const date = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(s.settled.createdAt)
    const report = await http(sys.url, 'GET', `/api/support/reconciliation?date=${date}&siteId=demo`, { headers: { cookie: support } })
    expect(report.status).toBe(200)
    expect(report.body.differences.filter((d: { sessionId: string | null }) => d.sessionId === s.id)).toEqual([])
    expect(report.body.rows).toEqual(expect.arrayContaining([expect.objectContaining({ sessionId: s.id, paymentId: s.paymentId })]))
  })

  it('lets only the owner see the money', async () => {
    const driver = await cookieFor(store.db, 'demo-support')
    for (const path of ['/api/sites/demo/collection', '/api/sites/demo/statements/2026-11', '/api/sites/demo/payouts']) {
      expect((await http(sys.url, 'GET', path, { headers: { cookie: driver } })).status).toBe(403)
      expect((await http(sys.url, 'GET', path)).status).toBe(401)
    }
    expect((await asOwner('GET', '/api/sites/demo/statements/2026-13')).status).toBe(400)
  })

  it('takes Connect events only with the Connect endpoint\'s own signature', async () => {
    const payload = JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event', type: 'account.updated', account, data: { object: { id: account, object: 'account' } } })
    const post = (secret: string) =>
      fetch(`${sys.url}/webhooks/stripe/connect`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': new Stripe('sk_test_fake').webhooks.generateTestHeaderString({ payload, secret }) }, body: payload })
    expect((await post(webhookSecret)).status).toBe(400)
    expect((await post(connectSecret)).status).toBe(200)
  })
})

describe('own-account mode: the owner\'s own Stripe account', () => {
  let account: string

  it('checks the owner\'s keys with a test call, refuses bad ones, stores the secret ones sealed', async () => {
    account = fake.addAccount(ownKeys.secretKey)
    fake.refuseKey('sk_test_revoked_key_000')
    const refused = await asOwner('PUT', '/api/sites/demo-own/collection/own-keys', { ...ownKeys, secretKey: 'sk_test_revoked_key_000' })
    expect(refused.status).toBe(400)
    expect(refused.body.error.code).toBe('key_refused')
    expect((await asOwner('PUT', '/api/sites/demo-own/collection/own-keys', { ...ownKeys, secretKey: 'not-a-key' })).status).toBe(400)
    const refusedSession = await createCardSession(ownDemoFleetCharger.id)
    expect(refusedSession.body.error.code).toBe('collection_not_ready')

    const saved = await asOwner('PUT', '/api/sites/demo-own/collection/own-keys', ownKeys)
    expect(saved.status).toBe(200)
    // The payment form is made before the hold exists: the charger tells the browser which account's key to use.
    expect((await http(sys.url, 'GET', `/api/chargers/${ownDemoFleetCharger.id}`)).body.cardPayments).toEqual({ provider: 'stripe', publishableKey: ownKeys.publishableKey })
    expect((await http(sys.url, 'GET', '/api/chargers/DEMO-1')).body.cardPayments).toEqual({ provider: 'stripe', publishableKey: 'pk_test_fake' })
    expect(saved.body.collection).toMatchObject({ mode: 'own', ready: true, own: { accountId: account, publishableKey: ownKeys.publishableKey, webhookUrl: `${sys.url}/webhooks/stripe/sites/demo-own` } })
    const [setup] = await store.db.select().from(siteCollections).where(eq(siteCollections.siteId, 'demo-own'))
    expect(JSON.stringify(setup)).not.toContain(ownKeys.secretKey)
    expect(JSON.stringify(setup)).not.toContain(ownKeys.webhookSecret)
    expect(JSON.stringify(saved.body)).not.toContain(ownKeys.secretKey)
  })

  it('holds, captures and refunds on the owner\'s account, starts from the site\'s own webhook, and the owner sells', async () => {
    fake.sendWebhooks(`${sys.url}/webhooks/stripe/sites/demo-own`, ownKeys.webhookSecret, account)
    const platformBefore = balanceOf(fake.platformAccount)
    const s = await paidSession(ownDemoFleetCharger.id, ownCp, { authorizeByWebhookOnly: true })
    expect(s.payment.publishableKey).toBe(ownKeys.publishableKey)
    const create = fake.requests.find((r) => r.path === '/v1/payment_intents' && (r.params.metadata as { session_id?: string })?.session_id === s.id)!
    expect(create.params.transfer_data).toBeUndefined()
    expect(fake.executed(s.paymentId).captures).toEqual([s.captured])
    // The platform's key cannot even see the owner's payment.
    const platformView = new StripePayments({ secretKey: 'sk_test_fake', publishableKey: 'pk_test_fake', webhookSecret, stripe: new Stripe('sk_test_fake', { host: '127.0.0.1', port: fake.port, protocol: 'http' }) })
    await expect(platformView.getHold(s.paymentId)).rejects.toMatchObject({ code: 'resource_missing' })

    const receipt = await receiptOf(s.id, s.stopToken)
    expect(receipt.seller).toMatchObject({ legalName: 'Bergs Bilservice AB', orgNumber: '556677-8899', vatNumber: 'SE556677889901' })
    expect(receipt.number).toMatch(/^5566778899-000001$/)

    const part = Math.floor(s.captured / 2)
    await refund(s.id, part)
    expect(fake.executed(s.paymentId).refunds).toEqual([part])
    const refundCall = fake.requests.find((r) => r.path === '/v1/refunds' && r.params.payment_intent === s.paymentId)!
    expect(refundCall.params.reverse_transfer).toBeUndefined()
    expect(balanceOf(account)).toBe(s.captured - part)
    expect(balanceOf(fake.platformAccount)).toBe(platformBefore)

    const month = stockholmMonth(s.settled.stoppedAt!)
    const statement = (await asOwner('GET', `/api/sites/demo-own/statements/${month}`)).body.statement
    expect(statement.totals).toEqual({ sessions: 1, energyWh: s.settled.energyWh, gross: s.captured, vat: receipt.vat, fees: 0, feesRefunded: 0, refunds: part, net: s.captured - part })
    expect(balanceOf(account)).toBe(statement.totals.net)

    const paid = fake.payout(account)!
    expect((await asOwner('GET', '/api/sites/demo-own/payouts')).body.payouts).toEqual([expect.objectContaining({ id: paid.id, amount: statement.totals.net })])

    // Support's reconciliation reads the owner's account too: nothing unexplained.
    const date = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(s.settled.createdAt)
    const report = await http(sys.url, 'GET', `/api/support/reconciliation?date=${date}&siteId=demo-own`, { headers: { cookie: support } })
    expect(report.status).toBe(200)
    expect(report.body.differences).toEqual([])
    expect(report.body.rows).toEqual(expect.arrayContaining([expect.objectContaining({ sessionId: s.id, paymentId: s.paymentId })]))
  })

  it('stops a session at the own-account site when the same card is presented (its payment method lives on the owner\'s account)', async () => {
    const created = await http(sys.url, 'POST', '/api/sessions', { body: { chargerId: ownDemoFleetCharger.id, connectorId: 2, method: 'card' }, headers: { 'idempotency-key': randomUUID() } })
    const { session, stopToken } = created.body
    fake.confirm((await row(session.id)).paymentId!, { card })
    expect((await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })).status).toBe(200)
    await ownCp.plugIn(2)
    await until('charging', async () => (await snapshot(session.id, stopToken)).state === 'charging')
    const presented = fake.addPaymentMethod(card, undefined, account)
    const stopped = await http(sys.url, 'POST', '/api/sessions/stop-by-card', { body: { chargerId: ownDemoFleetCharger.id, paymentMethod: presented } })
    expect(stopped.status).toBe(200)
    expect(stopped.body.session.id).toBe(session.id)
    await until('stopping', async () => ['stopping', 'settling', 'completed'].includes((await snapshot(session.id, stopToken)).state))
    await ownCp.unplug(2)
  })

  it('refuses a site webhook signed with another secret, and one for a site that does not collect on its own account', async () => {
    const payload = JSON.stringify({ id: 'evt_forged', object: 'event', type: 'payment_intent.canceled', data: { object: { id: 'pi_x', object: 'payment_intent' } } })
    const signer = new Stripe('sk_test_fake')
    const post = (site: string, secret: string) =>
      fetch(`${sys.url}/webhooks/stripe/sites/${site}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signer.webhooks.generateTestHeaderString({ payload, secret }) }, body: payload })
    expect((await post('demo-own', webhookSecret)).status).toBe(400)
    expect((await post('demo', webhookSecret)).status).toBe(400)
    expect((await post('demo-own', ownKeys.webhookSecret)).status).toBe(200)
  })

  it('lets a site\'s own account speak only of its own holds: an event about another site\'s hold changes nothing', async () => {
    const created = await createCardSession('DEMO-1')
    const target = await row(created.body.session.id)
    expect(target).toMatchObject({ state: 'pending', holdStatus: 'pending' }) // a cancel from the platform would end it
    const payload = JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event', type: 'payment_intent.canceled', data: { object: { id: target.paymentId, object: 'payment_intent', status: 'canceled' } } })
    const header = new Stripe('sk_test_fake').webhooks.generateTestHeaderString({ payload, secret: ownKeys.webhookSecret })
    const answer = await fetch(`${sys.url}/webhooks/stripe/sites/demo-own`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload })
    expect(answer.status).toBe(200)
    const after = await row(target.id)
    expect(after.state).toBe('pending')
    expect(fake.peek(target.paymentId!)?.status).toBe('requires_payment_method')
  })
})
