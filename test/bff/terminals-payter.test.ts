import { afterEach, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, testClock, until, type TestSystem } from '../support/system'
import { startFakePayter, payterTestCards, type FakePayter } from '../../bff/sim/payter-cloud'
import { paymentTerminals, sessions, terminalPayments } from '../../bff/store/schema'
import type { SimChargePoint } from '../../bff/sim/charge-point'

const [visa, mastercard, declining] = payterTestCards
let sys: TestSystem
let cp: SimChargePoint | undefined
let payter: FakePayter
const clock = testClock()

afterEach(async () => {
  await cp?.close()
  cp = undefined
  await sys?.close()
  await payter?.close()
})

/** The whole BFF with a Payter terminal on DEMO-1 connector 1, CPS faked locally. */
async function start(o: { connectorIds?: number[]; online?: boolean } = {}) {
  payter = await startFakePayter()
  const { openDemoStore } = await import('../support/store')
  const store = await openDemoStore()
  await store.db.insert(paymentTerminals).values({ id: 'P68-0001', provider: 'payter', chargerId: 'DEMO-1', connectorIds: o.connectorIds ?? [1], language: 'en' })
  sys = await startTestSystem({ store, clock: clock.now, terminals: { payter: { apiUrl: payter.url, apiKey: payter.apiKey } } })
  const close = sys.close
  sys.close = async () => {
    await close()
    await store.close()
  }
  if (o.online !== false) cp = await connectCharger(sys)
}

const sessionOf = async (paymentId: string) => (await sys.store.db.select().from(sessions).where(eq(sessions.paymentId, paymentId)))[0]
const lastPayment = async () => (await sys.store.db.select().from(terminalPayments)).at(-1)!

async function tapToStart(card = visa) {
  expect(await payter.tap('P68-0001', card)).toBe(true)
  const payment = await until('authorised and started', async () => {
    const p = (await sys.store.db.select().from(terminalPayments)).find((r) => r.status === 'started' && r.cardLast4 === card.last4)
    return p ?? null
  })
  return payment
}

describe('a Payter terminal on the charger (Cloud Payment Service, faked)', () => {
  it('shows the price before the tap, starts on a tap, refuses another card, stops with the same card, commits once and shows the receipt QR', async () => {
    await start()
    const idle = payter.screen('P68-0001').lines.join('\n')
    // AFIR order: energy price first, then the idle fee, then the hold.
    expect(idle).toMatch(/SEK\s4\.95\/kWh[\s\S]*Idle fee[\s\S]*Hold SEK\s300\.00/)

    const payment = await tapToStart()
    expect(payter.sessions.get(payment.id)).toMatchObject({ state: 'AUTHORIZED', authorizedAmount: 30000 })
    expect(payter.screen('P68-0001').lines.join(' ')).toMatch(/tap the same card/)
    await cp!.plugIn(1)
    await until('charging', async () => (await sessionOf(payment.id)).state === 'charging')
    await until('some energy', async () => (await sessionOf(payment.id)).energyWh > 1500)

    // Another card does not stop it, takes no hold, and the terminal says so.
    const before = payter.sessions.size
    expect(await payter.tap('P68-0001', mastercard)).toBe(true)
    await until('refusal shown', () => payter.screen('P68-0001').lines.join(' ').includes('did not start'))
    expect(payter.sessions.size).toBe(before)
    expect((await sessionOf(payment.id)).state).toBe('charging')

    // The same card stops it.
    expect(await payter.tap('P68-0001', visa)).toBe(true)
    await until('stopping', async () => ['stopping', 'settling'].includes((await sessionOf(payment.id)).state))
    expect((await sessionOf(payment.id)).stopReason).toBe('card')
    await until('settling', async () => (await sessionOf(payment.id)).state === 'settling')
    await cp!.unplug(1)
    const done = await until('completed', async () => {
      const s = await sessionOf(payment.id)
      return s.state === 'completed' ? s : null
    })

    // Exactly one commit at the provider, of min(cost, hold).
    expect(done.costTotal).toBeGreaterThan(300)
    expect(payter.commits).toEqual([{ sessionId: payment.id, amount: Math.min(done.costTotal!, 30000) }])
    expect(done.capturedAmount).toBe(done.costTotal)

    // The terminal shows the total and a QR code that opens the receipt in the PWA.
    const screen = await until('receipt QR', () => (payter.screen('P68-0001').qrCode ? payter.screen('P68-0001') : null))
    expect(screen.lines[0]).toBe(`Total SEK\u00a0${(done.costTotal! / 100).toFixed(2)}`)
    const qr = new URL(screen.qrCode!)
    expect(qr.pathname).toBe(`/r/${encodeURIComponent(done.receiptNumber!)}`)
    const receipt = await http(sys.url, 'GET', `/api/receipts/${encodeURIComponent(done.receiptNumber!)}?t=${qr.searchParams.get('t')}`)
    expect(receipt.status).toBe(200)
    expect(JSON.stringify(receipt.body)).toContain(done.receiptNumber!)
    // The token is not kept once shown; the terminal scans again.
    expect((await lastPayment()).receiptToken).toBeNull()
    expect(payter.terminals.get('P68-0001')!.state).toBe('READING')
  })

  it('unplugging stops the session and commits the cost', async () => {
    await start()
    const payment = await tapToStart()
    await cp!.plugIn(1)
    await until('energy', async () => (await sessionOf(payment.id)).energyWh > 1000)
    await cp!.unplug(1)
    const done = await until('completed', async () => {
      const s = await sessionOf(payment.id)
      return s.state === 'completed' ? s : null
    })
    expect(payter.commits).toEqual([{ sessionId: payment.id, amount: done.costTotal }])
  })

  it('a busy connector: no hold is taken and the terminal says so', async () => {
    await start()
    const phone = await http(sys.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' } })
    expect(phone.status).toBe(201)
    await sys.store.db.update(sessions).set({ state: 'starting' }).where(eq(sessions.id, phone.body.session.id))
    await payter.tap('P68-0001', mastercard)
    await until('refusal shown', () => payter.screen('P68-0001').lines.join(' ').includes('did not start'))
    expect(payter.sessions.size).toBe(0)
  })

  it('the charger offline: the authorisation is cancelled and nothing is committed', async () => {
    await start({ online: false })
    await payter.tap('P68-0001', visa)
    const refused = await until('refused', async () => ((await lastPayment())?.status === 'cancelled' ? await lastPayment() : null))
    expect(refused.refusal).toBe('charger_offline')
    expect(payter.cancels).toEqual([refused.id])
    expect(payter.commits).toEqual([])
    expect(payter.screen('P68-0001').lines.join(' ')).toMatch(/not connected[\s\S]*not charged/)
  })

  it('a declined card starts nothing', async () => {
    await start()
    await payter.tap('P68-0001', declining)
    await until('declined shown', () => payter.screen('P68-0001').lines.join(' ').includes('declined'))
    expect(await sys.store.db.select().from(terminalPayments)).toEqual([])
  })

  it('a 5xx on commit after it went through: retried, committed once', async () => {
    await start()
    const payment = await tapToStart()
    await cp!.plugIn(1)
    await until('energy', async () => (await sessionOf(payment.id)).energyWh > 1000)
    payter.faults.commitFailsAfter = 1
    payter.faults.commitFailsBefore = 1
    await cp!.unplug(1)
    await until('settling tried', async () => (await sessionOf(payment.id)).finalCost !== null)
    // The sweep retries the capture with the same key, later each time.
    const done = await until('completed after retries', async () => {
      clock.advance(10 * 60_000)
      await sys.sessions.tick()
      const s = await sessionOf(payment.id)
      return s.state === 'completed' ? s : null
    })
    expect(payter.commits).toEqual([{ sessionId: payment.id, amount: done.costTotal }])
  })

  it('a lost web hook is picked up by polling; a duplicated one starts one session', async () => {
    await start()
    payter.faults.loseCallbacks = 1
    await payter.tap('P68-0001', visa)
    expect(await sys.store.db.select().from(terminalPayments)).toEqual([])
    await sys.terminals.payter!.poll()
    const first = await until('started', async () => ((await lastPayment())?.status === 'started' ? await lastPayment() : null))
    await sys.store.db.update(paymentTerminals).set({ connectorIds: [1, 2] }).where(eq(paymentTerminals.id, 'P68-0001'))
    payter.faults.duplicateCallbacks = 1
    await payter.tap('P68-0001', mastercard, { connectorId: 2 })
    await until('second started', async () => (await sys.store.db.select().from(terminalPayments)).filter((p) => p.status === 'started').length === 2)
    await new Promise((r) => setTimeout(r, 200))
    const all = await sys.store.db.select().from(terminalPayments)
    expect(all.map((p) => p.connectorId).sort()).toEqual([1, 2])
    expect(payter.sessions.size).toBe(2)
    expect(first.cardLast4).toBe('0001')
  })

  it('refuses web hooks without the right token, and bad bodies, with 4xx', async () => {
    await start({ online: false })
    expect((await http(sys.url, 'POST', '/webhooks/payter/P68-0001?token=nope', { body: {} })).status).toBe(401)
    expect((await http(sys.url, 'POST', '/webhooks/payter/P68-0001', { body: {} })).status).toBe(400)
    expect((await http(sys.url, 'POST', '/webhooks/payter/..%2F?token=x', { body: {} })).status).toBeLessThan(500)
    const token = sys.terminals.payter!.cloud.callbackToken('P68-0001')
    expect((await http(sys.url, 'POST', `/webhooks/payter/P68-0001?token=${token}`, { body: { serialNumber: 7 } })).status).toBe(400)
    expect((await http(sys.url, 'POST', `/webhooks/payter/P68-0001?token=${token}`, { body: {} })).body).toEqual({ received: true, outcome: 'nothing_read' })
  })
})
