import { afterEach, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, testClock, until, type TestSystem } from '../support/system'
import { ccvTestCards, startFakeCcv, type FakeCcv } from '../../bff/sim/ccv-cloud'
import { paymentTerminals, sessions, terminalAsks, terminalPayments } from '../../bff/store/schema'
import { CcvCloud } from '../../bff/terminals/ccv/client'
import type { SimChargePoint } from '../../bff/sim/charge-point'

const [visa, mastercard] = ccvTestCards
let sys: TestSystem
let cp: SimChargePoint | undefined
let ccv: FakeCcv
const clock = testClock()

afterEach(async () => {
  await cp?.close()
  cp = undefined
  await sys?.close()
  await ccv?.close()
})

async function start(o: { online?: boolean } = {}) {
  ccv = await startFakeCcv()
  const { openDemoStore } = await import('../support/store')
  const store = await openDemoStore()
  await store.db.insert(paymentTerminals).values({ id: 'IM30-1', provider: 'ccv', chargerId: 'DEMO-1', connectorIds: [1], language: 'en' })
  sys = await startTestSystem({ store, clock: clock.now, terminals: { ccv: { apiUrl: ccv.url, apiKey: ccv.apiKey } } })
  const close = sys.close
  sys.close = async () => {
    await close()
    await store.close()
  }
  if (o.online !== false) cp = await connectCharger(sys)
}

const sessionOf = async (paymentId: string) => (await sys.store.db.select().from(sessions).where(eq(sessions.paymentId, paymentId)))[0]

async function startWith(card = visa) {
  await sys.terminals.ccv!.requestStart('IM30-1', 1)
  expect(await ccv.tap('IM30-1', card)).toBe(true)
  return until('started', async () => (await sys.store.db.select().from(terminalPayments)).find((p) => p.status === 'started') ?? null)
}

describe('a CCV IM30 on the charger (Payment API, faked)', () => {
  it('authorises, starts, refuses another card on stop, stops on the same card token, captures once and shows the receipt QR', async () => {
    await start()
    expect(ccv.screen('IM30-1').lines.join(' ')).toMatch(/SEK\s4\.95\/kWh[\s\S]*Hold SEK\s300\.00/)
    const payment = await startWith()
    await cp!.plugIn(1)
    await until('energy', async () => (await sessionOf(payment.id)).energyWh > 1500)

    await sys.terminals.ccv!.requestStop('IM30-1')
    await ccv.tap('IM30-1', mastercard)
    await until('refusal shown', () => ccv.screen('IM30-1').lines.join(' ').includes('did not start'))
    expect((await sessionOf(payment.id)).state).toBe('charging')

    await sys.terminals.ccv!.requestStop('IM30-1')
    await ccv.tap('IM30-1', visa)
    await until('settling', async () => (await sessionOf(payment.id)).state === 'settling')
    expect((await sessionOf(payment.id)).stopReason).toBe('card')
    await cp!.unplug(1)
    const done = await until('completed', async () => {
      const s = await sessionOf(payment.id)
      return s.state === 'completed' ? s : null
    })
    expect(ccv.captures).toEqual([{ reference: payment.id, amount: Math.min(done.costTotal!, 30000) }])
    const screen = await until('receipt QR', () => (ccv.screen('IM30-1').qrCode ? ccv.screen('IM30-1') : null))
    const qr = new URL(screen.qrCode!)
    const receipt = await http(sys.url, 'GET', `/api/receipts/${encodeURIComponent(done.receiptNumber!)}?t=${qr.searchParams.get('t')}`)
    expect(receipt.status).toBe(200)
  })

  it('the charger offline: the authorisation is reversed', async () => {
    await start({ online: false })
    await sys.terminals.ccv!.requestStart('IM30-1', 1)
    await ccv.tap('IM30-1', visa)
    const p = await until('reversed', async () => (await sys.store.db.select().from(terminalPayments)).find((r) => r.status === 'cancelled') ?? null)
    expect(p.refusal).toBe('charger_offline')
    expect(ccv.reversals).toEqual([p.id])
    expect(ccv.captures).toEqual([])
  })

  it('a 5xx on capture after it went through, and a duplicated webhook: captured once', async () => {
    await start()
    ccv.faults.duplicateWebhooks = 1
    const payment = await startWith()
    await cp!.plugIn(1)
    await until('energy', async () => (await sessionOf(payment.id)).energyWh > 1000)
    ccv.faults.captureFailsAfter = 1
    await cp!.unplug(1)
    const done = await until('completed after retries', async () => {
      clock.advance(10 * 60_000)
      await sys.sessions.tick()
      const s = await sessionOf(payment.id)
      return s.state === 'completed' ? s : null
    })
    expect(ccv.captures).toEqual([{ reference: payment.id, amount: done.costTotal }])
    expect((await sys.store.db.select().from(terminalPayments)).length).toBe(1)
  })

  it('lost webhooks, of the start across a restart and of the stop: read back by the poll; the buttons over HTTP', async () => {
    await start()
    const token = sys.terminals.ccv!.cloud.webhookToken('IM30-1')
    const press = (body: unknown) => http(sys.url, 'POST', `/webhooks/ccv/IM30-1/press?token=${token}`, { body })
    expect((await http(sys.url, 'POST', '/webhooks/ccv/IM30-1/press?token=x', { body: { button: 'start' } })).status).toBe(401)
    expect((await press({ button: 'open' })).status).toBe(400)
    ccv.faults.loseWebhooks = 1
    expect((await press({ button: 'start', connectorId: 1 })).status).toBe(200)
    expect(await ccv.tap('IM30-1', visa)).toBe(true)
    const [asked] = await sys.store.db.select().from(terminalPayments)
    expect(asked).toMatchObject({ status: 'pending', connectorId: 1 })
    // The BFF restarts before anyone reads the answer: the row is still there to poll.
    await cp!.close()
    sys = await sys.restart()
    cp = await connectCharger(sys)
    await sys.terminals.ccv!.poll()
    const payment = await until('started', async () => (await sys.store.db.select().from(terminalPayments)).find((p) => p.status === 'started') ?? null)
    expect(payment.id).toBe(asked.id)
    await cp.plugIn(1)
    await until('energy', async () => (await sessionOf(payment.id)).energyWh > 1000)
    ccv.faults.loseWebhooks = 1
    expect((await press({ button: 'stop' })).status).toBe(200)
    expect(await ccv.tap('IM30-1', visa)).toBe(true)
    expect((await sessionOf(payment.id)).state).toBe('charging')
    await sys.terminals.ccv!.poll()
    await until('stopping', async () => ['stopping', 'settling'].includes((await sessionOf(payment.id)).state))
    expect((await sessionOf(payment.id)).stopReason).toBe('card')
  })

  it('asks a crash left unanswered are found by our reference: a hold is reversed, a card still awaited is answered as any', async () => {
    await start()
    // What a process killed right after asking CCV leaves: the asks, and at CCV their payments (one by the Idempotency-Reference).
    const dead = new CcvCloud({ baseUrl: ccv.url, apiKey: ccv.apiKey, publicUrl: sys.url })
    const askedAt = new Date(Date.now() - 60_000)
    const ask = async (reference: string) => {
      await sys.store.db.insert(terminalAsks).values({ reference, terminalId: 'IM30-1', provider: 'ccv', connectorId: 1, amount: 30000, currency: 'SEK', askedAt })
      return dead.authorise('IM30-1', { reference, amount: 30000, currency: 'SEK' })
    }
    const held = await ask('ask-held')
    expect(await dead.authorise('IM30-1', { reference: 'ask-held', amount: 30000, currency: 'SEK' })).toMatchObject({ id: held.id })
    ccv.faults.loseWebhooks = 1
    expect(await ccv.tap('IM30-1', visa)).toBe(true)
    expect(ccv.transactions.get(held.id)!.status).toBe('success')
    // An ask that never reached CCV: nothing carries its reference, and it is forgotten.
    await sys.store.db.insert(terminalAsks).values({ reference: 'ask-nothing', terminalId: 'IM30-1', provider: 'ccv', connectorId: 1, amount: 30000, currency: 'SEK', askedAt })

    await sys.terminals.desk.sweepCancels({ all: true })
    expect(ccv.reversals).toEqual([held.id])
    expect(await sys.store.db.select().from(terminalPayments)).toEqual([expect.objectContaining({ id: held.id, status: 'cancelled', refusal: 'abandoned', sessionId: null })])
    expect(await sys.store.db.select().from(terminalAsks)).toEqual([])
    expect(ccv.screen('IM30-1').lines.join(' ')).toMatch(/not charged/)

    // An ask still waiting for the card becomes a pending payment: the card presented later starts the session.
    const waiting = await ask('ask-waiting')
    await sys.terminals.desk.sweepCancels({ all: true })
    expect(await sys.store.db.select().from(terminalAsks)).toEqual([])
    expect((await sys.store.db.select().from(terminalPayments).where(eq(terminalPayments.id, waiting.id)))[0]).toMatchObject({ status: 'pending', connectorId: 1 })
    ccv.faults.loseWebhooks = 1
    expect(await ccv.tap('IM30-1', mastercard)).toBe(true)
    await sys.terminals.ccv!.poll()
    await until('started', async () => (await sessionOf(waiting.id))?.state === 'starting' || (await sessionOf(waiting.id))?.state === 'charging')
    expect(ccv.captures).toEqual([])
  })

  it('webhooks: 401 without the token, 400 on a bad body', async () => {
    await start({ online: false })
    expect((await http(sys.url, 'POST', '/webhooks/ccv/IM30-1?token=x', { body: { reference: 'TL1' } })).status).toBe(401)
    const token = sys.terminals.ccv!.cloud.webhookToken('IM30-1')
    expect((await http(sys.url, 'POST', `/webhooks/ccv/IM30-1?token=${token}`, { body: { reference: '<script>' } })).status).toBe(400)
  })
})
