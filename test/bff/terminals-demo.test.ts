/**
 * The embedded demo's card terminal (bff/sim/payter-demo.ts) and the demo-only API the PWA's demo page
 * drives: tap Visa 4242 to start, Mastercard 5555 is refused while it charges, the same Visa stops;
 * the API is absent in production. And POST /api/admin/payment-terminals, which `npm run cli --
 * terminal add` uses against a running embedded server.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, startWithStripe, until, type TestSystem } from '../support/system'
import { demoPayter, demoPayterCards, seedPayterDemo, startPayterDemo } from '../../bff/sim/payter-demo'
import type { FakePayter } from '../../bff/sim/payter-cloud'
import { paymentTerminals, sessions, terminalPayments } from '../../bff/store/schema'
import { hashToken, newToken } from '../../bff/secrets'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const [visa, mastercard] = demoPayterCards
const base = `/api/demo/terminals/${demoPayter.terminalId}`

async function startDemo(): Promise<{ sys: TestSystem; payter: FakePayter }> {
  const payter = await startPayterDemo()
  cleanups.push(() => payter.close())
  const { openDemoStore } = await import('../support/store')
  const store = await openDemoStore()
  cleanups.push(() => store.close())
  expect(await seedPayterDemo(store.db)).toBe(true)
  expect(await seedPayterDemo(store.db)).toBe(false)
  const sys = await startTestSystem({ store, terminals: { payter: { apiUrl: payter.url, apiKey: payter.apiKey } }, demoTerminal: payter })
  cleanups.push(() => sys.close())
  return { sys, payter }
}

describe('the demo terminal', () => {
  it('is seeded once on DEMO-3 and taps: Visa starts, Mastercard is refused, the same Visa stops', async () => {
    const { sys } = await startDemo()
    const cp = await connectCharger(sys, 'DEMO-3')
    cleanups.push(() => cp.close())
    const [row] = await sys.store.db.select().from(paymentTerminals).where(eq(paymentTerminals.id, demoPayter.terminalId))
    expect(row).toMatchObject({ provider: 'payter', chargerId: 'DEMO-3', connectorIds: [1] })

    const idle = await http(sys.url, 'GET', base)
    expect(idle.status).toBe(200)
    expect(idle.body.scanning).toBe(true)
    expect(idle.body.screen.lines.join(' ')).toMatch(/Blippa ditt kort för att starta/)
    expect(idle.body.cards.map((c: { last4: string }) => c.last4)).toEqual(['4242', '5555'])

    const start = await http(sys.url, 'POST', `${base}/tap`, { body: { cardId: visa.cardId } })
    expect(start.status).toBe(200)
    expect(start.body.tapped).toBe(true)
    expect(start.body.screen.lines.join(' ')).toMatch(/anslut din bil/)
    const [payment] = await sys.store.db.select().from(terminalPayments)
    expect(payment).toMatchObject({ status: 'started', cardLast4: '4242' })
    await cp.plugIn(1)
    const sessionOf = async () => (await sys.store.db.select().from(sessions).where(eq(sessions.id, payment.sessionId!)))[0]
    await until('charging', async () => (await sessionOf()).state === 'charging')

    const wrong = await http(sys.url, 'POST', `${base}/tap`, { body: { cardId: mastercard.cardId } })
    expect(wrong.body.screen.lines.join(' ')).toMatch(/startade ingen laddning/)
    expect((await sessionOf()).state).toBe('charging')
    expect(await sys.store.db.select().from(terminalPayments)).toHaveLength(1)

    const stop = await http(sys.url, 'POST', `${base}/tap`, { body: { cardId: visa.cardId } })
    expect(stop.body.screen.lines.join(' ')).toMatch(/Laddningen stoppas/)
    await until('settling', async () => (await sessionOf()).state === 'settling')
    await cp.unplug(1)
    const qr = await until('receipt QR', async () => (await http(sys.url, 'GET', base)).body.screen.qrUrl as string | null)
    expect(new URL(qr).pathname).toMatch(/^\/r\//)
    const image = await fetch(`${sys.url}${base}/qr.svg`)
    expect(image.headers.get('content-type')).toBe('image/svg+xml')
    expect(await image.text()).toContain('<svg')
  })

  it('answers 404 for another terminal and an unknown card', async () => {
    const { sys } = await startDemo()
    expect((await http(sys.url, 'GET', '/api/demo/terminals/NOPE')).status).toBe(404)
    expect((await http(sys.url, 'POST', `${base}/tap`, { body: { cardId: 'card-visa-0001' } })).status).toBe(404)
    expect((await http(sys.url, 'GET', `${base}/qr.svg`)).status).toBe(404)
  })

  it('is absent in production, even with a simulated terminal handed in', async () => {
    const payter = await startPayterDemo()
    cleanups.push(() => payter.close())
    const { sys, fake, cp, store } = await startWithStripe({ demo: false, demoTerminal: payter, terminals: { payter: { apiUrl: payter.url, apiKey: payter.apiKey } } })
    cleanups.push(() => fake.close(), () => store.close(), () => sys.close(), () => cp.close())
    await seedPayterDemo(store.db)
    expect((await http(sys.url, 'GET', base)).status).toBe(404)
    expect((await http(sys.url, 'POST', `${base}/tap`, { body: { cardId: visa.cardId } })).status).toBe(404)
    expect(payter.terminals.get(demoPayter.terminalId)?.state).not.toBe('CARD_READ')
  })
})

describe('POST /api/admin/payment-terminals', () => {
  it('puts a terminal on a charger with the admin token, and refuses without it', async () => {
    const token = newToken()
    const sys = await startTestSystem({ adminTokenHash: hashToken(token) })
    cleanups.push(() => sys.close())
    const input = { id: 'P68-000123', chargerId: 'DEMO-2', provider: 'payter', connectorIds: [2] }
    expect((await http(sys.url, 'POST', '/api/admin/payment-terminals', { body: input })).status).toBe(401)
    const added = await http(sys.url, 'POST', '/api/admin/payment-terminals', { body: input, token })
    expect(added.status).toBe(201)
    expect(added.body).toMatchObject({ id: 'P68-000123', provider: 'payter', chargerId: 'DEMO-2', connectorIds: [2] })
    const again = await http(sys.url, 'POST', '/api/admin/payment-terminals', { body: { id: 'P68-000123', chargerId: 'DEMO-2', provider: 'payter' }, token })
    expect(again.body.connectorIds).toEqual([1, 2])
    expect((await http(sys.url, 'POST', '/api/admin/payment-terminals', { body: { ...input, chargerId: 'NOPE' }, token })).status).toBe(404)
    expect((await http(sys.url, 'POST', '/api/admin/payment-terminals', { body: { ...input, connectorIds: [7] }, token })).status).toBe(400)
    expect((await http(sys.url, 'POST', '/api/admin/payment-terminals', { body: { ...input, provider: 'other' }, token })).status).toBe(400)
  })
})
