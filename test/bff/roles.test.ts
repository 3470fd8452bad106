/**
 * The role matrix: every route of the app, called as each kind of caller, answers only what that
 * caller may see. A route added to the app without a line here fails the completeness test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { http, startTestSystem, type TestSystem } from '../support/system'
import { cookieFor, createDriver } from '../support/auth'
import { grants, invites, receipts, rfidTags, sessions, sites, userRoles, users } from '../../bff/store/schema'
import { hashToken, newToken } from '../../bff/secrets'
import { receiptTokenFor } from '../../bff/sessions/tokens'
import { inviteCodeHash } from '../../bff/grants/invites'

const roles = ['guest', 'driver', 'owner', 'otherOwner', 'support', 'admin'] as const
type Role = (typeof roles)[number]

/**
 * Who may use a route:
 * - public: anyone (the answer may still be a 4xx about the input, never 401/403);
 * - user: any signed-in account;
 * - sessionOwner / receiptOwner: the driver whose session it is; anyone else gets 404, as for no such thing;
 * - siteOwner: the owner of site demo, or an admin;
 * - support: support staff, or an admin;
 * - adminToken: only the command line's bearer token, whatever the cookie.
 */
/** zaptecCredentials: Zaptec's cloud with an installation's web-hook credentials; no signed-in role opens it. */
type Rule = 'public' | 'user' | 'sessionOwner' | 'receiptOwner' | 'siteOwner' | 'support' | 'adminToken' | 'zaptecCredentials'

interface Case {
  method: string
  /** As the app registers it (compared with app.routes). */
  route: string
  rule: Rule
  path?: () => string
  body?: () => unknown
  sse?: boolean
}

let sys: TestSystem
const ids = { session: '', receipt: '', grant: '', invite: '', inviteCode: 'ABCDEFGHJK', userId: '' }
const cookieOf: Record<Role, () => Promise<string | undefined>> = {} as never

/** The routes of the app; extend when a route is added (support's are here: /api/support/*). */
const cases: Case[] = [
  { method: 'GET', route: '/healthz', rule: 'public' },
  { method: 'GET', route: '/readyz', rule: 'public' },
  { method: 'GET', route: '/api/config', rule: 'public' },
  { method: 'GET', route: '/api/chargers/:ref/events', rule: 'public', path: () => '/api/chargers/DEMO-1/events', sse: true },
  { method: 'GET', route: '/api/chargers/:ref/qr.svg', rule: 'public', path: () => '/api/chargers/DEMO-1/qr.svg' },
  { method: 'GET', route: '/api/chargers/:ref', rule: 'public', path: () => '/api/chargers/DEMO-1' },
  { method: 'GET', route: '/api/sites/:id', rule: 'public', path: () => '/api/sites/demo' },
  { method: 'GET', route: '/api/sites/:id/grants', rule: 'siteOwner', path: () => '/api/sites/demo/grants' },
  { method: 'POST', route: '/api/sites/:id/grants', rule: 'siteOwner', path: () => '/api/sites/demo/grants', body: () => ({ email: 'matrix-grant@example.com' }) },
  { method: 'PATCH', route: '/api/sites/:id/grants/:grantId', rule: 'siteOwner', path: () => `/api/sites/demo/grants/${ids.grant}`, body: () => ({ label: 'changed' }) },
  { method: 'DELETE', route: '/api/sites/:id/grants/:grantId', rule: 'siteOwner', path: () => `/api/sites/demo/grants/${ids.grant}` },
  { method: 'GET', route: '/api/sites/:id/invites', rule: 'siteOwner', path: () => '/api/sites/demo/invites' },
  { method: 'POST', route: '/api/sites/:id/invites', rule: 'siteOwner', path: () => '/api/sites/demo/invites', body: () => ({ expiresInDays: 1, maxUses: 1 }) },
  { method: 'DELETE', route: '/api/sites/:id/invites/:inviteId', rule: 'siteOwner', path: () => `/api/sites/demo/invites/${ids.invite}` },
  { method: 'GET', route: '/api/sites/:id/zaptec', rule: 'siteOwner', path: () => '/api/sites/demo/zaptec' },
  { method: 'PUT', route: '/api/sites/:id/zaptec', rule: 'siteOwner', path: () => '/api/sites/demo/zaptec', body: () => ({}) },
  { method: 'GET', route: '/api/sites/:id/collection', rule: 'siteOwner', path: () => '/api/sites/demo/collection' },
  { method: 'POST', route: '/api/sites/:id/collection/connect', rule: 'siteOwner', path: () => '/api/sites/demo/collection/connect' },
  { method: 'POST', route: '/api/sites/:id/collection/refresh', rule: 'siteOwner', path: () => '/api/sites/demo/collection/refresh' },
  { method: 'PUT', route: '/api/sites/:id/collection/own-keys', rule: 'siteOwner', path: () => '/api/sites/demo/collection/own-keys', body: () => ({}) },
  { method: 'GET', route: '/api/sites/:id/statements/:month', rule: 'siteOwner', path: () => '/api/sites/demo/statements/2026-11' },
  { method: 'GET', route: '/api/sites/:id/payouts', rule: 'siteOwner', path: () => '/api/sites/demo/payouts' },
  { method: 'POST', route: '/api/sessions', rule: 'public', body: () => ({ chargerId: 'DEMO-3', connectorId: 1, method: 'card' }) },
  { method: 'POST', route: '/api/sessions/stop-by-card', rule: 'public', body: () => ({ chargerId: 'DEMO-1', paymentMethod: 'pm_nope' }) },
  { method: 'POST', route: '/api/sessions/:id/authorize', rule: 'sessionOwner', path: () => `/api/sessions/${ids.session}/authorize` },
  { method: 'GET', route: '/api/sessions/:id', rule: 'sessionOwner', path: () => `/api/sessions/${ids.session}` },
  { method: 'POST', route: '/api/sessions/:id/stop', rule: 'sessionOwner', path: () => `/api/sessions/${ids.session}/stop` },
  { method: 'POST', route: '/api/sessions/:id/cancel', rule: 'sessionOwner', path: () => `/api/sessions/${ids.session}/cancel` },
  { method: 'GET', route: '/api/sessions/:id/events', rule: 'sessionOwner', path: () => `/api/sessions/${ids.session}/events`, sse: true },
  { method: 'POST', route: '/api/sessions/:id/events-ticket', rule: 'sessionOwner', path: () => `/api/sessions/${ids.session}/events-ticket` },
  { method: 'GET', route: '/api/receipts/:number', rule: 'receiptOwner', path: () => `/api/receipts/${ids.receipt}` },
  { method: 'POST', route: '/api/payments/simulated/confirm', rule: 'public', body: () => ({ clientSecret: 'nope', card: { number: '4242424242424242', expMonth: 12, expYear: 2034, cvc: '123' } }) },
  { method: 'POST', route: '/api/payments/simulated/payment-methods', rule: 'public', body: () => ({ card: { number: '4242424242424242', expMonth: 12, expYear: 2034, cvc: '123' } }) },
  { method: 'POST', route: '/api/admin/chargers', rule: 'adminToken', body: () => ({ id: 'NEW-1', siteId: 'demo', connectors: 1 }) },
  { method: 'POST', route: '/api/admin/zaptec-installations', rule: 'adminToken', body: () => ({}) },
  { method: 'POST', route: '/api/admin/payment-terminals', rule: 'adminToken', body: () => ({ id: 'P68-NEW', chargerId: 'DEMO-1', provider: 'payter' }) },
  { method: 'GET', route: '/api/support/receipts/:number', rule: 'support', path: () => `/api/support/receipts/${ids.receipt}` },
  { method: 'GET', route: '/api/support/search', rule: 'support', path: () => '/api/support/search?q=DEMO-1' },
  { method: 'GET', route: '/api/support/sessions/:id', rule: 'support', path: () => `/api/support/sessions/${ids.session}` },
  { method: 'POST', route: '/api/support/sessions/:id/refund', rule: 'support', path: () => `/api/support/sessions/${ids.session}/refund`, body: () => ({ amount: 100, reason: 'matrix', key: newToken() }) },
  { method: 'POST', route: '/api/support/sessions/:id/stop', rule: 'support', path: () => `/api/support/sessions/${ids.session}/stop`, body: () => ({ reason: 'matrix' }) },
  { method: 'POST', route: '/api/support/sessions/:id/end', rule: 'support', path: () => `/api/support/sessions/${ids.session}/end`, body: () => ({ reason: 'matrix' }) },
  { method: 'POST', route: '/api/support/sessions/:id/release-hold', rule: 'support', path: () => `/api/support/sessions/${ids.session}/release-hold`, body: () => ({ reason: 'matrix' }) },
  { method: 'POST', route: '/api/support/sessions/:id/resend-receipt', rule: 'support', path: () => `/api/support/sessions/${ids.session}/resend-receipt`, body: () => ({ email: 'x@example.com' }) },
  { method: 'POST', route: '/api/support/sessions/:id/reissue-invoice', rule: 'support', path: () => `/api/support/sessions/${ids.session}/reissue-invoice`, body: () => ({ name: 'AB', orgNumber: '556000-0001', address: 'Gatan 1' }) },
  { method: 'GET', route: '/api/support/sites', rule: 'support' },
  { method: 'GET', route: '/api/support/reconciliation', rule: 'support' },
  { method: 'GET', route: '/api/auth/me', rule: 'public' },
  { method: 'POST', route: '/api/auth/email/start', rule: 'public', body: () => ({ email: 'matrix@example.com' }) },
  { method: 'POST', route: '/api/auth/email/verify', rule: 'public', body: () => ({ email: 'matrix@example.com', code: '000000' }) },
  { method: 'POST', route: '/api/auth/passkey/options', rule: 'public', body: () => ({ purpose: 'sign_in' }) },
  { method: 'POST', route: '/api/auth/passkey/verify', rule: 'public', body: () => ({ challengeId: 'nope', response: {} }) },
  { method: 'GET', route: '/api/auth/passkeys', rule: 'user' },
  { method: 'DELETE', route: '/api/auth/passkeys/:id', rule: 'user', path: () => '/api/auth/passkeys/nope' },
  { method: 'POST', route: '/api/auth/sign-out', rule: 'public' },
  { method: 'POST', route: '/api/auth/sign-out-all', rule: 'user' },
  { method: 'POST', route: '/api/me/claim', rule: 'user', body: () => ({ sessions: [] }) },
  { method: 'GET', route: '/api/me/sessions', rule: 'user' },
  { method: 'GET', route: '/api/me/rfid-tags', rule: 'user' },
  { method: 'POST', route: '/api/me/rfid-tags', rule: 'user', body: () => ({ idTag: newToken(6).toUpperCase().replace(/[^A-Z0-9]/g, 'X') }) },
  { method: 'DELETE', route: '/api/me/rfid-tags/:idTag', rule: 'user', path: () => '/api/me/rfid-tags/NOPE' },
  { method: 'GET', route: '/api/me/grants', rule: 'user' },
  { method: 'GET', route: '/api/owner/sites', rule: 'user' },
  { method: 'GET', route: '/api/invites/:code', rule: 'public', path: () => `/api/invites/${ids.inviteCode}` },
  { method: 'POST', route: '/api/invites/:code/redeem', rule: 'user', path: () => `/api/invites/${ids.inviteCode}/redeem` },
  { method: 'GET', route: '/api/dev/outbox', rule: 'public' },
  { method: 'POST', route: '/webhooks/stripe', rule: 'public', body: () => ({}) },
  { method: 'POST', route: '/webhooks/stripe/connect', rule: 'public', body: () => ({}) },
  { method: 'POST', route: '/webhooks/stripe/sites/:siteId', rule: 'public', path: () => '/webhooks/stripe/sites/demo', body: () => ({}) },
  // the token URL checks the credentials in its form body (RFC 6749: a wrong one is 400 invalid_grant)
  { method: 'POST', route: '/webhooks/zaptec/oauth/token', rule: 'public', body: () => ({}) },
  { method: 'POST', route: '/webhooks/zaptec/session-start', rule: 'zaptecCredentials', body: () => ({}) },
  { method: 'POST', route: '/webhooks/zaptec/session-end', rule: 'zaptecCredentials', body: () => ({}) },
]

function allowed(rule: Rule, role: Role): boolean {
  switch (rule) {
    case 'public':
      return true
    case 'user':
      return role !== 'guest'
    case 'sessionOwner':
    case 'receiptOwner':
      return role === 'driver'
    case 'siteOwner':
      return role === 'owner' || role === 'admin'
    case 'support':
      return role === 'support' || role === 'admin'
    case 'adminToken':
    case 'zaptecCredentials':
      return false
  }
}

/** What a caller who may not use the route gets. */
function refusal(rule: Rule, role: Role): number {
  if (rule === 'sessionOwner' || rule === 'receiptOwner') return 404
  if (rule === 'adminToken' || rule === 'zaptecCredentials') return 401
  return role === 'guest' ? 401 : 403
}

beforeAll(async () => {
  sys = await startTestSystem()
  const db = sys.store.db
  await db.insert(sites).values({
    id: 'other', name: 'Other Garage', legalName: 'Other AB', orgNumber: '556000-0001', vatNumber: 'SE556000000101',
    street: 'Gatan 1', postalCode: '111 11', city: 'Uppsala', country: 'SE', currency: 'SEK', timezone: 'Europe/Stockholm', accessMode: 'private',
  })
  await db.insert(users).values([{ id: 'other-owner', email: 'owner@other.test' }, { id: 'admin', email: 'admin@laddpunkt.test' }])
  await db.insert(userRoles).values([{ userId: 'other-owner', role: 'owner', siteId: 'other' }, { userId: 'admin', role: 'admin', siteId: null }])
  ids.userId = await createDriver(db, 'driver@example.com')
  const userOf: Record<Role, string | null> = { guest: null, driver: ids.userId, owner: 'demo-owner', otherOwner: 'other-owner', support: 'demo-support', admin: 'admin' }
  for (const role of roles) cookieOf[role] = async () => (userOf[role] ? cookieFor(db, userOf[role]!) : undefined)

  // The driver's session with a receipt, a grant and an invite at demo, an RFID tag.
  const stopToken = newToken()
  ids.session = newToken(12)
  ids.receipt = '5591234567-000900'
  await db.insert(sessions).values({
    id: ids.session, state: 'completed', chargerId: 'DEMO-2', connectorId: 1, siteId: 'demo', method: 'card', idTag: 'matrix-session',
    tariff: { currency: 'SEK', vatRateBp: 2500, components: [] }, currency: 'SEK', holdAmount: 30_000,
    stopTokenHash: hashToken(stopToken), receiptTokenHash: hashToken(receiptTokenFor(stopToken)), receiptNumber: ids.receipt,
    userId: ids.userId, startedAt: new Date(), stoppedAt: new Date(),
  })
  await db.insert(receipts).values({
    number: ids.receipt, sessionId: ids.session, orgNumber: '559123-4567', sequence: 900, tokenHash: hashToken(receiptTokenFor(stopToken)),
    issuedAt: new Date(), content: { number: ids.receipt, total: 0 },
  })
  ids.grant = 'matrix-grant'
  await db.insert(grants).values({ id: ids.grant, siteId: 'demo', email: 'someone@example.com' })
  ids.invite = 'matrix-invite'
  await db.insert(invites).values({ id: ids.invite, codeHash: inviteCodeHash(ids.inviteCode), siteId: 'demo', maxUses: 100, expiresAt: new Date(Date.now() + 86_400_000) })
  await db.insert(rfidTags).values({ idTag: 'MATRIX01', userId: ids.userId })
})
afterAll(async () => {
  await sys?.close()
})

async function request(c: Case, role: Role): Promise<number> {
  const cookie = await cookieOf[role]()
  const response = await fetch(sys.url + (c.path ? c.path() : c.route), {
    method: c.method,
    headers: { origin: sys.url, ...(cookie ? { cookie } : {}), ...(c.body ? { 'content-type': 'application/json' } : {}) },
    body: c.body ? JSON.stringify(c.body()) : undefined,
  })
  // Event streams stay open: the status is the answer.
  if (c.sse) await response.body?.cancel()
  else await response.arrayBuffer()
  return response.status
}

describe('the role matrix', () => {
  it('covers every route of the app', () => {
    const registered = new Set(sys.app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/') && r.path !== '/*' && r.path !== '*').map((r) => `${r.method} ${r.path}`))
    const listed = new Set(cases.map((c) => `${c.method} ${c.route}`))
    expect([...registered].filter((r) => !listed.has(r))).toEqual([])
    expect([...listed].filter((r) => !registered.has(r))).toEqual([])
  })

  for (const c of cases) {
    it(`${c.method} ${c.route} (${c.rule})`, async () => {
      for (const role of roles) {
        const status = await request(c, role)
        if (allowed(c.rule, role)) {
          expect([401, 403], `${role} may use it`).not.toContain(status)
          if (c.rule === 'sessionOwner' || c.rule === 'receiptOwner') expect(status, `${role} sees it`).not.toBe(404)
        } else {
          expect(status, `${role} is refused`).toBe(refusal(c.rule, role))
        }
      }
    })
  }

  it('shows each owner only their own sites, an admin all, a driver none', async () => {
    const sitesOf = async (role: Role) => (await http(sys.url, 'GET', '/api/owner/sites', { headers: { cookie: (await cookieOf[role]())! } })).body.sites.map((s: { id: string }) => s.id)
    expect(await sitesOf('owner')).toEqual(['demo'])
    expect(await sitesOf('otherOwner')).toEqual(['other'])
    expect(await sitesOf('driver')).toEqual([])
    expect(await sitesOf('admin')).toEqual(['demo', 'other'])
  })
})
