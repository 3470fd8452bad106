/**
 * Support's lookup by card last four and date, the way a driver at a payment terminal describes
 * themselves: the terminal's sessions (marked as such), and taps that started no session with
 * their hold (released or being released), over real HTTP against the whole BFF.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, until, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import { startFakePayter, payterTestCards, type FakePayter } from '../../bff/sim/payter-cloud'
import { auditLog, paymentTerminals, sessions, terminalPayments } from '../../bff/store/schema'
import type { Store } from '../../bff/store/db'
import type { SimChargePoint } from '../../bff/sim/charge-point'

const [visa, mastercard] = payterTestCards
let sys: TestSystem
let store: Store
let payter: FakePayter
let cp: SimChargePoint
let support: string
let driver: string

beforeAll(async () => {
  payter = await startFakePayter()
  const { openDemoStore } = await import('../support/store')
  store = await openDemoStore()
  // DEMO-1 is online, DEMO-2 is not: a tap there authorises, starts nothing, and the hold is cancelled.
  await store.db.insert(paymentTerminals).values([
    { id: 'P68-0001', provider: 'payter', chargerId: 'DEMO-1', connectorIds: [1] },
    { id: 'P68-0002', provider: 'payter', chargerId: 'DEMO-2', connectorIds: [1] },
  ])
  sys = await startTestSystem({ store, terminals: { payter: { apiUrl: payter.url, apiKey: payter.apiKey } } })
  cp = await connectCharger(sys)
  support = await cookieFor(store.db, 'demo-support')
  const { users } = await import('../../bff/store/schema')
  await store.db.insert(users).values({ id: 'driver-1', email: 'driver@example.test' })
  driver = await cookieFor(store.db, 'driver-1')
})

afterAll(async () => {
  await cp?.close()
  await sys?.close()
  await store?.close()
  await payter?.close()
})

const as = (cookie: string, path: string) => http(sys.url, 'GET', `/api/support${path}`, { headers: { cookie } })

describe('support lookup by card last four and date', () => {
  it('finds the terminal session, and the tap that started nothing with its released hold', async () => {
    expect(await payter.tap('P68-0001', visa)).toBe(true)
    const started = await until('the terminal session', async () => (await store.db.select().from(terminalPayments)).find((p) => p.status === 'started') ?? null)
    expect(await payter.tap('P68-0002', mastercard)).toBe(true)
    const refused = await until('the cancelled hold', async () => (await store.db.select().from(terminalPayments)).find((p) => p.status === 'cancelled') ?? null)
    const [session] = await store.db.select().from(sessions).where(eq(sessions.id, started.sessionId!))
    const day = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' }).format(session.createdAt)

    const byVisa = await as(support, `/search?last4=${visa.last4}&date=${day}`)
    expect(byVisa.status).toBe(200)
    expect(byVisa.body.matches).toHaveLength(1)
    expect(byVisa.body.matches[0]).toMatchObject({ id: session.id, chargerId: 'DEMO-1', terminal: 'payter', card: { last4: visa.last4 }, matchedBy: 'card' })
    expect(byVisa.body.taps).toEqual([])

    const byMastercard = await as(support, `/search?last4=${mastercard.last4}&date=${day}`)
    expect(byMastercard.body.matches).toEqual([])
    expect(byMastercard.body.taps).toEqual([
      expect.objectContaining({ id: refused.id, terminalId: 'P68-0002', provider: 'payter', chargerId: 'DEMO-2', connectorId: 1, amount: 30000, currency: 'SEK', status: 'cancelled', refusal: 'charger_offline', card: { brand: mastercard.brand, last4: mastercard.last4 } }),
    ])
    // Narrowed to another charger, or another day: nothing.
    expect((await as(support, `/search?last4=${mastercard.last4}&date=${day}&chargerId=demo-1`)).body.taps).toEqual([])
    expect((await as(support, `/search?chargerId=DEMO-2&last4=${mastercard.last4}&date=${day}`)).body.taps).toHaveLength(1)
    const other = await as(support, `/search?last4=${mastercard.last4}&date=2001-01-01`)
    expect([other.body.matches, other.body.taps]).toEqual([[], []])
    // Other searches say nothing of taps.
    expect((await as(support, '/search?chargerId=DEMO-2')).body.taps).toEqual([])

    // The search is audited with the taps it showed; drivers may not search.
    const audits = await store.db.select().from(auditLog).where(eq(auditLog.action, 'search'))
    expect(audits.some((a) => JSON.stringify(a.data).includes(refused.id))).toBe(true)
    expect((await as(driver, `/search?last4=${mastercard.last4}&date=${day}`)).status).toBe(403)
  })
})
