/**
 * Every session ends, with the right amount, whatever the charger does (issue 9). Each case is one
 * way a real charger or provider misbehaves, played message by message by a scripted charger over
 * OCPP 1.6J against the whole BFF, with money counted where it is kept: the provider's own ledger.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { RPCClient } from 'ocpp-rpc'
import { http, startTestSystem, startWithStripe, testClock, until, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import { demoChargerPassword } from '../../bff/store/seed'
import { intents, sessions, simulatedPayments } from '../../bff/store/schema'
import type { FakeStripe } from '../support/fake-stripe'

const visa = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2034, cvc: '123' }
const minute = 60_000

/**
 * A charger whose every message the test writes: it accepts remote starts and stops, and answers a
 * TriggerMessage(StatusNotification) with the connector status the test set (or not at all).
 */
class ScriptedCharger {
  readonly rpc: RPCClient
  remoteStarts: { connectorId: number; idTag: string }[] = []
  remoteStops: number[] = []
  triggers = 0
  /** What the connector reports when asked; null: the charger does not answer the question. */
  statusWhenAsked: string | null = 'Finishing'

  constructor(port: number, readonly id = 'DEMO-2') {
    this.rpc = new RPCClient({
      identity: id,
      endpoint: `ws://127.0.0.1:${port}/ocpp`,
      password: demoChargerPassword(id),
      protocols: ['ocpp1.6'],
      strictMode: true,
      reconnect: false,
    } as ConstructorParameters<typeof RPCClient>[0])
    this.rpc.handle('RemoteStartTransaction', async ({ params }: any) => {
      this.remoteStarts.push(params)
      return { status: 'Accepted' }
    })
    this.rpc.handle('RemoteStopTransaction', async ({ params }: any) => {
      this.remoteStops.push(params.transactionId)
      return { status: 'Accepted' }
    })
    this.rpc.handle('TriggerMessage', async () => {
      this.triggers++
      if (this.statusWhenAsked) setTimeout(() => void this.status(1, this.statusWhenAsked!).catch(() => {}), 10)
      return { status: 'Accepted' }
    })
    this.rpc.handle('ChangeConfiguration', async () => ({ status: 'Accepted' }))
  }

  async connect() {
    await this.rpc.connect()
    await this.rpc.call('BootNotification', { chargePointVendor: 'Test', chargePointModel: 'Scripted' })
    await this.status(1, 'Available')
  }

  /** StatusNotification without a timestamp (optional in 1.6, and many chargers leave it out). */
  status(connectorId: number, status: string) {
    return this.rpc.call('StatusNotification', { connectorId, status, errorCode: 'NoError' })
  }

  async start(idTag: string, meterStart: number, at: Date, connectorId = 1): Promise<number> {
    const answer = (await this.rpc.call('StartTransaction', { connectorId, idTag, meterStart, timestamp: at.toISOString() })) as any
    return answer.transactionId
  }

  meter(transactionId: number, wh: number, at: Date) {
    return this.rpc.call('MeterValues', { connectorId: 1, transactionId, meterValue: [{ timestamp: at.toISOString(), sampledValue: [{ value: String(wh) }] }] })
  }

  stop(transactionId: number, meterStop: number, at: Date, reason = 'Remote') {
    return this.rpc.call('StopTransaction', { transactionId, meterStop, timestamp: at.toISOString(), reason })
  }

  close() {
    return this.rpc.close({ force: true }).catch(() => {})
  }
}

let sys: TestSystem | undefined
let charger: ScriptedCharger | undefined
let fake: FakeStripe | undefined
afterEach(async () => {
  await charger?.close()
  await sys?.close()
  await fake?.close()
  sys = charger = fake = undefined
})

async function boot(options: Parameters<typeof startTestSystem>[0] = {}) {
  sys = await startTestSystem(options)
  charger = new ScriptedCharger(sys.port)
  await charger.connect()
  await until('charger online', () => sys!.central.isOnline('DEMO-2'))
  return sys
}

const snapshot = async (id: string, token: string) => (await http(sys!.url, 'GET', `/api/sessions/${id}`, { token })).body

/** A card session on DEMO-2, started: the RemoteStart's idTag. */
async function startPaid(connectorId = 1) {
  const created = await http(sys!.url, 'POST', '/api/sessions', {
    body: { chargerId: 'DEMO-2', connectorId, method: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })
  expect(created.status).toBe(201)
  const { session, payment, stopToken } = created.body
  if (payment.provider === 'simulated') {
    await http(sys!.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
  } else {
    const [row] = await sys!.store.db.select().from(sessions).where(eq(sessions.id, session.id))
    fake!.confirm(row.paymentId!, { card: { brand: 'visa', last4: '4242', fingerprint: 'fp_visa' } })
  }
  const authorized = await http(sys!.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
  expect(authorized.body.session.state).toBe('starting')
  const idTag = await until('RemoteStart', () => charger!.remoteStarts.at(-1)?.idTag)
  return { id: session.id as string, token: stopToken as string, idTag }
}

async function completed(id: string, token: string) {
  return until('completed', async () => {
    const s = await snapshot(id, token)
    return s.state === 'completed' ? s : null
  })
}

/** What the simulated provider actually captured for the session's hold. */
async function ledgerOf(id: string) {
  const [s] = await sys!.store.db.select().from(sessions).where(eq(sessions.id, id))
  const [row] = await sys!.store.db.select().from(simulatedPayments).where(eq(simulatedPayments.id, s.paymentId!))
  return row
}

/** 4,95 kr/kWh, half up. */
const energyCost = (wh: number) => Math.floor((wh * 495 + 500) / 1000)

describe('the charger\'s clock', () => {
  it.each([
    ['an hour behind', -60 * minute],
    ['six hours ahead', 6 * 60 * minute],
    ['reset to 1970', new Date('1970-01-01T00:00:00Z').getTime() - Date.now()],
  ])('%s: no idle time is billed that we did not see, and the energy is charged', async (_, skewMs) => {
    await boot()
    const { id, token, idTag } = await startPaid()
    const chargerNow = () => new Date(Date.now() + skewMs)
    const txId = await charger!.start(idTag, 10_000, chargerNow())
    await until('charging', async () => (await snapshot(id, token)).state === 'charging')
    await charger!.stop(txId, 13_000, new Date(chargerNow().getTime() + 20 * minute), 'EVDisconnected')
    const done = await completed(id, token)
    expect(done.energyWh).toBe(3000)
    expect(done.cost.lines.find((l: { type: string }) => l.type === 'idle')?.amount ?? 0).toBe(0)
    expect(done.cost.total).toBe(energyCost(3000))
    expect(done.hold).toMatchObject({ status: 'captured', captured: energyCost(3000) })
    expect(await ledgerOf(id)).toMatchObject({ status: 'succeeded', amountCaptured: energyCost(3000) })
    // both clocks are on record
    const [row] = await sys!.store.db.select().from(sessions).where(eq(sessions.id, id))
    expect(row.chargerStartedAt!.getTime() - row.startedAt!.getTime()).toBeCloseTo(Math.abs(skewMs) > 5 * minute ? skewMs : 0, -4)
  })
})

describe('waiting for the unplug', () => {
  it('a lost unplug: the charger is asked, answers Available, and the session settles; the connector is free again', async () => {
    await boot()
    const { id, token, idTag } = await startPaid()
    const txId = await charger!.start(idTag, 0, new Date())
    await charger!.stop(txId, 2000, new Date(), 'Remote')
    expect((await snapshot(id, token)).state).toBe('settling')
    // the StatusNotification(Available) never reached us; when asked, the charger tells
    charger!.statusWhenAsked = 'Available'
    await sys!.sessions.tick()
    const done = await completed(id, token)
    expect(charger!.triggers).toBeGreaterThan(0)
    expect(done.hold).toMatchObject({ status: 'captured', captured: energyCost(2000) })
    const next = await http(sys!.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-2', connectorId: 1, method: 'card' } })
    expect(next.status).toBe(201)
  })

  it('a car that never leaves: settled when the idle fee reaches its cap, never more', async () => {
    const clock = testClock()
    await boot({ clock: clock.now })
    const { id, token, idTag } = await startPaid()
    const txId = await charger!.start(idTag, 0, clock.now())
    await charger!.stop(txId, 2000, clock.now(), 'Remote')
    charger!.statusWhenAsked = null // the charger never answers
    // the demo tariff: 1 kr a minute after 30 minutes, at most 60 kr
    clock.advance(5 * 60 * minute)
    await sys!.sessions.tick()
    const done = await completed(id, token)
    const idle = done.cost.lines.find((l: { type: string }) => l.type === 'idle')
    expect(idle.amount).toBe(6000)
    expect(done.hold.captured).toBe(energyCost(2000) + 6000)
    expect((await ledgerOf(id)).amountCaptured).toBe(energyCost(2000) + 6000)
  })

  it('the charger goes away while the car is plugged in: idle time ends where we stopped seeing it', async () => {
    const clock = testClock()
    await boot({ clock: clock.now })
    const { id, token, idTag } = await startPaid()
    const txId = await charger!.start(idTag, 0, clock.now())
    await charger!.stop(txId, 2000, clock.now(), 'Remote')
    clock.advance(40 * minute)
    await charger!.close()
    const done = await completed(id, token)
    clock.advance(4 * 60 * minute)
    await sys!.sessions.tick()
    expect(await snapshot(id, token)).toEqual(done)
    // 40 minutes observed, 10 past the grace: 10 kr of idle fee, and nothing for the hours unseen
    expect(done.cost.total).toBe(energyCost(2000) + 1000)
    expect(done.hold.captured).toBe(energyCost(2000) + 1000)
  })
})

describe('what chargers send', () => {
  it('a StartTransaction resent with a new timestamp is the same transaction: meter values and the stop settle the session', async () => {
    await boot()
    const { id, token, idTag } = await startPaid()
    const first = await charger!.start(idTag, 500, new Date())
    const resent = await charger!.start(idTag, 500, new Date(Date.now() + 30_000))
    expect(resent).toBe(first)
    await charger!.meter(resent, 1500, new Date())
    await until('metered', async () => (await snapshot(id, token)).energyWh === 1000)
    await http(sys!.url, 'POST', `/api/sessions/${id}/stop`, { token })
    await until('RemoteStop', () => charger!.remoteStops.includes(first))
    await charger!.stop(resent, 2500, new Date(), 'Remote')
    await charger!.status(1, 'Available')
    const done = await completed(id, token)
    expect(done.energyWh).toBe(2000)
    expect(done.hold.captured).toBe(energyCost(2000))
  })

  it('energy registers past 2^31 Wh settle like any other', async () => {
    await boot()
    const { id, token, idTag } = await startPaid()
    const meterStart = 2_147_480_000
    const txId = await charger!.start(idTag, meterStart, new Date())
    await charger!.meter(txId, meterStart + 4000, new Date())
    await charger!.stop(txId, meterStart + 5000, new Date(), 'EVDisconnected')
    const done = await completed(id, token)
    expect(done.energyWh).toBe(5000)
    expect(done.hold.captured).toBe(energyCost(5000))
  })

  it('a reading beyond what the connector can deliver is not sold: billed at the plausible ceiling and shown to support', async () => {
    await boot()
    const { id, token, idTag } = await startPaid()
    const txId = await charger!.start(idTag, 0, new Date())
    await charger!.stop(txId, 9_000_000_000, new Date(), 'EVDisconnected')
    const done = await completed(id, token)
    expect(done.hold.captured).toBeLessThanOrEqual(done.hold.amount)
    const [row] = await sys!.store.db.select().from(sessions).where(eq(sessions.id, id))
    expect(row.attention).toBe('implausible_energy')
  })
})

describe('the sweep', () => {
  it('one session that cannot be settled is shown to support and does not hold up the others', async () => {
    await boot()
    const broken = await startPaid()
    const tx1 = await charger!.start(broken.idTag, 0, new Date())
    await charger!.stop(tx1, 1000, new Date(), 'Remote')
    // its stored tariff is damaged: computing its cost throws, every time
    await sys!.store.db.execute(sql`update sessions set tariff = jsonb_set(tariff, '{currency}', '"??"'), final_cost = null where id = ${broken.id}`)
    charger!.statusWhenAsked = null

    const other = await startPaid(2)
    const tx2 = await charger!.start(other.idTag, 0, new Date(), 2)
    // the stop command to the charger is lost: the intent stays pending for the sweep
    await sys!.store.db.update(sessions).set({ state: 'stopping', stopReason: 'driver' }).where(eq(sessions.id, other.id))
    await sys!.store.db.insert(intents).values({ sessionId: other.id, action: 'remote_stop', key: `${other.id}:remote_stop` })
    await sys!.sessions.tick()
    expect(charger!.remoteStops).toContain(tx2)
    const [row] = await sys!.store.db.select().from(sessions).where(eq(sessions.id, broken.id))
    expect(row.attention).toMatch(/^settle: /)
  })
})

describe('support ends any session', () => {
  it('a session stuck in stopping (the charger never confirms) ends with the energy known, captured once, audited', async () => {
    await boot()
    const support = await cookieFor(sys!.store.db, 'demo-support')
    const { id, token, idTag } = await startPaid()
    const txId = await charger!.start(idTag, 0, new Date())
    await charger!.meter(txId, 1800, new Date())
    await until('metered', async () => (await snapshot(id, token)).energyWh === 1800)
    await http(sys!.url, 'POST', `/api/sessions/${id}/stop`, { token })
    await charger!.close() // and it is never heard of again
    const file = await http(sys!.url, 'GET', `/api/support/sessions/${id}`, { headers: { cookie: support } })
    expect(file.body.can).toMatchObject({ end: true, stop: false, releaseHold: false })
    const ended = await http(sys!.url, 'POST', `/api/support/sessions/${id}/end`, { body: { reason: 'charger unreachable' }, headers: { cookie: support } })
    expect(ended.status).toBe(200)
    const done = await completed(id, token)
    expect(done.energyWh).toBe(1800)
    expect(done.hold).toMatchObject({ status: 'captured', captured: energyCost(1800) })
    expect((await ledgerOf(id)).amountCaptured).toBe(energyCost(1800))
    const again = await http(sys!.url, 'POST', `/api/support/sessions/${id}/end`, { body: { reason: 'again' }, headers: { cookie: support } })
    expect(again.status).toBe(409)
  })
})

describe('the provider\'s state decides', () => {
  async function bootStripe() {
    const started = await startWithStripe()
    await started.cp.close()
    ;({ fake } = started)
    sys = started.sys
    charger = new ScriptedCharger(sys.port)
    await charger.connect()
  }

  it('a hold that lapsed before capture: nothing charged, the session completes, support is told', async () => {
    await bootStripe()
    const { id, token, idTag } = await startPaid()
    const txId = await charger!.start(idTag, 0, new Date())
    const [row] = await sys!.store.db.select().from(sessions).where(eq(sessions.id, id))
    fake!.expire(row.paymentId!)
    await charger!.stop(txId, 3000, new Date(), 'EVDisconnected')
    const done = await completed(id, token)
    expect(done.hold.status).toBe('failed')
    expect(done.hold.captured).toBe(0)
    expect(fake!.executed(row.paymentId!).captures).toEqual([])
    const [after] = await sys!.store.db.select().from(sessions).where(eq(sessions.id, id))
    expect(after.attention).toBe('hold_lapsed')
  })

  it('a capture the provider already executed (our record was lost): read back, not captured again', async () => {
    await bootStripe()
    const { id, token, idTag } = await startPaid()
    const txId = await charger!.start(idTag, 0, new Date())
    const [row] = await sys!.store.db.select().from(sessions).where(eq(sessions.id, id))
    await fake!.client().paymentIntents.capture(row.paymentId!, { amount_to_capture: energyCost(3000) })
    await charger!.stop(txId, 3000, new Date(), 'EVDisconnected')
    const done = await completed(id, token)
    expect(done.hold).toMatchObject({ status: 'captured', captured: energyCost(3000) })
    expect(fake!.executed(row.paymentId!).captures).toEqual([energyCost(3000)])
  })
})
