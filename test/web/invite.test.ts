// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, arrivedAt, flushPromises, json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { driver, grant, invitePreview, routes } from './account-fixtures'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('invite page', () => {
  it('previews the site, terms and expiry before anything is accepted', async () => {
    const calls = stubFetch(routes({ 'GET /api/invites/ABCDEFGHJK': () => json(invitePreview({ terms: { validUntil: null, tariffOverride: { kind: 'tariff', components: [{ type: 'energy', price: 250, unit: 'kWh' }] }, capEnergyWh: 100_000, capAmount: null } })) }))
    const { wrapper } = await mountAt('/i/ABCDEFGHJK')
    expect(wrapper.find('h1').text()).toBe('Invite to charge at Demo Garage')
    const terms = plain(wrapper.find('[data-test=invite-terms]').text())
    expect(terms).toContain('Every charger at the site')
    expect(terms).toContain('Private price · SEK 2.50/kWh')
    expect(terms).toContain('100.000 kWh')
    expect(wrapper.text()).toContain('The owner invoices you')
    expect(calls.every((c) => c.method === 'GET')).toBe(true)
  })

  it('says plainly when the code is wrong', async () => {
    stubFetch(routes({ 'GET /api/invites/WRONG': () => apiError(404, 'invite_not_found', 'No such invite.') }))
    const { wrapper } = await mountAt('/i/WRONG')
    expect(wrapper.find('[data-test=invite-not-found] h1').text()).toBe('Invite not found')
  })

  it.each([
    ['expired', 'This invite has expired. Ask the owner for a new one.'],
    ['revoked', 'The owner has withdrawn this invite.'],
    ['used_up', 'This invite has already been used as many times as allowed.'],
  ] as const)('explains an invite that is %s and offers no accept button', async (reason, text) => {
    stubFetch(routes({ 'GET /api/invites/ABCDEFGHJK': () => json(invitePreview({ usable: false, reason })) }))
    const { wrapper } = await mountAt('/i/ABCDEFGHJK')
    expect(wrapper.find('[data-test=invite-unusable]').text()).toBe(text)
    expect(wrapper.find('[data-test=accept-invite]').exists()).toBe(false)
  })

  it('sends a guest to sign in, then accepts on the way back and links to the charger', async () => {
    const calls = stubFetch(
      routes({
        'GET /api/auth/me': () => json({ user: null }),
        'GET /api/invites/ABCDEFGHJK': () => json(invitePreview({ charger: { id: 'DEMO-1', label: 'Plats 1–2' } })),
      }),
    )
    const { wrapper, router } = await mountAt('/i/ABCDEFGHJK')
    expect(wrapper.find('[data-test=accept-invite]').text()).toBe('Sign in to accept')
    await wrapper.find('[data-test=accept-invite]').trigger('click')
    await arrivedAt(router, '/sign-in?next=/i/ABCDEFGHJK?accept=1')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
    wrapper.unmount()

    const redeemed = stubFetch(
      routes({
        'GET /api/auth/me': () => json({ user: driver }),
        'GET /api/invites/ABCDEFGHJK': () => json(invitePreview({ charger: { id: 'DEMO-1', label: 'Plats 1–2' } })),
        'POST /api/invites/ABCDEFGHJK/redeem': () => json({ grant: grant({ chargerId: 'DEMO-1' }) }, 201),
      }),
    )
    const back = await mountAt('/i/ABCDEFGHJK?accept=1')
    await flushPromises()
    expect(redeemed.filter((c) => c.method === 'POST')).toHaveLength(1)
    expect(back.wrapper.find('[data-test=invite-accepted] h1').text()).toBe('You have access')
    expect(back.wrapper.find('[data-test=invite-charger]').attributes('href')).toBe('/c/DEMO-1')
  })

  it('lists every charger of the site after accepting a site-wide invite', async () => {
    stubFetch(
      routes({
        'GET /api/auth/me': () => json({ user: driver }),
        'GET /api/invites/ABCDEFGHJK': () => json(invitePreview()),
        'POST /api/invites/ABCDEFGHJK/redeem': () => json({ grant: grant() }, 201),
        'GET /api/sites/demo': () => json({ site: {}, chargers: [{ id: 'DEMO-1', label: null }, { id: 'DEMO-2', label: 'Garage' }] }),
      }),
    )
    const { wrapper } = await mountAt('/i/ABCDEFGHJK')
    await wrapper.find('[data-test=accept-invite]').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('[data-test=invite-charger]').map((a) => a.attributes('href'))).toEqual(['/c/DEMO-1', '/c/DEMO-2'])
  })
})
