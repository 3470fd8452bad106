import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, type TestSystem } from '../support/system'
import { cookieFor, createDriver } from '../support/auth'
import { sessions } from '../../bff/store/schema'
import { hashToken, newToken } from '../../bff/secrets'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem
let cp: SimChargePoint
let driverId: string
let cookie: string

const tariff = { currency: 'SEK', vatRateBp: 2500, components: [{ type: 'energy' as const, price: 495, unit: 'kWh' as const }] }

/** A finished session written straight into the database: history is about reading them. */
async function past(o: { startedAt: string; energyWh: number; costTotal: number; method?: 'card' | 'grant' | 'open'; state?: 'completed' | 'failed' | 'charging'; captured?: number; receipt?: string; userId?: string }) {
  const id = newToken(12)
  await sys.store.db.insert(sessions).values({
    id,
    state: o.state ?? 'completed',
    chargerId: 'DEMO-2',
    connectorId: 1,
    siteId: 'demo',
    method: o.method ?? 'card',
    idTag: `hist-${id}`,
    tariff,
    currency: 'SEK',
    holdAmount: 30_000,
    stopTokenHash: hashToken(newToken()),
    receiptTokenHash: hashToken(newToken()),
    energyWh: o.energyWh,
    costTotal: o.costTotal,
    capturedAmount: o.captured ?? o.costTotal,
    holdStatus: 'captured',
    startedAt: new Date(o.startedAt),
    stoppedAt: new Date(new Date(o.startedAt).getTime() + 3_600_000),
    receiptNumber: o.receipt ?? null,
    userId: o.userId ?? driverId,
    createdAt: new Date(o.startedAt),
  })
  return id
}

beforeAll(async () => {
  sys = await startTestSystem()
  cp = await connectCharger(sys)
  driverId = await createDriver(sys.store.db, 'history@example.com')
  cookie = await cookieFor(sys.store.db, driverId)
  await past({ startedAt: '2025-01-10T08:00:00Z', energyWh: 10_000, costTotal: 4950, receipt: '5591234567-000101' })
  // 00:30 on 1 February in Stockholm: a February session, though still January in UTC.
  await past({ startedAt: '2025-01-31T23:30:00Z', energyWh: 2_000, costTotal: 990, receipt: '5591234567-000102' })
  await past({ startedAt: '2025-02-14T12:00:00Z', energyWh: 5_000, costTotal: 2475, captured: 2000, receipt: '5591234567-000103' })
  await past({ startedAt: '2025-02-15T12:00:00Z', energyWh: 3_000, costTotal: 600, method: 'grant', receipt: '5591234567-000104' })
  await past({ startedAt: '2025-02-16T12:00:00Z', energyWh: 0, costTotal: 0, state: 'failed' })
  await past({ startedAt: '2025-02-17T12:00:00Z', energyWh: 9_999, costTotal: 9_999, userId: await createDriver(sys.store.db, 'someone@example.com') })
})
afterAll(async () => {
  await cp?.close()
  await sys?.close()
})

const get = (path: string, c = cookie) => http(sys.url, 'GET', path, { headers: { cookie: c } })

describe('history across devices', () => {
  it('lists the driver’s sessions, newest first, with receipt links and month totals in Stockholm time', async () => {
    const res = await get('/api/me/sessions')
    expect(res.status).toBe(200)
    expect(res.body.sessions.map((s: { startedAt: string }) => s.startedAt)).toEqual([
      '2025-02-16T12:00:00.000Z',
      '2025-02-15T12:00:00.000Z',
      '2025-02-14T12:00:00.000Z',
      '2025-01-31T23:30:00.000Z',
      '2025-01-10T08:00:00.000Z',
    ])
    expect(res.body.sessions[2]).toMatchObject({ method: 'card', total: 2000, energyWh: 5000, siteName: 'Demo Garage', receipt: { number: '5591234567-000103', url: expect.stringMatching(new RegExp(`^${sys.url}/api/receipts/5591234567-000103\\?t=[\\w-]+$`)) } })
    expect(res.body.sessions[0]).toMatchObject({ state: 'failed', total: 0, receipt: null })
    expect(res.body.months).toEqual([
      { month: '2025-02', currency: 'SEK', count: 3, energyWh: 10_000, total: 990 + 2000 + 600 },
      { month: '2025-01', currency: 'SEK', count: 1, energyWh: 10_000, total: 4950 },
    ])
    expect(res.body.nextCursor).toBeNull()
  })

  it('filters by month and pages with a cursor', async () => {
    const jan = await get('/api/me/sessions?month=2025-01')
    expect(jan.body.sessions).toHaveLength(1)
    const first = await get('/api/me/sessions?month=2025-02&limit=2')
    expect(first.body.sessions).toHaveLength(2)
    const second = await get(`/api/me/sessions?month=2025-02&limit=2&cursor=${first.body.nextCursor}`)
    expect(second.body.sessions).toHaveLength(2)
    expect(second.body.nextCursor).toBeNull()
    const ids = [...first.body.sessions, ...second.body.sessions].map((s: { id: string }) => s.id)
    expect(new Set(ids).size).toBe(4)
    expect((await get('/api/me/sessions?month=2025-13')).status).toBe(400)
    expect((await get('/api/me/sessions?cursor=garbage')).body.error.code).toBe('invalid_cursor')
  })

  it('exports CSV for expense reports', async () => {
    const res = await fetch(`${sys.url}/api/me/sessions?format=csv&month=2025-02`, { headers: { cookie } })
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="laddpunkt-2025-02.csv"')
    const lines = (await res.text()).trim().split('\r\n')
    expect(lines).toEqual([
      'date,site,charger,kWh,total,VAT,currency,receipt number',
      '2025-02-15,Demo Garage,DEMO-2/1,3.000,6.00,1.20,SEK,5591234567-000104',
      '2025-02-14,Demo Garage,DEMO-2/1,5.000,20.00,4.00,SEK,5591234567-000103',
      '2025-02-01,Demo Garage,DEMO-2/1,2.000,9.90,1.98,SEK,5591234567-000102',
    ])
  })

  it('is for signed-in drivers only', async () => {
    expect((await http(sys.url, 'GET', '/api/me/sessions')).status).toBe(401)
    const empty = await get('/api/me/sessions', await cookieFor(sys.store.db, await createDriver(sys.store.db, 'empty@example.com')))
    expect(empty.body).toEqual({ sessions: [], nextCursor: null, months: [] })
  })
})

describe('a guest’s sessions join the account', () => {
  it('claims the device’s sessions with their stop tokens, a running one too, and never another account’s', async () => {
    const guest = await http(sys.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' } })
    expect(guest.status).toBe(201)
    const { session, stopToken } = guest.body
    const someone = await createDriver(sys.store.db, 'claimer@example.com')
    const claimer = await cookieFor(sys.store.db, someone)
    const taken = await past({ startedAt: '2025-03-01T10:00:00Z', energyWh: 1, costTotal: 1 })

    const wrong = await http(sys.url, 'POST', '/api/me/claim', { body: { sessions: [{ id: session.id, stopToken: 'not-it' }] }, headers: { cookie: claimer } })
    expect(wrong.body).toEqual({ claimed: 0 })
    const ok = await http(sys.url, 'POST', '/api/me/claim', {
      body: { sessions: [{ id: session.id, stopToken }, { id: taken, stopToken: 'x' }, { id: 'nope', stopToken: 'x' }] },
      headers: { cookie: claimer },
    })
    expect(ok.body).toEqual({ claimed: 1 })
    const [row] = await sys.store.db.select().from(sessions).where(eq(sessions.id, session.id))
    expect(row.userId).toBe(someone)
    const [other] = await sys.store.db.select().from(sessions).where(eq(sessions.id, taken))
    expect(other.userId).toBe(driverId)
    // Now the account may see it without the token, on any device.
    expect((await http(sys.url, 'GET', `/api/sessions/${session.id}`, { headers: { cookie: claimer } })).status).toBe(200)
    expect((await http(sys.url, 'GET', `/api/sessions/${session.id}`, { headers: { cookie } })).status).toBe(404)
    expect((await http(sys.url, 'POST', '/api/me/claim', { body: { sessions: [{ id: session.id, stopToken }] }, headers: { cookie: claimer } })).body).toEqual({ claimed: 0 })
  })

  it('a session started while signed in is in the history at once', async () => {
    const started = await http(sys.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-1', connectorId: 2, method: 'card' }, headers: { cookie } })
    expect(started.status).toBe(201)
    const [row] = await sys.store.db.select().from(sessions).where(eq(sessions.id, started.body.session.id))
    expect(row.userId).toBe(driverId)
  })
})

describe('history amounts, the same as the receipt', () => {
  it('shows what was charged and why once final, the running cost before, and sums the same in the month totals', async () => {
    const userId = await createDriver(sys.store.db, 'amounts@example.com')
    const theirs = await cookieFor(sys.store.db, userId)
    const under = await past({ startedAt: '2025-03-01T10:00:00Z', energyWh: 418, costTotal: 207, captured: 0, userId })
    const open = await past({ startedAt: '2025-03-02T10:00:00Z', energyWh: 12_345, costTotal: 6111, method: 'open', captured: 0, userId })
    const grant = await past({ startedAt: '2025-03-03T10:00:00Z', energyWh: 242, costTotal: 120, method: 'grant', captured: 0, userId })
    const capped = await past({ startedAt: '2025-03-04T10:00:00Z', energyWh: 61_000, costTotal: 30_195, captured: 30_000, userId })
    const running = await past({ startedAt: '2025-03-05T10:00:00Z', energyWh: 418, costTotal: 207, captured: 0, state: 'charging', userId })
    const res = await get('/api/me/sessions', theirs)
    const byId = new Map(res.body.sessions.map((s: { id: string }) => [s.id, s]))
    expect(byId.get(under)).toMatchObject({ total: 0, charge: { amount: 0, basis: 'below_minimum', cost: 207, minimumCharge: 300 } })
    expect(byId.get(open)).toMatchObject({ total: 0, charge: { amount: 0, basis: 'free', cost: 6111 } })
    expect(byId.get(grant)).toMatchObject({ total: 120, charge: { amount: 120, basis: 'invoiced_by_owner' } })
    expect(byId.get(capped)).toMatchObject({ total: 30_000, charge: { amount: 30_000, basis: 'card', cost: 30_195 } })
    expect(byId.get(running)).toMatchObject({ total: 207, charge: null })
    expect(res.body.months).toEqual([{ month: '2025-03', currency: 'SEK', count: 5, energyWh: 418 + 12_345 + 242 + 61_000 + 418, total: 120 + 30_000 + 207 }])

    const csv = await fetch(`${sys.url}/api/me/sessions?format=csv&month=2025-03`, { headers: { cookie: theirs } })
    expect((await csv.text()).trim().split('\r\n').map((l) => l.split(',')[4])).toEqual(['total', '2.07', '300.00', '1.20', '0.00', '0.00'])
  })
})
