/**
 * Junk in ids, parameters, queries and bodies gets a 4xx with a clear message, never a 500: NUL bytes
 * and other control characters first of all (PostgreSQL refuses NUL in text), then a seeded fuzz over
 * every route the app has, as a guest, a driver and support staff.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { connectCharger, http, startTestSystem, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import type { SimChargePoint } from '../../bff/sim/charge-point'

vi.setConfig({ testTimeout: 300_000 })
let sys: TestSystem
let cp: SimChargePoint
let cookies: (string | undefined)[]
beforeAll(async () => {
  sys = await startTestSystem()
  cp = await connectCharger(sys)
  cookies = [undefined, await cookieFor(sys.store.db, 'demo-support'), await cookieFor(sys.store.db, 'demo-owner')]
})
afterAll(async () => {
  await cp?.close()
  await sys?.close()
})

describe('control characters', () => {
  it('in an id, a query or a JSON body answer 400 with a message that says so', async () => {
    const cases: [string, string, unknown?][] = [
      ['GET', '/api/chargers/DEMO%001'],
      ['GET', '/api/chargers/DEMO-1%0A'],
      ['GET', '/api/receipts/LP-2026%00-000001'],
      ['GET', '/api/sessions/ses%00x'],
      ['GET', '/api/me/sessions?month=2026-01%00'],
      ['GET', '/api/support/search?q=%00'],
      ['GET', '/api/chargers/DEMO-1?x%00=1'],
      ['POST', '/api/sessions', { chargerId: 'DEMO-1\u0000', connectorId: 1, method: 'card' }],
      ['POST', '/api/sessions/stop-by-card', { chargerId: 'DEMO-1', paymentMethod: 'pm_\u0000' }],
      ['POST', '/api/auth/email/verify', { email: 'driver@example.com', code: '12\u00003456' }],
    ]
    for (const [method, path, body] of cases) {
      const res = await http(sys.url, method, path, { body, headers: { cookie: cookies[1]! } })
      expect(res.status, `${method} ${path}`).toBe(400)
      expect(res.body.error.code, `${method} ${path}`).toBe('invalid_request')
      expect(res.body.error.message, `${method} ${path}`).toMatch(/control character/)
    }
  })

  it('broken percent-encoding in the path answers 400', async () => {
    const res = await http(sys.url, 'GET', '/api/chargers/DEMO%zz1')
    expect(res.status).toBe(400)
    expect(res.body.error.message).toMatch(/percent-encoding/)
  })

  it('a tab in free text stays allowed; other control characters there do not', async () => {
    const cookie = cookies[2]!
    const tab = await http(sys.url, 'POST', '/api/me/rfid-tags', { body: { idTag: 'FUZZ0001', label: 'Garage\tcard' }, headers: { cookie } })
    expect(tab.status).toBe(201)
    const bell = await http(sys.url, 'POST', '/api/me/rfid-tags', { body: { idTag: 'FUZZ0002', label: 'Garage\u0007card' }, headers: { cookie } })
    expect(bell.status).toBe(400)
    expect(bell.body.error.message).toMatch(/^label: contains a control character/)
  })
})

/** A small deterministic generator: the same requests on every run. */
function random(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] }
}

const junkStrings = [
  '\u0000',
  'a\u0000b',
  'DEMO-1\u0000',
  '\u0001\u0002\u001b[31m',
  '\u007f',
  '%00',
  '%',
  '%zz',
  '../../etc/passwd',
  "' or 1=1 --",
  '"; drop table sessions; --',
  '😀💥',
  '\ud800',
  'x'.repeat(2000),
  '',
  ' ',
  'LP-2026-000001',
  'DEMO-1',
  'null',
  '-1',
  '1e309',
  '<script>alert(1)</script>',
] as const
const junkValues: readonly unknown[] = [...junkStrings, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, true, null, [], {}, [null], { a: '\u0000' }, ['\u0000']]
const fieldNames = [
  'chargerId', 'connectorId', 'method', 'capAmount', 'paymentMethod', 'email', 'code', 'purpose', 'challengeId', 'response', 'name',
  'clientSecret', 'card', 'number', 'expMonth', 'expYear', 'cvc', 'reason', 'amount', 'idTag', 'label', 'siteId', 'sessions', 'id',
  'stopToken', 'month', 'cursor', 'limit', 'format', 'q', 'from', 'to', 'userId', 'role', 'validFrom', 'validUntil', 'tariff', 'key',
] as const

/** Percent-encoded; a lone surrogate goes out as the bytes a broken client would send. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return '%ED%A0%80'
  }
}

function junkBody(r: ReturnType<typeof random>): unknown {
  const roll = r.next()
  if (roll < 0.1) return r.pick(junkValues)
  const body: Record<string, unknown> = {}
  const fields = 1 + Math.floor(r.next() * 4)
  for (let i = 0; i < fields; i++) body[r.pick(fieldNames)] = r.next() < 0.2 ? { [r.pick(fieldNames)]: r.pick(junkValues) } : r.pick(junkValues)
  return body
}

describe('a fuzz of every route', () => {
  it('never answers 500', async () => {
    const routes = sys.app.routes
      .filter((route) => route.method !== 'ALL' && !route.path.includes('*') && /^\/(api|webhooks)\//.test(route.path))
      .map((route) => ({ method: route.method, path: route.path }))
    const unique = [...new Map(routes.map((route) => [`${route.method} ${route.path}`, route])).values()]
    expect(unique.length).toBeGreaterThan(30)
    const r = random(20261202)
    const failures: string[] = []
    let sent = 0
    for (const route of unique) {
      for (let i = 0; i < 12; i++) {
        const path = route.path.replace(/:(\w+)/g, () => {
          const value = r.pick(junkStrings)
          return r.next() < 0.1 ? value.replace(/[^\w%.-]/g, '') : encode(value)
        })
        const query = r.next() < 0.5 ? `?${encode(r.pick(fieldNames))}=${encode(r.pick(junkStrings))}` : ''
        const body = route.method === 'GET' ? undefined : junkBody(r)
        const cookie = r.pick(cookies)
        const headers: Record<string, string> = cookie ? { cookie } : {}
        if (r.next() < 0.3) headers['idempotency-key'] = r.pick(junkStrings).replace(/[\u0000-\u001f\u007f-\uffff]/g, '') || 'k'
        const res = await http(sys.url, route.method, path + query, { body, headers }).catch((error: Error) => ({ status: -1, body: error.message }))
        sent++
        if (res.status >= 500 || res.status === -1) failures.push(`${route.method} ${path}${query} ${JSON.stringify(body)?.slice(0, 200)} -> ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`)
      }
    }
    expect(sent).toBeGreaterThan(360)
    expect(failures).toEqual([])
  })
})
