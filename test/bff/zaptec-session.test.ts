/**
 * The same driver flows as on an OCPP charger, on a Zaptec charger behind a local fake of Zaptec's
 * cloud (web-hook authorization + API): a paid session stopped from the phone, a car unplugged, a
 * grant session, an abandoned plug-in window; each ends in its receipt with the amount the provider
 * captured.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { http, startTestSystem, until, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import { demoZaptec, seedZaptecDemo, startZaptecDemo } from '../../bff/sim/zaptec-demo'
import { sessions, simulatedPayments, users } from '../../bff/store/schema'
import { quietLogger } from '../support/zaptec'

const visa = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2034, cvc: '123' }

let sys: TestSystem | undefined
let demo: Awaited<ReturnType<typeof startZaptecDemo>> | undefined
afterEach(async () => {
  await sys?.close()
  await demo?.close()
  sys = demo = undefined
})

async function boot(o: { plugInDelayMs?: number | null } = {}) {
  demo = await startZaptecDemo({ logger: quietLogger, plugInDelayMs: o.plugInDelayMs ?? 50, unplugAfterStopMs: 50, timeScale: 600 })
  sys = await startTestSystem({ zaptecApiUrl: demo.url, startTimeoutSeconds: 60 })
  await seedZaptecDemo(sys.store.db)
  await sys.zaptec.start()
  if (o.plugInDelayMs !== null) demo.connect(sys.url, sys.zaptec)
  else demo.cloud.setWebhooks(demoZaptec.zaptecInstallationId, webhooksOf(sys.url))
  return sys
}

function webhooksOf(url: string) {
  return {
    sessionStartUrl: `${url}/webhooks/zaptec/session-start`,
    sessionEndUrl: `${url}/webhooks/zaptec/session-end`,
    authenticationPayload: new URLSearchParams({ username: demoZaptec.webhookUsername, password: demoZaptec.webhookPassword }).toString(),
  }
}

const snapshot = async (id: string, token: string, cookie?: string) =>
  (await http(sys!.url, 'GET', `/api/sessions/${id}`, { token, headers: cookie ? { cookie } : {} })).body

async function startPaid() {
  const created = await http(sys!.url, 'POST', '/api/sessions', {
    body: { chargerId: demoZaptec.chargerId, connectorId: 1, method: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })
  expect(created.status).toBe(201)
  const { session, payment, stopToken } = created.body
  await http(sys!.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
  const authorized = await http(sys!.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
  expect(authorized.body.session.state).toBe('starting')
  return { id: session.id as string, token: stopToken as string }
}

async function until_(id: string, token: string, state: string, cookie?: string) {
  return until(state, async () => {
    const s = await snapshot(id, token, cookie)
    return s.state === state ? s : null
  }, 20_000)
}

async function captured(id: string) {
  const [s] = await sys!.store.db.select().from(sessions).where(eq(sessions.id, id))
  const [row] = await sys!.store.db.select().from(simulatedPayments).where(eq(simulatedPayments.id, s.paymentId!))
  return row
}

describe('a Zaptec charger, through the whole BFF', () => {
  it('shows the price first, then pay → plug in → live energy → stop from the phone → receipt', async () => {
    await boot()
    const charger = await http(sys!.url, 'GET', `/api/chargers/${demoZaptec.chargerId}`)
    expect(charger.body).toMatchObject({ id: demoZaptec.chargerId, online: true, startMethods: ['card'] })
    expect(charger.body.tariff.components[0]).toMatchObject({ type: 'energy', price: 495 })

    const { id, token } = await startPaid()
    await until_(id, token, 'charging')
    await until('live energy', async () => {
      await sys!.zaptec.poll()
      return (await snapshot(id, token)).energyWh > 300
    }, 20_000)
    expect((await http(sys!.url, 'POST', `/api/sessions/${id}/stop`, { token })).status).toBe(200)
    const done = await until_(id, token, 'completed')
    expect(done.energyWh).toBeGreaterThan(300)
    expect(done.stopReason).toBe('driver')
    expect(done.hold).toMatchObject({ status: 'captured', captured: done.charge.amount })
    expect((await captured(id)).amountCaptured).toBe(done.charge.amount)
    const link = new URL(done.receipt.url)
    const receipt = await http(sys!.url, 'GET', link.pathname + link.search)
    expect(receipt.status).toBe(200)
    expect(receipt.body.charge.amount).toBe(done.charge.amount)
    // support sees Zaptec's calls in the story, as it sees OCPP messages
    const support = await cookieFor(sys!.store.db, 'demo-support')
    const file = await http(sys!.url, 'GET', `/api/support/sessions/${id}`, { headers: { cookie: support } })
    const kinds = file.body.timeline.map((e: { kind: string }) => e.kind)
    expect(kinds).toEqual(expect.arrayContaining(['zaptec_session_start', 'zaptec_command_10001', 'zaptec_session_end', 'charging_started', 'charging_stopped', 'receipt_issued']))
  })

  it('the driver unplugs: Zaptec\'s session end settles the session', async () => {
    await boot()
    const { id, token } = await startPaid()
    await until_(id, token, 'charging')
    await until('energy', () => demo!.cloud.charger(demoZaptec.zaptecChargerId).energyKWh > 0.5)
    await demo!.cloud.unplug(demoZaptec.zaptecChargerId)
    const done = await until_(id, token, 'completed')
    expect(done.stopReason).toBe('unplugged')
    expect(done.energyWh).toBeGreaterThan(500)
    expect((await captured(id)).amountCaptured).toBe(done.hold.captured)
  })

  it('no car within the plug-in window: the session fails and the hold is released', async () => {
    sys = undefined
    await boot({ plugInDelayMs: null })
    const { id, token } = await startPaid()
    await sys!.store.db.update(sessions).set({ startDeadline: new Date(Date.now() - 1000) }).where(eq(sessions.id, id))
    await sys!.sessions.tick()
    const failed = await snapshot(id, token)
    expect(failed).toMatchObject({ state: 'failed', failureReason: 'start_timeout', hold: { status: 'released' } })
    expect((await captured(id)).status).toBe('canceled')
  })

  it('a grant session: no card, the owner\'s price, a receipt that says the owner invoices it', async () => {
    await boot()
    const owner = await cookieFor(sys!.store.db, 'demo-owner')
    await sys!.store.db.insert(users).values({ id: 'zap-driver', email: 'zap@example.test' })
    const driver = await cookieFor(sys!.store.db, 'zap-driver')
    const grant = await http(sys!.url, 'POST', '/api/sites/demo/grants', { body: { email: 'zap@example.test' }, headers: { cookie: owner } })
    expect(grant.status).toBe(201)
    const created = await http(sys!.url, 'POST', '/api/sessions', {
      body: { chargerId: demoZaptec.chargerId, connectorId: 1, method: 'grant' },
      headers: { cookie: driver },
    })
    expect(created.status).toBe(201)
    const { session, stopToken } = created.body
    expect(created.body.payment).toBeNull()
    await until_(session.id, stopToken, 'charging', driver)
    await until('energy', () => demo!.cloud.charger(demoZaptec.zaptecChargerId).energyKWh > 0.3)
    await http(sys!.url, 'POST', `/api/sessions/${session.id}/stop`, { token: stopToken })
    const done = await until_(session.id, stopToken, 'completed', driver)
    expect(done.method).toBe('grant')
    expect(done.charge.basis).toBe('invoiced_by_owner')
    expect(done.hold.status).toBe('none')
  })
})
