// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, flushPromises, json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { driver, grant, owner, routes, site } from './account-fixtures'
import { changeBody, emptyTerms, endOfDay, grantBody, inviteBody, parseMinor, parseWh, termsOf } from '../../web/owner/terms-form'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const now = new Date('2026-01-10T10:00:00')

describe('grant and invite terms (pure)', () => {
  it('reads money and energy as typed, in minor units and Wh, and refuses anything else', () => {
    expect(parseMinor('2,50')).toBe(250)
    expect(parseMinor('2.5')).toBe(250)
    expect(parseMinor('3')).toBe(300)
    expect(parseMinor('0,05')).toBe(5)
    expect(parseMinor('-1')).toBeNull()
    expect(parseMinor('2,505')).toBeNull()
    expect(parseMinor('two')).toBeNull()
    expect(parseWh('12,5')).toBe(12_500)
    expect(parseWh('150')).toBe(150_000)
    expect(parseWh('1,2345')).toBeNull()
  })

  it('builds a free grant for the whole site with a kWh cap, valid to the end of the chosen day', () => {
    const checked = grantBody(' a@b.se ', { ...emptyTerms(), validUntil: '2026-02-28', capKwh: '150' }, now)
    expect(checked).toEqual({
      ok: true,
      body: {
        email: 'a@b.se',
        chargerId: null,
        label: null,
        validUntil: new Date('2026-02-28T23:59:59').toISOString(),
        tariffOverride: { kind: 'free' },
        capEnergyWh: 150_000,
        capAmount: null,
      },
    })
  })

  it('turns a private price into an energy-only tariff, and the site price into no override', () => {
    const priv = grantBody('a@b.se', { ...emptyTerms(), chargerId: 'DEMO-2', price: 'private', pricePerKwh: '2,50' }, now)
    expect(priv.ok && priv.body.tariffOverride).toEqual({ kind: 'tariff', components: [{ type: 'energy', price: 250, unit: 'kWh' }] })
    expect(priv.ok && priv.body.chargerId).toBe('DEMO-2')
    const sitePrice = grantBody('a@b.se', { ...emptyTerms(), price: 'site', capAmount: '500' }, now)
    expect(sitePrice.ok && sitePrice.body).toMatchObject({ tariffOverride: null, capAmount: 50_000 })
  })

  it('shows a grant’s terms back as the owner would type them', () => {
    const form = termsOf(grant({ validUntil: endOfDay('2026-02-28').toISOString(), tariffOverride: { kind: 'tariff', components: [{ type: 'energy', price: 305, unit: 'kWh' }] }, capEnergyWh: 150_500, capAmount: 50_000 }))
    expect(form).toEqual({ chargerId: '', label: 'Flat 12B', validUntil: '2026-02-28', price: 'private', pricePerKwh: '3,05', capKwh: '150,5', capAmount: '500' })
    expect(changeBody(form, now)).toMatchObject({ ok: true, body: { capEnergyWh: 150_500, capAmount: 50_000, validUntil: endOfDay('2026-02-28').toISOString() } })
  })

  it('lists every mistake at once', () => {
    const checked = grantBody('nope', { ...emptyTerms(), validUntil: '2026-01-09', price: 'private', pricePerKwh: 'x', capKwh: '0', capAmount: '-5' }, now)
    expect(checked).toEqual({
      ok: false,
      errors: {
        email: 'owner.form.errors.email',
        validUntil: 'owner.form.errors.past',
        pricePerKwh: 'owner.form.errors.price',
        capKwh: 'owner.form.errors.capKwh',
        capAmount: 'owner.form.errors.capAmount',
      },
    })
  })

  it('keeps invites within 1–90 days and 1–1000 uses, leaves out unset terms, and names the grant’s end grantValidUntil', () => {
    const form = { ...emptyTerms(), expiresInDays: '7', maxUses: '10', validUntil: '2026-06-30' }
    expect(inviteBody(form, now)).toEqual({
      ok: true,
      body: {
        tariffOverride: { kind: 'free' },
        grantValidUntil: new Date('2026-06-30T23:59:59').toISOString(), expiresInDays: 7, maxUses: 10,
      },
    })
    const bad = inviteBody({ ...form, expiresInDays: '91', maxUses: '0' }, now)
    expect(bad.ok ? null : bad.errors).toEqual({ expiresInDays: 'owner.form.errors.expiresInDays', maxUses: 'owner.form.errors.maxUses' })
  })
})

const ownerApi = (extra: Parameters<typeof routes>[0] = {}) =>
  routes({
    'GET /api/auth/me': () => json({ user: owner }),
    'GET /api/owner/sites': () => json({ sites: [site] }),
    'GET /api/sites/demo/grants': () => json({ grants: [grant(), grant({ id: 'grt_2', email: 'late@example.com', userId: null, status: 'pending', tariffOverride: { kind: 'tariff', components: [{ type: 'energy', price: 250, unit: 'kWh' }] }, capEnergyWh: null, capAmount: 50_000 })] }),
    'GET /api/sites/demo/invites': () => json({ invites: [] }),
    ...extra,
  })

describe('owner pages', () => {
  it('lists the owner’s sites with their access mode', async () => {
    stubFetch(ownerApi())
    const { wrapper } = await mountAt('/owner')
    const item = wrapper.find('[data-test=owner-site]')
    expect(item.findAll('a > *').map((e) => plain(e.text()))).toEqual(['Demo Garage', 'Stockholm · Paid by card, invited drivers on their terms', '2 chargers'])
    expect(item.find('a').attributes('href')).toBe('/owner/sites/demo')
  })

  it('tells a driver without sites that the account owns none', async () => {
    stubFetch(routes({ 'GET /api/auth/me': () => json({ user: driver }), 'GET /api/owner/sites': () => apiError(403, 'forbidden', 'No.') }))
    const { wrapper } = await mountAt('/owner')
    expect(wrapper.find('[data-test=not-owner]').text()).toBe('Your account does not own any sites.')
  })

  it('shows each grant’s status, price, caps and use this month', async () => {
    stubFetch(ownerApi())
    const { wrapper } = await mountAt('/owner/sites/demo')
    const [first, second] = wrapper.findAll('[data-test=grant]')
    expect(first.find('[data-test=grant-status]').text()).toBe('Active')
    const facts = (item: typeof first) => item.findAll('.grant-facts > div').map((d) => `${plain(d.find('dt').text())}: ${plain(d.find('dd').text())}`)
    expect(facts(first)).toContain('Monthly caps: 150.000 kWh')
    expect(plain(first.find('[data-test=grant-used]').text())).toBe('12.345 kWh · SEK 0')
    expect(second.find('[data-test=grant-status]').text()).toBe('Waiting for sign-up')
    expect(plain(second.find('[data-test=grant-price]').text())).toBe('Private price · SEK 2.50/kWh')
    expect(facts(second)).toContain('Monthly caps: SEK 500')
  })

  it('does not send a grant form with mistakes, and marks the fields', async () => {
    const calls = stubFetch(ownerApi())
    const { wrapper } = await mountAt('/owner/sites/demo')
    await wrapper.find('[data-test=grant-email]').setValue('not-an-email')
    await wrapper.find('[data-test=grant-form] [data-test=price-private]').setValue(true)
    await wrapper.find('[data-test=grant-form] [data-test=price-per-kwh]').setValue('abc')
    await wrapper.find('[data-test=grant-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-test=grant-email]').attributes('aria-invalid')).toBe('true')
    expect(wrapper.find('[data-test=grant-form] [data-test=price-per-kwh]').attributes('aria-invalid')).toBe('true')
    expect(wrapper.find('[data-test=grant-form]').text()).toContain('Enter the price per kWh, like 2,50.')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
  })

  it('grants access by email for one charger and shows it in the list', async () => {
    const created = grant({ id: 'grt_3', email: 'new@example.com', chargerId: 'DEMO-2', status: 'pending', userId: null })
    const calls = stubFetch(ownerApi({ 'POST /api/sites/demo/grants': () => json({ grant: created }, 201) }))
    const { wrapper } = await mountAt('/owner/sites/demo')
    await wrapper.find('[data-test=grant-email]').setValue('new@example.com')
    await wrapper.find('[data-test=grant-form] [data-test=charger]').setValue('DEMO-2')
    await wrapper.find('[data-test=grant-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toMatchObject({ email: 'new@example.com', chargerId: 'DEMO-2', tariffOverride: { kind: 'free' } })
    expect(wrapper.find('[data-test=granted]').text()).toBe('Access granted to new@example.com.')
    expect(wrapper.findAll('[data-test=grant]')).toHaveLength(3)
  })

  it('changes a grant’s terms in the same form, filled in with what it has now', async () => {
    const calls = stubFetch(ownerApi({ 'PATCH /api/sites/demo/grants/grt_2': (call) => json({ grant: grant({ id: 'grt_2', email: 'late@example.com', status: 'pending', ...(call.body as object) }) }) }))
    const { wrapper } = await mountAt('/owner/sites/demo')
    await wrapper.findAll('[data-test=change-grant]')[1].trigger('click')
    await flushPromises()
    const form = wrapper.find('[data-test=grant-form]')
    expect(form.find('h2').text()).toBe('Change the access of late@example.com')
    expect(form.find('[data-test=grant-email]').exists()).toBe(false)
    expect((form.find('[data-test=price-per-kwh]').element as HTMLInputElement).value).toBe('2,50')
    expect((form.find('[data-test=cap-amount]').element as HTMLInputElement).value).toBe('500')
    await form.find('[data-test=cap-amount]').setValue('750')
    await form.trigger('submit')
    await flushPromises()
    const patch = calls.find((c) => c.method === 'PATCH')!
    expect(patch.body).toMatchObject({ capAmount: 75_000, tariffOverride: { kind: 'tariff', components: [{ type: 'energy', price: 250, unit: 'kWh' }] } })
    expect(patch.body).not.toHaveProperty('email')
    expect(wrapper.find('[data-test=grant-form] h2').text()).toBe('Grant access by email')
    expect(plain(wrapper.findAll('[data-test=grant]')[0].text())).toContain('SEK 750')
  })

  it('revokes a grant after asking', async () => {
    vi.stubGlobal('confirm', () => true)
    const calls = stubFetch(ownerApi({ 'DELETE /api/sites/demo/grants/grt_1': () => json({ grant: grant({ status: 'revoked', revokedAt: '2026-01-10T10:00:00Z' }) }) }))
    const { wrapper } = await mountAt('/owner/sites/demo')
    await wrapper.find('[data-test=revoke-grant]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.method === 'DELETE' && c.path === '/api/sites/demo/grants/grt_1')).toBe(true)
    expect(wrapper.find('[data-test=grant] [data-test=grant-status]').text()).toBe('Revoked')
    expect(wrapper.find('[data-test=notice]').text()).toBe('Access of neighbour@example.com revoked.')
  })

  it('creates an invite and shows its link and code once, with a QR code', async () => {
    const invite = {
      id: 'inv_1', siteId: 'demo', chargerId: null, label: null, grantValidUntil: null, tariffOverride: { kind: 'free' },
      capEnergyWh: null, capAmount: null, maxUses: 5, uses: 0, expiresAt: '2099-01-01T00:00:00Z', createdAt: '2026-01-10T10:00:00Z', revokedAt: null,
      usable: true, reason: null,
    }
    const calls = stubFetch(ownerApi({ 'POST /api/sites/demo/invites': () => json({ invite, code: 'K7M2P9QRST', url: 'http://localhost/i/K7M2P9QRST' }, 201) }))
    const { wrapper } = await mountAt('/owner/sites/demo')
    await wrapper.find('[data-test=max-uses]').setValue('5')
    await wrapper.find('[data-test=invite-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')?.body).toMatchObject({ expiresInDays: 7, maxUses: 5, tariffOverride: { kind: 'free' } })
    expect(wrapper.find('[data-test=invite-url]').text()).toBe('http://localhost/i/K7M2P9QRST')
    expect(wrapper.find('[data-test=invite-code]').text()).toBe('K7M2P9QRST')
    await vi.waitFor(() => expect(wrapper.find('[data-test=invite-qr]').attributes('src')).toMatch(/^data:image\/png;base64,/))
    expect(wrapper.findAll('[data-test=invite]')).toHaveLength(1)
  })
})
