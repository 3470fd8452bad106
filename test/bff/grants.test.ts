import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, until, type TestSystem } from '../support/system'
import { cookieFor, createDriver, signInAs } from '../support/auth'
import { chargers, connectors, grants, invites, sites, tariffs, userRoles, users } from '../../bff/store/schema'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem
let cp: SimChargePoint
let owner: string
let otherOwner: string

beforeAll(async () => {
  sys = await startTestSystem()
  const db = sys.store.db
  // A second site with its own owner, to prove owners stay on their own sites.
  await db.insert(sites).values({
    id: 'other', name: 'Other Garage', legalName: 'Other AB', orgNumber: '556000-0001', vatNumber: 'SE556000000101',
    street: 'Gatan 1', postalCode: '111 11', city: 'Uppsala', country: 'SE', currency: 'SEK', timezone: 'Europe/Stockholm', accessMode: 'private',
  })
  const [t] = await db.insert(tariffs).values({ siteId: 'other', currency: 'SEK', vatRateBp: 2500, components: [{ type: 'energy', price: 300, unit: 'kWh' }], holdAmount: 20_000 }).returning()
  await db.insert(chargers).values({ id: 'OTHER-1', siteId: 'other', tariffId: t.id, passwordHash: 'x' })
  await db.insert(connectors).values({ chargerId: 'OTHER-1', connectorId: 1, evseId: 'SE*LDP*EOTHER1*1', plug: 'Type2', maxPowerW: 11_000 })
  await db.insert(users).values({ id: 'other-owner', email: 'owner@other.test' })
  await db.insert(userRoles).values({ userId: 'other-owner', role: 'owner', siteId: 'other' })
  owner = await cookieFor(db, 'demo-owner')
  otherOwner = await cookieFor(db, 'other-owner')
  cp = await connectCharger(sys)
})
afterAll(async () => {
  await cp?.close()
  await sys?.close()
})
afterEach(async () => {
  // Every test leaves DEMO-1 free: whatever still runs is stopped by the car leaving.
  for (const c of [1, 2]) await cp.unplug(c)
})

const call = (method: string, path: string, cookie?: string, body?: unknown) => http(sys.url, method, path, { body, headers: cookie ? { cookie } : {} })

async function driver(email: string) {
  const id = await createDriver(sys.store.db, email)
  return { id, cookie: await cookieFor(sys.store.db, id) }
}

async function grantTo(email: string, terms: Record<string, unknown> = {}) {
  const res = await call('POST', '/api/sites/demo/grants', owner, { email, ...terms })
  expect(res.status).toBe(201)
  return res.body.grant
}

async function startWithGrant(cookie: string, connectorId = 1) {
  return call('POST', '/api/sessions', cookie, { chargerId: 'DEMO-1', connectorId, method: 'grant' })
}

const snapshot = async (id: string, cookie: string) => (await call('GET', `/api/sessions/${id}`, cookie)).body

async function chargeAndFinish(id: string, cookie: string, connectorId = 1) {
  await cp.plugIn(connectorId)
  await until('charging', async () => (await snapshot(id, cookie)).energyWh > 200)
  expect((await call('POST', `/api/sessions/${id}/stop`, cookie)).status).toBe(200)
  // Without an idle fee it settles at once; with one it waits for the car to leave.
  await until('stopped', async () => ['settling', 'completed'].includes((await snapshot(id, cookie)).state))
  await cp.unplug(connectorId)
  return until('completed', async () => {
    const s = await snapshot(id, cookie)
    return s.state === 'completed' ? s : null
  })
}

describe('owners manage grants', () => {
  it('grants by email: linked at once for an existing account, pending for a new address', async () => {
    const known = await driver('known@example.com')
    const linked = await grantTo('Known@Example.com', { label: 'Flat 12' })
    expect(linked).toMatchObject({ siteId: 'demo', chargerId: null, email: 'known@example.com', userId: known.id, status: 'active', label: 'Flat 12', usedThisMonth: { energyWh: 0, amount: 0 } })
    const pending = await grantTo('stranger@example.com')
    expect(pending).toMatchObject({ userId: null, status: 'pending' })
    const list = await call('GET', '/api/sites/demo/grants', owner)
    expect(list.body.grants.map((g: { id: string }) => g.id)).toEqual(expect.arrayContaining([linked.id, pending.id]))
  })

  it('changes and revokes a grant', async () => {
    const g = await grantTo('change@example.com')
    const changed = await call('PATCH', `/api/sites/demo/grants/${g.id}`, owner, { capEnergyWh: 10_000, tariffOverride: { kind: 'free' }, chargerId: 'DEMO-2' })
    expect(changed.body.grant).toMatchObject({ capEnergyWh: 10_000, tariffOverride: { kind: 'free' }, chargerId: 'DEMO-2' })
    const revoked = await call('DELETE', `/api/sites/demo/grants/${g.id}`, owner)
    expect(revoked.body.grant.status).toBe('revoked')
    expect((await call('PATCH', `/api/sites/demo/grants/${g.id}`, owner, { label: 'x' })).status).toBe(409)
  })

  it('refuses bad input and changes nothing', async () => {
    const before = (await sys.store.db.select().from(grants)).length
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 'a@example.com', chargerId: 'OTHER-1' }, 'charger_not_in_site'],
      [{ email: 'a@example.com', validFrom: '2030-01-02T00:00:00Z', validUntil: '2030-01-01T00:00:00Z' }, 'invalid_window'],
      [{ email: 'a@example.com', tariffOverride: { kind: 'tariff', components: [{ type: 'time', price: 1, unit: 'minute' }, { type: 'energy', price: 1, unit: 'kWh' }] } }, 'invalid_tariff'],
      [{ email: 'not an email' }, 'invalid_request'],
      [{ email: 'a@example.com', capAmount: -5 }, 'invalid_request'],
    ]
    for (const [body, code] of cases) {
      const res = await call('POST', '/api/sites/demo/grants', owner, body)
      expect(res.status, code).toBe(400)
      expect(res.body.error.code).toBe(code)
    }
    expect(await sys.store.db.select().from(grants)).toHaveLength(before)
  })

  it('keeps owners to their own sites', async () => {
    expect((await call('GET', '/api/sites/demo/grants', otherOwner)).status).toBe(403)
    expect((await call('POST', '/api/sites/demo/grants', otherOwner, { email: 'x@example.com' })).status).toBe(403)
    expect((await call('GET', '/api/sites/demo/grants')).status).toBe(401)
    const mine = await call('GET', '/api/owner/sites', otherOwner)
    expect(mine.body.sites).toEqual([{ id: 'other', name: 'Other Garage', city: 'Uppsala', currency: 'SEK', accessMode: 'private', chargers: [{ id: 'OTHER-1', label: null }] }])
  })
})

describe('starting with a grant', () => {
  it('shows grant first on the charger page and starts without a card; the receipt says nothing was charged', async () => {
    const d = await driver('free@example.com')
    expect((await call('GET', '/api/chargers/DEMO-1', d.cookie)).body.startMethods).toEqual(['card'])
    await grantTo('free@example.com', { tariffOverride: { kind: 'free' } })
    const page = await call('GET', '/api/chargers/DEMO-1', d.cookie)
    expect(page.body.startMethods).toEqual(['grant', 'card'])
    expect(page.body.grant).toMatchObject({ price: 'free', capLeft: { energyWh: null, amount: null, reached: false } })
    expect((await call('GET', '/api/chargers/DEMO-1')).body.startMethods).toEqual(['card'])

    const started = await startWithGrant(d.cookie)
    expect(started.status).toBe(201)
    expect(started.body.payment).toBeNull()
    expect(started.body.session).toMatchObject({ method: 'grant', state: 'starting', hold: { amount: 0, status: 'none' } })
    expect(started.body.session.tariff.components.every((c: { price: number }) => c.price === 0)).toBe(true)

    const done = await chargeAndFinish(started.body.session.id, d.cookie)
    expect(done.cost.total).toBe(0)
    expect(done.receipt.url).toMatch(/\/api\/receipts\/\d{10}-\d{6}\?t=/)
    const receipt = await call('GET', new URL(done.receipt.url).pathname, d.cookie)
    expect(receipt.status).toBe(200)
    expect(receipt.body).toMatchObject({ total: 0, nothingCharged: true, charge: { amount: 0, basis: 'invoiced_by_owner' }, payment: { method: 'grant', captured: 0 } })
    // Someone else signed in cannot open it without the token.
    expect((await call('GET', new URL(done.receipt.url).pathname, owner)).status).toBe(404)
  })

  it('prices a private tariff and puts that cost on the receipt, invoiced rather than charged', async () => {
    const d = await driver('private@example.com')
    await grantTo('private@example.com', { tariffOverride: { kind: 'tariff', components: [{ type: 'energy', price: 200, unit: 'kWh' }] } })
    const started = await startWithGrant(d.cookie)
    expect(started.body.session.tariff.components).toEqual([{ type: 'energy', price: 200, unit: 'kWh' }])
    const done = await chargeAndFinish(started.body.session.id, d.cookie)
    expect(done.cost.total).toBe(Math.floor((done.energyWh * 200) / 1000 + 0.5))
    const receipt = await call('GET', new URL(done.receipt.url).pathname, d.cookie)
    expect(receipt.body).toMatchObject({
      total: done.cost.total,
      nothingCharged: false,
      charge: { amount: done.cost.total, basis: 'invoiced_by_owner' },
      payment: { method: 'grant', card: null, captured: 0 },
    })
  })

  it('says why a start is refused', async () => {
    expect((await startWithGrant('')).status).toBe(401)
    const none = await driver('none@example.com')
    const refused = await startWithGrant(none.cookie)
    expect(refused.status).toBe(403)
    expect(refused.body.error).toMatchObject({ code: 'no_grant', message: expect.stringContaining('no access') })

    const day = 86_400_000
    const cases: [string, Record<string, unknown>, string][] = [
      ['expired@example.com', { validUntil: new Date(Date.now() - day).toISOString() }, 'grant_expired'],
      ['future@example.com', { validFrom: new Date(Date.now() + day).toISOString() }, 'grant_not_yet_valid'],
      ['otherchg@example.com', { chargerId: 'DEMO-3' }, 'no_grant'],
    ]
    for (const [email, terms, code] of cases) {
      const d = await driver(email)
      await grantTo(email, terms)
      const res = await startWithGrant(d.cookie)
      expect(res.status, code).toBe(403)
      expect(res.body.error.code).toBe(code)
    }
    // A grant for another site does not open this one.
    const elsewhere = await driver('elsewhere@example.com')
    await call('POST', '/api/sites/other/grants', otherOwner, { email: 'elsewhere@example.com' })
    expect((await startWithGrant(elsewhere.cookie)).body.error.code).toBe('no_grant')
  })

  it('lets a running session finish when its grant is revoked, then refuses the next start', async () => {
    const d = await driver('revoke@example.com')
    const g = await grantTo('revoke@example.com')
    const started = await startWithGrant(d.cookie)
    await cp.plugIn(1)
    await until('charging', async () => (await snapshot(started.body.session.id, d.cookie)).state === 'charging')
    await call('DELETE', `/api/sites/demo/grants/${g.id}`, owner)
    expect((await snapshot(started.body.session.id, d.cookie)).state).toBe('charging')
    const again = await startWithGrant(d.cookie, 2)
    expect(again.status).toBe(403)
    expect(again.body.error.code).toBe('grant_revoked')
    expect((await call('GET', '/api/chargers/DEMO-1', d.cookie)).body.startMethods).toEqual(['card'])
    await cp.unplug(1)
    await until('finished', async () => (await snapshot(started.body.session.id, d.cookie)).state === 'completed')
  })

  it('stops a session when the monthly energy cap is reached, and then refuses a start', async () => {
    const d = await driver('cap@example.com')
    await grantTo('cap@example.com', { capEnergyWh: 600, tariffOverride: { kind: 'free' } })
    const started = await startWithGrant(d.cookie)
    await cp.plugIn(1)
    const stopped = await until('stopped at the cap', async () => {
      const s = await snapshot(started.body.session.id, d.cookie)
      return s.stopReason === 'grant_cap' ? s : null
    })
    expect(stopped.energyWh).toBeLessThan(600 + 200)
    await until('settled', async () => ['settling', 'completed'].includes((await snapshot(started.body.session.id, d.cookie)).state))
    const page = await call('GET', '/api/chargers/DEMO-1', d.cookie)
    expect(page.body.grant).toBeNull()
    const res = await startWithGrant(d.cookie, 2)
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('grant_cap_reached')
  })
})

describe('invites', () => {
  it('owner invites, driver redeems once, starts without a card, and the session is in their history', async () => {
    const created = await call('POST', '/api/sites/demo/invites', owner, { expiresInDays: 7, maxUses: 1, label: 'Guest parking', tariffOverride: { kind: 'free' }, chargerId: 'DEMO-1' })
    expect(created.status).toBe(201)
    const { code, url, invite } = created.body
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{10}$/)
    expect(url).toBe(`${sys.url}/i/${code}`)
    const [stored] = await sys.store.db.select().from(invites).where(eq(invites.id, invite.id))
    expect(stored.codeHash).not.toContain(code)

    const shown = await call('GET', `/api/invites/${code.toLowerCase()}`)
    expect(shown.body).toMatchObject({ site: { name: 'Demo Garage', city: 'Stockholm' }, charger: { id: 'DEMO-1' }, label: 'Guest parking', usable: true, reason: null, terms: { tariffOverride: { kind: 'free' } } })

    expect((await call('POST', `/api/invites/${code}/redeem`)).status).toBe(401)
    const cookie = await signInAs(sys.url, sys.store.db, 'invited@example.com')
    const redeemed = await call('POST', `/api/invites/${code}/redeem`, cookie)
    expect(redeemed.status).toBe(201)
    expect(redeemed.body.grant).toMatchObject({ siteId: 'demo', chargerId: 'DEMO-1', status: 'active', label: 'Guest parking' })
    const twice = await call('POST', `/api/invites/${code}/redeem`, cookie)
    expect(twice.body.grant.id).toBe(redeemed.body.grant.id)
    const [after] = await sys.store.db.select().from(invites).where(eq(invites.id, invite.id))
    expect(after.uses).toBe(1)

    const someoneElse = await signInAs(sys.url, sys.store.db, 'late@example.com')
    const full = await call('POST', `/api/invites/${code}/redeem`, someoneElse)
    expect(full.status).toBe(409)
    expect(full.body.error.code).toBe('invite_used_up')
    expect((await call('GET', `/api/invites/${code}`)).body).toMatchObject({ usable: false, reason: 'used_up' })

    expect((await call('GET', '/api/me/grants', cookie)).body.grants).toHaveLength(1)
    const started = await startWithGrant(cookie)
    expect(started.status).toBe(201)
    const done = await chargeAndFinish(started.body.session.id, cookie)
    const history = await call('GET', '/api/me/sessions', cookie)
    expect(history.body.sessions).toHaveLength(1)
    expect(history.body.sessions[0]).toMatchObject({ id: done.id, method: 'grant', total: 0, receipt: { number: done.receipt.number } })
  })

  it('refuses wrong, revoked and expired codes', async () => {
    expect((await call('GET', '/api/invites/AAAAAAAAAA')).body.error.code).toBe('invite_not_found')
    expect((await call('GET', '/api/invites/short')).status).toBe(404)
    const { body } = await call('POST', '/api/sites/demo/invites', owner, { expiresInDays: 1, maxUses: 5 })
    await call('DELETE', `/api/sites/demo/invites/${body.invite.id}`, owner)
    const cookie = await cookieFor(sys.store.db, await createDriver(sys.store.db, 'revoked-invite@example.com'))
    const res = await call('POST', `/api/invites/${body.code}/redeem`, cookie)
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('invite_revoked')
    const expired = await call('POST', '/api/sites/demo/invites', owner, { expiresInDays: 1, maxUses: 5 })
    await sys.store.db.update(invites).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(invites.id, expired.body.invite.id))
    expect((await call('POST', `/api/invites/${expired.body.code}/redeem`, cookie)).body.error.code).toBe('invite_expired')
    expect((await call('POST', '/api/sites/demo/invites', owner, { expiresInDays: 91, maxUses: 1 })).status).toBe(400)
    const list = await call('GET', '/api/sites/demo/invites', owner)
    expect(list.body.invites.find((i: { id: string }) => i.id === body.invite.id)).toMatchObject({ usable: false, reason: 'revoked' })
  })
})
