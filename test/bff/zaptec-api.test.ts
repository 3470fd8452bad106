/**
 * The Zaptec API client against the fake cloud over loopback: the password grant and its renewal,
 * backoff on 5xx and 429, credentials refused, and the per-account rate limit (requests counted per
 * second at the fake, which answers 429 past 10 a second as Zaptec does).
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZaptecApi, ZaptecApiError, ZaptecAuthError } from '../../bff/charging/zaptec/api'
import { FakeZaptecCloud } from '../../bff/sim/zaptec-cloud'
import type { Store } from '../../bff/store/db'
import { openDemoStore } from '../support/store'
import { rig } from '../support/zaptec'

const chargers = Array.from({ length: 24 }, (_, i) => ({ id: randomUUID(), deviceId: `ZAP${String(i).padStart(6, '0')}` }))
const accounts = ['retry', 'exhaust', 'renew', 'revoked', 'refused', 'limit', 'shared'].map((name) => ({ username: `${name}@owner.test`, password: `pw-${name}` }))
let cloud: FakeZaptecCloud
let store: Store

beforeAll(async () => {
  cloud = await new FakeZaptecCloud({ accounts, installations: [{ id: randomUUID(), authentication: 'native', chargers }], tokenSeconds: 2 }).start()
  store = await openDemoStore()
})
afterAll(async () => {
  await cloud.close()
  await store.close()
})

const client = (name: string, o: Partial<ConstructorParameters<typeof ZaptecApi>[0]> = {}) =>
  new ZaptecApi({ baseUrl: cloud.url, username: `${name}@owner.test`, password: `pw-${name}`, retryBaseMs: 100, retryMaxMs: 2_000, ...o })
const requestsOf = (name: string) => cloud.requests.filter((r) => r.account === `${name}@owner.test`)

describe('Zaptec API client', () => {
  it('reads the state observations: online, operating mode, power W, session energy in Wh', async () => {
    const api = client('retry')
    cloud.setOnline(chargers[0].id, true)
    await cloud.plugIn(chargers[0].id)
    const state = await api.state(chargers[0].id)
    expect(state).toMatchObject({ online: true, operatingMode: 2, powerW: 0, sessionEnergyWh: 0 })
    await cloud.unplug(chargers[0].id)
  })

  it('tries again with growing, jittered pauses on 503, 429 and 500, then answers', async () => {
    const api = client('retry')
    await api.state(chargers[1].id)
    cloud.faults.apiFailures.push(503, 429, 500)
    const state = await api.state(chargers[1].id)
    expect(state.operatingMode).toBe(1)
    const tries = requestsOf('retry').filter((r) => r.path.endsWith(`${chargers[1].id}/state`)).slice(-4)
    expect(tries.map((r) => r.status)).toEqual([503, 429, 500, 200])
    const gaps = tries.slice(1).map((r, i) => r.at - tries[i].at)
    // Full jitter over 100, 200, 400 ms: at least half of each.
    expect(gaps[0]).toBeGreaterThanOrEqual(45)
    expect(gaps[1]).toBeGreaterThanOrEqual(95)
    expect(gaps[2]).toBeGreaterThanOrEqual(195)
  })

  it('gives up after its retries with the last status', async () => {
    const api = client('exhaust', { retries: 2 })
    await api.state(chargers[2].id)
    cloud.faults.apiFailures.push(503, 503, 503)
    const error = await api.state(chargers[2].id).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ZaptecApiError)
    expect((error as ZaptecApiError).status).toBe(503)
    expect(requestsOf('exhaust').filter((r) => r.status === 503)).toHaveLength(3)
    expect(cloud.faults.apiFailures).toHaveLength(0)
  })

  it('renews the token before it runs out (never a 401 in the way)', async () => {
    const api = client('renew')
    await api.state(chargers[3].id)
    await new Promise((r) => setTimeout(r, 1_200))
    await api.state(chargers[3].id)
    const mine = requestsOf('renew')
    expect(mine.filter((r) => r.path === '/oauth/token').map((r) => r.status)).toEqual([200, 200])
    expect(mine.some((r) => r.status === 401)).toBe(false)
  })

  it('logs in again once when Zaptec no longer takes its token', async () => {
    const api = client('revoked')
    await api.state(chargers[4].id)
    cloud.revokeTokens()
    const from = cloud.requests.length
    await api.state(chargers[4].id)
    // The refused request names no account: Zaptec no longer knows whose token it was.
    expect(cloud.requests.slice(from).map((r) => `${r.path.split('/').at(-1)} ${r.status}`)).toEqual(['state 401', 'token 200', 'state 200'])
  })

  it('refused credentials fail at once, without retries', async () => {
    const api = new ZaptecApi({ baseUrl: cloud.url, username: 'refused@owner.test', password: 'wrong', retryBaseMs: 100 })
    const error = await api.state(chargers[5].id).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ZaptecAuthError)
    expect((error as Error).message).toContain('incorrect')
    expect(requestsOf('refused')).toHaveLength(1)
  })

  it('the fake answers 429 past 10 requests a second, as Zaptec does', async () => {
    const login = await fetch(`${cloud.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=limit%40owner.test&password=pw-limit' })
    const { access_token } = (await login.json()) as { access_token: string }
    const statuses = await Promise.all(chargers.slice(0, 15).map((c) => fetch(`${cloud.url}/api/chargers/${c.id}/state`, { headers: { authorization: `Bearer ${access_token}` } }).then((r) => r.status)))
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
  })

  it('two clients of one account share its limit: never more than 10 in a second, no 429', async () => {
    const a = client('shared')
    const b = client('shared')
    await Promise.all(chargers.flatMap((c, i) => (i % 2 ? [a.state(c.id)] : [b.state(c.id)])))
    expect(cloud.peakRequestsPerSecond('shared@owner.test')).toBeLessThanOrEqual(10)
    expect(requestsOf('shared').filter((r) => r.status === 429)).toHaveLength(0)
    expect(requestsOf('shared').filter((r) => r.path.endsWith('/state'))).toHaveLength(chargers.length)
  })
})

describe('Zaptec polling', () => {
  it('polls 20 chargers of one account inside the rate limit', async () => {
    const r = await rig(store, { webhooks: false, api: true, apiUsername: 'poller@owner.test', apiPassword: 'pw-poller' }, { chargers: 20 })
    try {
      const started = Date.now()
      await r.gateway.poll()
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_000)
      const mine = r.cloud.requests.filter((q) => q.account === 'poller@owner.test')
      expect(mine.filter((q) => q.path.endsWith('/state'))).toHaveLength(20)
      expect(mine.filter((q) => q.status === 429)).toHaveLength(0)
      expect(r.cloud.peakRequestsPerSecond('poller@owner.test')).toBeLessThanOrEqual(10)
      expect(r.listener.of('chargerConnection')).toHaveLength(20)
    } finally {
      await r.close()
    }
  })
})
