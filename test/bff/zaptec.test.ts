/**
 * The Zaptec adapter against the fake Zaptec cloud over real HTTP on loopback: web-hook authorisation
 * (Basic, and Bearer from our token URL), who gets approved, session ends (duplicated, retried, lost),
 * and the API side (remote stop, live state, native authorisation). The session side is a recording
 * listener.
 */
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { zaptecCallsOfSession } from '../../bff/charging/zaptec/calls'
import { zaptecCalls, zaptecSessions, zaptecWebhookTokens } from '../../bff/charging/zaptec/schema'
import type { Store } from '../../bff/store/db'
import { openDemoStore } from '../support/store'
import { rig, waitFor } from '../support/zaptec'

let store: Store
const open: Array<{ close(): Promise<void> }> = []

beforeAll(async () => {
  store = await openDemoStore()
})
afterAll(async () => {
  for (const r of open.reverse()) await r.close()
  await store.close()
})

async function setUp(...args: Parameters<typeof rig> extends [Store, ...infer R] ? R : never) {
  const r = await rig(store, ...args)
  open.push(r)
  return r
}

const basic = { webhooks: true, api: false, webhookAuth: 'basic' } as const
const oauth = { webhooks: true, api: false, webhookAuth: 'oauth' } as const

describe('web-hook authorisation', () => {
  it('approves the car of a session that waits on the charger (Basic), and settles with Session end', async () => {
    const r = await setUp(basic)
    const [c] = r.chargers
    expect(r.portal?.authenticationUrl).toBeNull()
    expect(r.portal?.authenticationPayload).toMatch(/^username=lp-[a-z0-9-]+&password=/)
    expect(r.gateway.isOnline(c.chargerId)).toBe(true)

    expect(await r.gateway.startCharging(c.chargerId, { sessionId: 'S-basic-1', connectorId: 1, token: 'LPTOKEN1' })).toBe('Accepted')
    const start = await r.cloud.plugIn(c.zaptecChargerId)
    expect(start).toEqual({ approved: true, sessionId: 'S-basic-1' })
    expect(r.cloud.charger(c.zaptecChargerId).mode).toBe(3)
    const delivery = r.cloud.deliveries.find((d) => d.kind === 'session_start')!
    expect(delivery.auth).toBe('basic')
    expect(delivery.status).toBe(200)

    const [started] = r.listener.of('chargingStarted')
    expect(started).toMatchObject({ chargerId: c.chargerId, connectorId: 1, token: 'LPTOKEN1', sessionId: 'S-basic-1' })
    expect(r.listener.of('connectorStatus').map((s) => s.status)).toEqual(['Preparing', 'Charging'])

    await waitFor(() => r.cloud.charger(c.zaptecChargerId).energyKWh > 0.5, 'energy to flow')
    await r.cloud.unplug(c.zaptecChargerId)
    const [history] = r.cloud.charger(c.zaptecChargerId).history
    const [stopped] = r.listener.of('chargingStopped')
    expect(stopped).toMatchObject({ sessionId: 'S-basic-1', chargerId: c.chargerId, connectorId: 1, cause: 'unplugged', energyWh: Math.round(history.energyKWh * 1000) })
    expect(stopped.energyWh).toBeGreaterThan(500)
    expect(stopped.stoppedAt.getTime()).toBe(history.endedAt!.getTime())
    expect(r.listener.of('connectorStatus').at(-1).status).toBe('Available')

    const log = await zaptecCallsOfSession(store.db, 'S-basic-1')
    expect(log.map((l) => l.summary)).toEqual(['Zaptec → us: Session start web hook, HTTP 200 (approved)', 'Zaptec → us: Session end web hook, HTTP 200'])
    // Web hooks only: asked for its status, the charger is what the last web hook showed.
    await r.gateway.askStatus(c.chargerId)
    expect(r.listener.of('connectorStatus').at(-1).status).toBe('Available')
  })

  it('with an Authentication URL, Zaptec first fetches a token from us (form-encoded password grant) and calls with Bearer', async () => {
    const r = await setUp(oauth)
    const [c] = r.chargers
    expect(r.portal?.authenticationUrl).toBe(`${r.hooks.url}/webhooks/zaptec/oauth/token`)
    expect(r.portal?.authenticationPayload).toMatch(/^grant_type=password&username=lp-[a-z0-9-]+&password=/)

    await r.gateway.startCharging(c.chargerId, { sessionId: 'S-oauth-1', connectorId: 1, token: 'LPTOKEN2' })
    expect(await r.cloud.plugIn(c.zaptecChargerId)).toEqual({ approved: true, sessionId: 'S-oauth-1' })
    await r.cloud.unplug(c.zaptecChargerId)
    expect(r.cloud.deliveries.map((d) => `${d.kind}:${d.auth}:${d.status}`)).toEqual(['token:none:200', 'session_start:bearer:200', 'session_end:bearer:200'])
    const token = (r.cloud.deliveries[0].answer as { access_token: string; token_type: string; expires_in: number })
    expect(token.token_type).toBe('Bearer')
    expect(token.expires_in).toBe(900)
    // Stored only as a hash.
    const rows = await store.db.select().from(zaptecWebhookTokens)
    expect(rows.some((t) => t.tokenHash === token.access_token)).toBe(false)
    expect(rows.length).toBeGreaterThan(0)
    expect(r.listener.of('chargingStopped')).toHaveLength(1)
  })

  it('an expired bearer token is refused; Zaptec fetches a new one and is served', async () => {
    let now = Date.now()
    const r = await setUp(oauth, { gateway: { clock: () => new Date(now), waitSeconds: 100_000 } })
    const [c] = r.chargers
    await r.gateway.startCharging(c.chargerId, { sessionId: 'S-oauth-2', connectorId: 1, token: 'LPTOKEN3' })
    const first = await r.cloud.plugIn(c.zaptecChargerId)
    expect(first.approved).toBe(true)
    // Our clock runs past the token's 15 minutes; the fake still holds it (it trusts expires_in, not us).
    now += 901_000
    await r.cloud.unplug(c.zaptecChargerId)
    expect(r.cloud.deliveries.map((d) => `${d.kind}:${d.status}`)).toEqual(['token:200', 'session_start:200', 'session_end:401', 'token:200', 'session_end:200'])
    expect(r.listener.of('chargingStopped')).toHaveLength(1)
  })

  it('denies when no session waits and no token is presented, and when the wait has run out', async () => {
    let now = Date.now()
    const r = await setUp(basic, { chargers: 2, gateway: { clock: () => new Date(now), waitSeconds: 60 } })
    const [a, b] = r.chargers
    await r.gateway.askStatus(a.chargerId)
    expect(r.listener.of('connectorStatus')).toHaveLength(0)
    expect(await r.cloud.plugIn(a.zaptecChargerId)).toEqual({ approved: false, sessionId: null })
    expect(r.cloud.charger(a.zaptecChargerId).mode).toBe(2)
    const refused = r.cloud.deliveries.find((d) => d.kind === 'session_start')!
    expect(refused.status).toBe(403)
    expect(refused.answer).toMatchObject({ error: { code: 'not_authorized' }, reason: 'no_session_waiting' })
    expect(refused.answer).not.toHaveProperty('sessionId')
    await r.gateway.askStatus(a.chargerId)
    expect(r.listener.of('connectorStatus').map((e) => e.status)).toEqual(['Preparing', 'Preparing'])

    await r.gateway.startCharging(b.chargerId, { sessionId: 'S-late', connectorId: 1, token: 'LPTOKEN4' })
    now += 61_000
    expect(await r.cloud.plugIn(b.zaptecChargerId)).toEqual({ approved: false, sessionId: null })
    const [row] = await store.db.select().from(zaptecSessions).where(eq(zaptecSessions.sessionId, 'S-late'))
    expect(row.state).toBe('expired')
    expect(r.listener.of('chargingStarted')).toHaveLength(0)
  })

  it('approves an RFID tag the session side accepts, with the session it opens; refuses unknown and blocked tags', async () => {
    const r = await setUp(basic, { chargers: 3 })
    const [a, b, c] = r.chargers
    const ok = await r.cloud.plugIn(a.zaptecChargerId, { authenticationCode: 'RFID-OK-7' })
    expect(ok).toEqual({ approved: true, sessionId: 'rfid-session-1' })
    expect(r.listener.of('authorize')[0]).toEqual({ chargerId: a.chargerId, connectorId: 1, token: 'RFID-OK-7' })
    expect(r.listener.of('chargingStarted')[0]).toMatchObject({ token: 'RFID-OK-7', sessionId: null })

    expect((await r.cloud.plugIn(b.zaptecChargerId, { authenticationCode: 'RFID-NOPE' })).approved).toBe(false)
    expect((await r.cloud.plugIn(c.zaptecChargerId, { authenticationCode: 'RFID-BLOCKED-1' })).approved).toBe(false)
    const reasons = r.cloud.deliveries.filter((d) => d.kind === 'session_start' && d.status === 403).map((d) => (d.answer as { reason: string }).reason)
    expect(reasons).toEqual(['token_invalid', 'token_blocked'])

    await r.cloud.unplug(a.zaptecChargerId)
    expect(r.listener.of('chargingStopped')[0]).toMatchObject({ sessionId: 'rfid-session-1', cause: 'unplugged' })
  })

  it('denies when the session side no longer takes the session, and withdraws a wait on stop', async () => {
    const r = await setUp(basic, { chargers: 2 })
    const [a, b] = r.chargers
    await r.gateway.startCharging(a.chargerId, { sessionId: 'S-refused', connectorId: 1, token: 'LPTOKEN5' })
    r.listener.refuse = true
    expect((await r.cloud.plugIn(a.zaptecChargerId)).approved).toBe(false)
    r.listener.refuse = false

    await r.gateway.startCharging(b.chargerId, { sessionId: 'S-cancel', connectorId: 1, token: 'LPTOKEN6' })
    expect(await r.gateway.stopCharging(b.chargerId, 'S-cancel')).toBe('Accepted')
    expect((await r.cloud.plugIn(b.zaptecChargerId)).approved).toBe(false)
    const states = await store.db.select({ id: zaptecSessions.sessionId, state: zaptecSessions.state }).from(zaptecSessions).where(eq(zaptecSessions.chargerId, b.chargerId))
    expect(states).toEqual([{ id: 'S-cancel', state: 'cancelled' }])
  })

  it('Session start is tried again after a 5xx, and a start whose answer was lost gets the same session again', async () => {
    const r = await setUp(basic, { chargers: 2 })
    const [a, b] = r.chargers
    await r.gateway.startCharging(a.chargerId, { sessionId: 'S-retry', connectorId: 1, token: 'LPTOKEN7' })
    r.hooks.breakage.sessionStart = 1
    expect(await r.cloud.plugIn(a.zaptecChargerId)).toEqual({ approved: true, sessionId: 'S-retry' })
    expect(r.cloud.deliveries.filter((d) => d.kind === 'session_start').map((d) => d.status)).toEqual([503, 200])

    await r.gateway.startCharging(b.chargerId, { sessionId: 'S-lost-answer', connectorId: 1, token: 'LPTOKEN7B' })
    r.hooks.breakage.lostStartAnswers = 1
    expect(await r.cloud.plugIn(b.zaptecChargerId)).toEqual({ approved: true, sessionId: 'S-lost-answer' })
    expect(r.cloud.deliveries.filter((d) => d.kind === 'session_start').map((d) => d.status)).toEqual([503, 200, 504, 200])
    expect(r.listener.of('chargingStarted').map((s) => s.sessionId)).toEqual(['S-retry', 'S-lost-answer'])
  })

  it('a duplicated Session end is answered and changes nothing', async () => {
    const r = await setUp(basic)
    const [c] = r.chargers
    await r.gateway.startCharging(c.chargerId, { sessionId: 'S-dup', connectorId: 1, token: 'LPTOKEN8' })
    await r.cloud.plugIn(c.zaptecChargerId)
    await waitFor(() => r.cloud.charger(c.zaptecChargerId).energyKWh > 0.2, 'energy')
    r.cloud.faults.duplicateSessionEnds = 1
    await r.cloud.unplug(c.zaptecChargerId)
    const ends = r.cloud.deliveries.filter((d) => d.kind === 'session_end')
    expect(ends.map((d) => d.status)).toEqual([200, 200])
    expect(r.listener.of('chargingStopped')).toHaveLength(1)
    const [row] = await store.db.select().from(zaptecSessions).where(eq(zaptecSessions.sessionId, 'S-dup'))
    expect(row).toMatchObject({ state: 'ended', stopTold: true })
  })

  it('a Session end that fails on our side is delivered again and settles once', async () => {
    const r = await setUp(basic)
    const [c] = r.chargers
    await r.gateway.startCharging(c.chargerId, { sessionId: 'S-5xx', connectorId: 1, token: 'LPTOKEN9' })
    await r.cloud.plugIn(c.zaptecChargerId)
    r.hooks.breakage.sessionEnd = 2
    await r.cloud.unplug(c.zaptecChargerId)
    expect(r.cloud.deliveries.filter((d) => d.kind === 'session_end').map((d) => d.status)).toEqual([503, 503, 200])
    expect(r.listener.of('chargingStopped')).toHaveLength(1)
  })

  it('a stop the session side did not take is told again on recovery', async () => {
    const r = await setUp(basic)
    const [c] = r.chargers
    await r.gateway.startCharging(c.chargerId, { sessionId: 'S-recover', connectorId: 1, token: 'LPTOKEN10' })
    await r.cloud.plugIn(c.zaptecChargerId)
    const original = r.listener.chargingStopped.bind(r.listener)
    r.listener.chargingStopped = async () => {
      throw new Error('session side down')
    }
    await r.cloud.unplug(c.zaptecChargerId)
    const [row] = await store.db.select().from(zaptecSessions).where(eq(zaptecSessions.sessionId, 'S-recover'))
    expect(row).toMatchObject({ state: 'ended', stopTold: false })
    r.listener.chargingStopped = original
    await r.gateway.recover()
    expect(r.listener.of('chargingStopped').map((s) => s.sessionId)).toContain('S-recover')
    const [after] = await store.db.select().from(zaptecSessions).where(eq(zaptecSessions.sessionId, 'S-recover'))
    expect(after.stopTold).toBe(true)
  })
})

describe('web-hook input', () => {
  it('refuses calls without the installation\'s credentials, bad bodies and unknown grants with 4xx', async () => {
    const r = await setUp(oauth)
    const [c] = r.chargers
    const base = `${r.hooks.url}/webhooks/zaptec`
    const { username, password } = r.portal!
    const basicHeader = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

    expect((await post('/session-start', JSON.stringify({ ChargerId: c.zaptecChargerId }))).status).toBe(401)
    expect((await post('/session-start', JSON.stringify({ ChargerId: c.zaptecChargerId }), { authorization: 'Bearer nope' })).status).toBe(401)
    expect((await post('/session-start', JSON.stringify({ ChargerId: c.zaptecChargerId }), { authorization: `Basic ${Buffer.from(`${username}:wrong`).toString('base64')}` })).status).toBe(401)
    expect((await post('/session-start', '{not json', { authorization: basicHeader })).status).toBe(400)
    expect((await post('/session-start', JSON.stringify({ DeviceId: 'ZAP1' }), { authorization: basicHeader })).status).toBe(400)
    expect((await post('/session-start', JSON.stringify({ ChargerId: 'a\u0000b' }), { authorization: basicHeader })).status).toBe(400)
    expect((await post('/session-start', JSON.stringify({ ChargerId: c.zaptecChargerId, Pad: 'x'.repeat(20_000) }), { authorization: basicHeader })).status).toBe(413)
    expect((await post('/session-end', JSON.stringify({ ChargerId: c.zaptecChargerId, Energy: -1 }), { authorization: basicHeader })).status).toBe(400)
    expect((await post('/session-end', JSON.stringify({ ChargerId: c.zaptecChargerId, Energy: null }), { authorization: basicHeader })).status).toBe(400)
    // Another installation's charger is not this installation's to approve.
    const other = await post('/session-start', JSON.stringify({ ChargerId: '00000000-0000-4000-8000-000000000000' }), { authorization: basicHeader })
    expect(other.status).toBe(403)
    // camelCase keys are the same keys.
    expect((await post('/session-end', JSON.stringify({ chargerId: c.zaptecChargerId, energy: '1.5', sessionId: 'S-none' }), { authorization: basicHeader })).status).toBe(200)

    const token = (body: string, type = 'application/x-www-form-urlencoded') => fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': type }, body })
    const wrongGrant = await token(`grant_type=client_credentials&username=${username}&password=${password}`)
    expect(wrongGrant.status).toBe(400)
    expect(await wrongGrant.json()).toMatchObject({ error: 'unsupported_grant_type' })
    const wrongPassword = await token(`grant_type=password&username=${username}&password=nope`)
    expect(wrongPassword.status).toBe(400)
    expect(await wrongPassword.json()).toMatchObject({ error: 'invalid_grant' })
    expect((await token(JSON.stringify({ grant_type: 'password', username, password }), 'application/json')).status).toBe(400)
    expect((await token('grant_type=password')).status).toBe(400)
    const good = await token(new URLSearchParams({ grant_type: 'password', username, password }).toString())
    expect(good.status).toBe(200)
    expect(good.headers.get('cache-control')).toBe('no-store')
    const issued = (await good.json()) as { access_token: string }
    const withToken = await post('/session-start', JSON.stringify({ ChargerId: c.zaptecChargerId }), { authorization: `Bearer ${issued.access_token}` })
    expect(withToken.status).toBe(403)
    expect(await withToken.json()).toMatchObject({ reason: 'no_session_waiting' })
  })
})

describe('the Zaptec API', () => {
  const account = (name: string) => ({ apiUsername: `${name}@owner.test`, apiPassword: `pw-${name}` })

  it('combined site: live readings by polling, stop with deauthorize-and-stop, the later Session end changes nothing', async () => {
    const r = await setUp({ webhooks: true, api: true, webhookAuth: 'basic', ...account('combined') })
    const [c] = r.chargers
    await r.gateway.poll()
    expect(r.gateway.isOnline(c.chargerId)).toBe(true)
    await r.gateway.startCharging(c.chargerId, { sessionId: 'S-api-stop', connectorId: 1, token: 'LPTOKEN11' })
    await r.cloud.plugIn(c.zaptecChargerId)
    await waitFor(() => r.cloud.charger(c.zaptecChargerId).energyKWh > 0.3, 'energy')
    await r.gateway.poll()
    const reading = r.listener.of('meterReading').at(-1)
    expect(reading).toMatchObject({ sessionId: 'S-api-stop', powerW: 11_000 })
    expect(reading.energyWh).toBeGreaterThan(300)

    expect(await r.gateway.stopCharging(c.chargerId, 'S-api-stop')).toBe('Accepted')
    expect(r.cloud.charger(c.zaptecChargerId).mode).toBe(5)
    expect(r.cloud.requests.some((q) => q.path.endsWith(`/sendCommand/10001`) && q.status === 200)).toBe(true)
    await r.gateway.poll()
    const [stopped] = r.listener.of('chargingStopped')
    expect(stopped).toMatchObject({ sessionId: 'S-api-stop', cause: 'remote' })
    expect(stopped.energyWh).toBe(Math.round(r.cloud.charger(c.zaptecChargerId).energyKWh * 1000))

    await r.cloud.unplug(c.zaptecChargerId)
    expect(r.cloud.deliveries.filter((d) => d.kind === 'session_end').map((d) => d.status)).toEqual([200])
    expect(r.listener.of('chargingStopped')).toHaveLength(1)
    const log = await store.db.select().from(zaptecCalls).where(and(eq(zaptecCalls.sessionId, 'S-api-stop'), eq(zaptecCalls.direction, 'out')))
    expect(log.map((l) => `${l.kind} ${l.status}`)).toEqual(['command_10001 200'])
  })

  it('a stop the charger refuses (HTTP 528) is Rejected', async () => {
    const r = await setUp({ webhooks: true, api: true, webhookAuth: 'basic', ...account('reject') })
    const [c] = r.chargers
    await r.gateway.startCharging(c.chargerId, { sessionId: 'S-528', connectorId: 1, token: 'LPTOKEN12' })
    await r.cloud.plugIn(c.zaptecChargerId)
    r.cloud.faults.rejectCommands = true
    expect(await r.gateway.stopCharging(c.chargerId, 'S-528')).toBe('Rejected')
    expect(r.cloud.charger(c.zaptecChargerId).mode).toBe(3)
    const [row] = await store.db.select().from(zaptecSessions).where(eq(zaptecSessions.sessionId, 'S-528'))
    expect(row.state).toBe('charging')
  })

  it('web hooks only: no remote stop, the driver unplugs', async () => {
    const r = await setUp(basic)
    const [c] = r.chargers
    await r.gateway.startCharging(c.chargerId, { sessionId: 'S-nostop', connectorId: 1, token: 'LPTOKEN13' })
    await r.cloud.plugIn(c.zaptecChargerId)
    expect(await r.gateway.stopCharging(c.chargerId, 'S-nostop')).toBe('Rejected')
  })

  it('a lost Session end: once the API shows the car gone past the grace time, the session settles from the charge history', async () => {
    let now = Date.now()
    const r = await setUp({ webhooks: true, api: true, webhookAuth: 'oauth', ...account('lost') }, { gateway: { clock: () => new Date(now), sessionEndGraceSeconds: 120, waitSeconds: 100_000 } })
    const [c] = r.chargers
    await r.gateway.startCharging(c.chargerId, { sessionId: 'S-lost', connectorId: 1, token: 'LPTOKEN14' })
    await r.cloud.plugIn(c.zaptecChargerId)
    await waitFor(() => r.cloud.charger(c.zaptecChargerId).energyKWh > 0.4, 'energy')
    r.cloud.faults.loseSessionEnds = 1
    await r.cloud.unplug(c.zaptecChargerId)
    expect(r.cloud.deliveries.filter((d) => d.kind === 'session_end')).toHaveLength(0)

    await r.gateway.poll()
    expect(r.listener.of('chargingStopped')).toHaveLength(0)
    expect(r.listener.of('connectorStatus').at(-1).status).toBe('Available')
    now += 121_000
    await r.gateway.poll()
    const [history] = r.cloud.charger(c.zaptecChargerId).history
    const [stopped] = r.listener.of('chargingStopped')
    expect(stopped).toMatchObject({ sessionId: 'S-lost', cause: 'unplugged', energyWh: Math.round(history.energyKWh * 1000) })
    expect(stopped.stoppedAt.toISOString()).toBe(history.endedAt!.toISOString())
    expect(r.cloud.requests.some((q) => q.path === '/api/chargehistory' && q.status === 200)).toBe(true)
  })

  it('native authentication (API only): the waiting car is authorised through the API, charges, and is stopped', async () => {
    const r = await setUp({ webhooks: false, api: true, ...account('native') })
    const [c] = r.chargers
    expect(r.portal).toBeNull()
    await r.gateway.poll()
    expect(r.gateway.isOnline(c.chargerId)).toBe(true)
    expect(await r.gateway.startCharging(c.chargerId, { sessionId: 'S-native', connectorId: 1, token: 'LPTOKEN15' })).toBe('Accepted')
    await r.cloud.plugIn(c.zaptecChargerId)
    expect(r.cloud.charger(c.zaptecChargerId).mode).toBe(2)
    await r.gateway.poll()
    expect(r.cloud.charger(c.zaptecChargerId).mode).toBe(3)
    await r.gateway.poll()
    expect(r.listener.of('chargingStarted')).toEqual([expect.objectContaining({ sessionId: 'S-native', token: 'LPTOKEN15', chargerId: c.chargerId })])
    await waitFor(() => r.cloud.charger(c.zaptecChargerId).energyKWh > 0.2, 'energy')
    expect(await r.gateway.stopCharging(c.chargerId, 'S-native')).toBe('Accepted')
    await r.gateway.poll()
    const [stopped] = r.listener.of('chargingStopped')
    expect(stopped).toMatchObject({ sessionId: 'S-native', cause: 'remote' })
    expect(stopped.energyWh).toBeGreaterThan(200)
    const statuses = r.listener.of('connectorStatus').map((s) => s.status)
    expect(statuses).toEqual(['Available', 'Preparing', 'Charging', 'Finishing'])
  })

  it('reports a charger going offline and back', async () => {
    const r = await setUp({ webhooks: false, api: true, ...account('offline') })
    const [c] = r.chargers
    await r.gateway.poll()
    r.cloud.setOnline(c.zaptecChargerId, false)
    await r.gateway.askStatus(c.chargerId)
    expect(r.gateway.isOnline(c.chargerId)).toBe(false)
    expect(await r.gateway.startCharging(c.chargerId, { sessionId: 'S-offline', connectorId: 1, token: 'LPTOKEN16' })).toBe('Rejected')
    r.cloud.setOnline(c.zaptecChargerId, true)
    await r.gateway.askStatus(c.chargerId)
    expect(r.listener.of('chargerConnection').map((e) => e.online)).toEqual([true, false, true])
  })
})
