import { afterEach, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, testClock, until, type TestSystem } from '../support/system'
import { intents, simulatedPayments } from '../../bff/store/schema'
import type { SimChargePoint } from '../../bff/sim/charge-point'
import { RPCClient } from 'ocpp-rpc'
import { demoChargerPassword } from '../../bff/store/seed'

const visa = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2034, cvc: '123' }
const declined = { ...visa, number: '4000000000000002' }

let sys: TestSystem
let cp: SimChargePoint
afterEach(async () => {
  await cp?.close()
  await sys?.close()
})

async function createSession(connectorId = 1, extra: Record<string, unknown> = {}, key = randomUUID()) {
  const res = await http(sys.url, 'POST', '/api/sessions', {
    body: { chargerId: 'DEMO-1', connectorId, method: 'card', ...extra },
    headers: { 'idempotency-key': key },
  })
  return res
}

/** Pay with a card and start: what the pay page does. */
async function startPaid(connectorId = 1, card = visa, extra: Record<string, unknown> = {}) {
  const created = await createSession(connectorId, extra)
  expect(created.status).toBe(201)
  const { session, payment, stopToken } = created.body
  const confirm = await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card } })
  const authorize = await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
  return { id: session.id as string, stopToken: stopToken as string, payment, confirm, authorize }
}

const snapshot = async (id: string, token: string) => (await http(sys.url, 'GET', `/api/sessions/${id}`, { token })).body

describe('a paid session, end to end over HTTP and OCPP', () => {
  it('holds, starts, meters, stops, captures the cost and issues a receipt', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const { id, stopToken, payment, authorize } = await startPaid()
    expect(payment).toMatchObject({ provider: 'simulated', holdAmount: 30000, currency: 'SEK' })
    expect(authorize.status).toBe(200)
    expect(authorize.body.session.state).toBe('starting')
    expect(authorize.body.session.hold).toMatchObject({ amount: 30000, status: 'held' })

    await cp.plugIn(1)
    await until('charging', async () => (await snapshot(id, stopToken)).state === 'charging')
    const running = await until('cost rising', async () => {
      const s = await snapshot(id, stopToken)
      return s.energyWh > 700 && s.cost.total > 300 ? s : null
    })
    expect(running.powerW).toBeGreaterThan(5000)
    expect(running.card).toEqual({ brand: 'visa', last4: '4242' })

    const stop = await http(sys.url, 'POST', `/api/sessions/${id}/stop`, { token: stopToken })
    expect(stop.status).toBe(200)
    expect(['stopping', 'settling']).toContain(stop.body.session.state)
    // The demo tariff has an idle fee: settlement waits for the car to leave.
    const settling = await until('settling', async () => {
      const s = await snapshot(id, stopToken)
      return s.state === 'settling' ? s : null
    })
    expect(settling.stopReason).toBe('driver')
    expect(settling.idle.graceEndsAt).not.toBeNull()
    await cp.unplug(1)
    const done = await until('completed', async () => {
      const s = await snapshot(id, stopToken)
      return s.state === 'completed' ? s : null
    })

    const energyWh = cp.meterWh(1) - done.energyWh // the meter moved by exactly the session's energy
    expect(energyWh).toBeGreaterThan(0)
    const expectedTotal = Math.floor((done.energyWh * 495) / 1000 + 0.5)
    expect(done.cost.total).toBe(expectedTotal)
    expect(done.hold).toMatchObject({ status: 'captured', captured: expectedTotal, released: 30000 - expectedTotal })
    const [ledger] = await sys.store.db.select().from(simulatedPayments)
    expect(ledger).toMatchObject({ status: 'succeeded', amountCaptured: expectedTotal })

    expect(done.receipt.url).toContain('?t=')
    const receiptPath = new URL(done.receipt.url).pathname + new URL(done.receipt.url).search
    const receipt = await http(sys.url, 'GET', receiptPath)
    expect(receipt.status).toBe(200)
    expect(receipt.body).toMatchObject({
      number: '5591234567-000001',
      total: expectedTotal,
      vat: Math.floor((expectedTotal * 2500) / 12500 + 0.5),
      seller: { legalName: 'Laddpunkt Demo AB', orgNumber: '559123-4567', vatNumber: 'SE559123456701' },
      charger: { id: 'DEMO-1', connectorId: 1, evseId: 'SE*LDP*EDEMO1*1' },
      payment: { card: { brand: 'visa', last4: '4242' }, holdAmount: 30000, captured: expectedTotal },
    })
    const pdf = await fetch(sys.url + receiptPath.replace('?', '.pdf?'))
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-')
    expect(pdf.headers.get('content-language')).toBe('sv') // Swedish unless asked otherwise
    const english = await fetch(sys.url + receiptPath.replace('?', '.pdf?') + '&lang=en')
    expect(english.headers.get('content-language')).toBe('en')
    expect((await http(sys.url, 'GET', receiptPath.replace('?', '.pdf?') + '&lang=xx')).status).toBe(400)
    // The site's clock for the times, and a link back to the receipt page that opens it for whoever holds it.
    expect(receipt.body.timeZone).toBe('Europe/Stockholm')
    const link = new URL(receipt.body.link)
    expect(link.pathname).toBe('/r/5591234567-000001')
    const shared = await http(sys.url, 'GET', `/api/receipts/5591234567-000001?t=${link.searchParams.get('t')}`)
    expect(shared.body.number).toBe('5591234567-000001')

    const noToken = await http(sys.url, 'GET', `/api/receipts/${done.receipt.number}`)
    expect(noToken.status).toBe(404)
    const wrongToken = await http(sys.url, 'GET', `/api/receipts/${done.receipt.number}?t=guess`)
    expect(wrongToken.status).toBe(404)
  })

  it('a declined card starts nothing, and cancelling releases the hold', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const { id, stopToken, confirm, authorize } = await startPaid(1, declined)
    expect(confirm.status).toBe(402)
    expect(confirm.body.error.code).toBe('card_declined')
    expect(authorize.status).toBe(402)
    expect((await snapshot(id, stopToken)).state).toBe('pending')
    expect(cp.transactionId(1)).toBeNull()
    const cancelled = await http(sys.url, 'POST', `/api/sessions/${id}/cancel`, { token: stopToken })
    expect(cancelled.body.session).toMatchObject({ state: 'cancelled', hold: { status: 'released' } })
    const [ledger] = await sys.store.db.select().from(simulatedPayments)
    expect(ledger.status).toBe('canceled')
  })

  it('a guessed session id or wrong token shows nothing', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const { id } = await startPaid()
    for (const token of [undefined, 'wrong-token']) {
      const res = await http(sys.url, 'GET', `/api/sessions/${id}`, { token })
      expect(res.status).toBe(404)
      const stop = await http(sys.url, 'POST', `/api/sessions/${id}/stop`, { token })
      expect(stop.status).toBe(404)
    }
    expect((await http(sys.url, 'GET', '/api/sessions/nope', { token: 'x' })).status).toBe(404)
  })

  it('a double tap on start creates one session and one hold', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const key = randomUUID()
    const [a, b] = await Promise.all([createSession(1, {}, key), createSession(1, {}, key)])
    expect(a.status).toBe(201)
    expect(b.status).toBe(201)
    expect(b.body.session.id).toBe(a.body.session.id)
    expect(b.body.stopToken).toBe(a.body.stopToken)
    expect(b.body.payment.clientSecret).toBe(a.body.payment.clientSecret)
    expect(await sys.store.db.select().from(simulatedPayments)).toHaveLength(1)
  })

  it('a double tap on stop sends one stop', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const { id, stopToken } = await startPaid()
    await cp.plugIn(1)
    await until('charging', async () => (await snapshot(id, stopToken)).state === 'charging')
    const stops = await Promise.all([1, 2, 3].map(() => http(sys.url, 'POST', `/api/sessions/${id}/stop`, { token: stopToken })))
    expect(stops.every((s) => s.status === 200)).toBe(true)
    const stopIntents = await sys.store.db.select().from(intents).where(eq(intents.sessionId, id))
    expect(stopIntents.filter((i) => i.action === 'remote_stop')).toHaveLength(1)
  })

  it('rejects bad input with a clear error and changes nothing', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const bad = [
      { chargerId: 'DEMO-1', connectorId: 0, method: 'card' },
      { chargerId: 'DEMO-1', connectorId: 1, method: 'bitcoin' },
      { chargerId: 'DEMO-1', connectorId: 1, method: 'card', capAmount: 1.5 },
      { chargerId: 'DEMO-1', connectorId: 1, method: 'card', capAmount: 999_999 },
      { chargerId: 'DEMO-1', connectorId: 7, method: 'card' },
      { chargerId: 'NOPE', connectorId: 1, method: 'card' },
    ]
    for (const body of bad) {
      const res = await http(sys.url, 'POST', '/api/sessions', { body })
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      expect(res.body.error.code).toMatch(/^[a-z_]+$/)
      expect(res.body.error.message.length).toBeGreaterThan(5)
    }
    const garbage = await fetch(sys.url + '/api/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' })
    expect(garbage.status).toBe(400)
    const shortKey = await http(sys.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' }, headers: { 'idempotency-key': 'x' } })
    expect(shortKey.body.error.code).toBe('invalid_idempotency_key')
    expect(await sys.store.db.select().from(simulatedPayments)).toHaveLength(0)
  })

  it('a lower cap holds less and the charger is stopped when the cost reaches it', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys, 'DEMO-1', { timeScale: 1500 })
    const { id, stopToken } = await startPaid(1, visa, { capAmount: 2000 })
    await cp.plugIn(1)
    // The cost reached the hold: stopped by us, and settled at once (the idle fee cannot add to a used-up hold).
    const done = await until('auto-stop and settlement', async () => {
      const s = await snapshot(id, stopToken)
      return s.state === 'completed' ? s : null
    })
    expect(done.stopReason).toBe('hold_limit')
    expect(done.hold.amount).toBe(2000)
    expect(done.cost.total).toBeGreaterThanOrEqual(2000 - 100)
    expect(done.hold.captured).toBe(Math.min(done.cost.total, 2000))
    expect(cp.transactionId(1)).toBeNull()
  })

  it('unplugging the car ends the session and settles at once', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const { id, stopToken } = await startPaid(2)
    await cp.plugIn(2)
    await until('energy', async () => (await snapshot(id, stopToken)).energyWh > 700)
    await cp.unplug(2)
    const done = await until('completed', async () => {
      const s = await snapshot(id, stopToken)
      return s.state === 'completed' ? s : null
    })
    expect(done.stopReason).toBe('unplugged')
    expect(done.hold.status).toBe('captured')
    expect(done.cost.lines.find((l: { type: string }) => l.type === 'idle').amount).toBe(0)
  })

  it('a charger that went away as the driver pays: the start waits for it until the start timeout, then the hold is released', async () => {
    const clock = testClock()
    sys = await startTestSystem({ clock: clock.now, startTimeoutSeconds: 60 })
    cp = await connectCharger(sys)
    const created = await createSession(1)
    const { session, payment, stopToken } = created.body
    await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
    await cp.goOffline()
    await until('offline', () => !sys.central.isOnline('DEMO-1'))
    // heard from moments ago: most likely reconnecting, so the start waits
    const res = await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
    expect(res.body.session).toMatchObject({ state: 'starting', hold: { status: 'held' } })
    // the RemoteStart never reached it: no extra grace past the start timeout
    clock.advance(61_000)
    await sys.sessions.tick()
    expect(await snapshot(session.id, stopToken)).toMatchObject({ state: 'failed', failureReason: 'charger_offline', hold: { status: 'released', released: 30000 } })
  })

  it('a charger long gone when the driver pays releases the hold at once', async () => {
    const clock = testClock()
    sys = await startTestSystem({ clock: clock.now })
    cp = await connectCharger(sys)
    const created = await createSession(1)
    const { session, payment, stopToken } = created.body
    await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
    await cp.goOffline()
    await until('offline', () => !sys.central.isOnline('DEMO-1'))
    clock.advance(5 * 60_000)
    const res = await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
    expect(res.body.session).toMatchObject({ state: 'failed', failureReason: 'charger_offline', hold: { status: 'released', released: 30000 } })
  })

  it('a charger reconnecting as the driver pays gets the RemoteStart when it is back', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const created = await createSession(1)
    const { session, payment, stopToken } = created.body
    await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
    await cp.goOffline()
    await until('offline', () => !sys.central.isOnline('DEMO-1'))
    const res = await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
    expect(res.body.session.state).toBe('starting')
    await cp.reconnect()
    await cp.plugIn(1)
    await until('charging', async () => (await snapshot(session.id, stopToken)).state === 'charging')
  })

  it('no StartTransaction within the start timeout: failed, hold released', async () => {
    const clock = testClock()
    sys = await startTestSystem({ clock: clock.now, startTimeoutSeconds: 60 })
    cp = await connectCharger(sys)
    const { id, stopToken, authorize } = await startPaid()
    expect(authorize.body.session.state).toBe('starting')
    clock.advance(61_000)
    await sys.sessions.tick()
    expect(await snapshot(id, stopToken)).toMatchObject({ state: 'failed', failureReason: 'start_timeout', hold: { status: 'released' } })
    // The car arrives late: the charger asks, and is told no.
    await cp.plugIn(1)
    await until('charger gave up', () => cp.transactionId(1) === null && cp.status(1) !== 'Charging')
    expect((await snapshot(id, stopToken)).hold.captured).toBe(0)
  })

  it('a StopTransaction delivered late, after the charger was offline, settles with the charger\'s times', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const { id, stopToken } = await startPaid()
    await cp.plugIn(1)
    await until('energy', async () => (await snapshot(id, stopToken)).energyWh > 700)
    await cp.goOffline()
    await new Promise((r) => setTimeout(r, 200))
    await cp.unplug(1)
    const stoppedAtCharger = new Date()
    await new Promise((r) => setTimeout(r, 300))
    expect((await snapshot(id, stopToken)).state).toBe('charging')
    await cp.reconnect()
    const done = await until('completed', async () => {
      const s = await snapshot(id, stopToken)
      return s.state === 'completed' ? s : null
    })
    expect(Math.abs(new Date(done.stoppedAt).getTime() - stoppedAtCharger.getTime())).toBeLessThan(250)
    expect(done.energyWh).toBeGreaterThan(50)
    expect(done.hold.captured).toBe(done.cost.total)
  })

  it('the same card presented again stops the session it pays for', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const { id, stopToken } = await startPaid()
    await cp.plugIn(1)
    await until('charging', async () => (await snapshot(id, stopToken)).state === 'charging')
    const other = await http(sys.url, 'POST', '/api/payments/simulated/payment-methods', { body: { card: { ...visa, number: '5555555555554444' } } })
    const miss = await http(sys.url, 'POST', '/api/sessions/stop-by-card', { body: { chargerId: 'DEMO-1', paymentMethod: other.body.id } })
    expect(miss.status).toBe(404)
    expect(miss.body.error.message).toMatch(/Apple Pay|Google Pay/)
    const same = await http(sys.url, 'POST', '/api/payments/simulated/payment-methods', { body: { card: visa } })
    const hit = await http(sys.url, 'POST', '/api/sessions/stop-by-card', { body: { chargerId: 'DEMO-1', paymentMethod: same.body.id } })
    expect(hit.status).toBe(200)
    expect(['stopping', 'settling']).toContain(hit.body.session.state)
    expect(hit.body.stopToken).toBeUndefined()
  })

  it('streams full snapshots over SSE with increasing ids', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const { id, stopToken } = await startPaid()
    const controller = new AbortController()
    const { body: grant } = await http(sys.url, 'POST', `/api/sessions/${id}/events-ticket`, { token: stopToken })
    const response = await fetch(`${sys.url}/api/sessions/${id}/events?ticket=${encodeURIComponent(grant.ticket)}`, { signal: controller.signal })
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const reader = response.body!.getReader()
    await cp.plugIn(1)
    const events: { id: number; data: any }[] = []
    let buffer = ''
    while (!events.some((e) => e.data.state === 'charging' && e.data.energyWh > 0)) {
      const { value } = await reader.read()
      buffer += new TextDecoder().decode(value)
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const chunk = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const idLine = chunk.match(/^id: (\d+)$/m)
        const dataLine = chunk.match(/^data: (.*)$/m)
        if (idLine && dataLine) events.push({ id: Number(idLine[1]), data: JSON.parse(dataLine[1]) })
      }
    }
    controller.abort()
    expect(events[0].data.state).toBe('starting')
    for (let i = 1; i < events.length; i++) expect(events[i].id).toBeGreaterThan(events[i - 1].id)
    expect(events.at(-1)!.data.id).toBe(id)
  })

  it('limits session starts and stop-by-card per client', async () => {
    sys = await startTestSystem({ limits: { sessionsPerMinute: 3, stopByCardPerMinute: 2 } })
    cp = await connectCharger(sys)
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await createSession(1)).status)
    expect(statuses).toEqual([201, 201, 201, 429])
    const limited = await createSession(2)
    expect(limited.body.error.code).toBe('rate_limited')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    const byCard = []
    for (let i = 0; i < 3; i++) byCard.push((await http(sys.url, 'POST', '/api/sessions/stop-by-card', { body: { chargerId: 'DEMO-1', paymentMethod: 'pm_x' } })).status)
    expect(byCard).toEqual([404, 404, 429])
  })

  it('a charger that rejects RemoteStart releases the hold at once, and the driver is told why', async () => {
    sys = await startTestSystem()
    // A charger of our own making that refuses every remote start (e.g. it is reserved locally).
    const options = { endpoint: `ws://127.0.0.1:${sys.port}/ocpp`, identity: 'DEMO-2', password: demoChargerPassword('DEMO-2'), protocols: ['ocpp1.6'], reconnect: false }
    const refusing = new RPCClient(options as ConstructorParameters<typeof RPCClient>[0])
    refusing.handle('RemoteStartTransaction', async () => ({ status: 'Rejected' }))
    await refusing.connect()
    await refusing.call('BootNotification', { chargePointVendor: 'Test', chargePointModel: 'Refuser' })
    await until('online', () => sys.central.isOnline('DEMO-2'))
    const created = await http(sys.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-2', connectorId: 1, method: 'card' }, headers: { 'idempotency-key': randomUUID() } })
    const { session, payment, stopToken } = created.body
    await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
    const authorized = await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
    expect(authorized.body.session).toMatchObject({ state: 'failed', failureReason: 'charger_rejected', hold: { status: 'released', released: 30000, captured: 0 } })
    const [ledger] = await sys.store.db.select().from(simulatedPayments)
    expect(ledger.status).toBe('canceled')
    await refusing.close()
  })
})
