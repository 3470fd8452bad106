// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { apiError, arrivedAt, flushPromises, json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { charger, session } from './fixtures'
import { driver, routes } from './account-fixtures'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import TopBar from '../../web/app/TopBar.vue'
import { createAppI18n, loadLocale } from '../../web/i18n'
import { createAppRouter } from '../../web/router'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const guest = { 'GET /api/auth/me': () => json({ user: null }) }

describe('sign-in page', () => {
  it('asks for the email, then the code, signs in and returns to where the driver came from', async () => {
    const calls = stubFetch(
      routes({
        ...guest,
        'POST /api/auth/email/start': () => json({ sent: true }, 202),
        'POST /api/auth/email/verify': () => json({ user: driver, created: false }),
      }),
    )
    const { wrapper, router } = await mountAt('/sign-in?next=/c/DEMO-1')
    expect(wrapper.find('[data-test=code-form]').exists()).toBe(false)
    await wrapper.find('#sign-in-email').setValue(' driver@example.com ')
    await wrapper.find('[data-test=email-form]').trigger('submit')
    await flushPromises()

    expect(calls.find((c) => c.path === '/api/auth/email/start')?.body).toEqual({ email: 'driver@example.com', locale: 'en' }) // the code's mail comes in the app's language
    const code = wrapper.find('#sign-in-code')
    expect(code.attributes('autocomplete')).toBe('one-time-code')
    expect(code.attributes('inputmode')).toBe('numeric')
    expect(plain(wrapper.find('[data-test=code-sent]').text())).toContain('driver@example.com')

    await code.setValue('123456')
    await wrapper.find('[data-test=code-form]').trigger('submit')
    await arrivedAt(router, '/c/DEMO-1')
    expect(calls.find((c) => c.path === '/api/auth/email/verify')?.body).toEqual({ email: 'driver@example.com', code: '123456', locale: 'en' })
  })

  it('catches a mistyped address and a short code before asking the BFF', async () => {
    const calls = stubFetch(routes({ ...guest, 'POST /api/auth/email/start': () => json({ sent: true }, 202) }))
    const { wrapper } = await mountAt('/sign-in')
    await wrapper.find('#sign-in-email').setValue('driver-at-example')
    await wrapper.find('[data-test=email-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.find('#sign-in-email').attributes('aria-invalid')).toBe('true')
    expect(wrapper.text()).toContain('Enter a valid email address.')
    expect(calls.some((c) => c.path === '/api/auth/email/start')).toBe(false)

    await wrapper.find('#sign-in-email').setValue('driver@example.com')
    await wrapper.find('[data-test=email-form]').trigger('submit')
    await flushPromises()
    await wrapper.find('#sign-in-code').setValue('12345')
    await wrapper.find('[data-test=code-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.text()).toContain('The code has 6 digits.')
    expect(calls.some((c) => c.path === '/api/auth/email/verify')).toBe(false)
  })

  it('says a code was wrong and an address is locked in our words, never the server’s, staying on the code step', async () => {
    let answer = apiError(400, 'invalid_code', 'Wrong code. 4 attempts left.')
    stubFetch(
      routes({
        ...guest,
        'POST /api/auth/email/start': () => json({ sent: true }, 202),
        'POST /api/auth/email/verify': () => answer,
      }),
    )
    const { wrapper, router } = await mountAt('/sign-in?next=/history')
    await wrapper.find('#sign-in-email').setValue('driver@example.com')
    await wrapper.find('[data-test=email-form]').trigger('submit')
    await flushPromises()
    await wrapper.find('#sign-in-code').setValue('000000')
    await wrapper.find('[data-test=code-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-test=error]').text()).toBe('Wrong code, or it is not valid any more. Check the latest mail and try again.')
    expect(router.currentRoute.value.path).toBe('/sign-in')

    answer = apiError(429, 'locked', 'Locked.')
    await wrapper.find('[data-test=code-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-test=error]').text()).toBe('Too many wrong codes. Wait 15 minutes and try again.')
    expect(wrapper.find('[data-test=code-form]').exists()).toBe(true)
  })

  it('offers a passkey right after the account was created, and “Not now” goes on', async () => {
    vi.stubGlobal('PublicKeyCredential', function PublicKeyCredential() {})
    stubFetch(
      routes({
        ...guest,
        'POST /api/auth/email/start': () => json({ sent: true }, 202),
        'POST /api/auth/email/verify': () => json({ user: driver, created: true }),
      }),
    )
    const { wrapper, router } = await mountAt('/sign-in?next=/history')
    expect(wrapper.find('[data-test=sign-in-passkey]').exists()).toBe(true)
    await wrapper.find('#sign-in-email').setValue('new@example.com')
    await wrapper.find('[data-test=email-form]').trigger('submit')
    await flushPromises()
    await wrapper.find('#sign-in-code').setValue('654321')
    await wrapper.find('[data-test=code-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-test=offer-passkey]').text()).toContain('Create a passkey for faster sign-in')
    await wrapper.find('[data-test=skip-passkey]').trigger('click')
    await arrivedAt(router, '/history')
  })

  it('hides passkeys where the browser has no WebAuthn', async () => {
    stubFetch(routes(guest))
    const { wrapper } = await mountAt('/sign-in')
    expect(wrapper.find('[data-test=sign-in-passkey]').exists()).toBe(false)
  })

  it('shows the development outbox only when the BFF has one', async () => {
    stubFetch(
      routes({
        ...guest,
        'GET /api/dev/outbox': () =>
          json({ mails: [{ id: 'm1', to: 'driver@example.com', subject: 'Your Laddpunkt code', text: 'Your code is 123456', createdAt: '2026-01-10T10:00:00Z' }] }),
      }),
    )
    const { wrapper } = await mountAt('/sign-in')
    expect(wrapper.find('[data-test=outbox-mail]').text()).toContain('Your code is 123456')

    wrapper.unmount()
    stubFetch(routes(guest))
    const production = await mountAt('/sign-in')
    expect(production.wrapper.find('[data-test=dev-outbox]').exists()).toBe(false)
  })

  it('ignores a ?next= that leaves the app', async () => {
    stubFetch(
      routes({
        ...guest,
        'POST /api/auth/email/start': () => json({ sent: true }, 202),
        'POST /api/auth/email/verify': () => json({ user: driver, created: false }),
      }),
    )
    const { wrapper, router } = await mountAt('/sign-in?next=//evil.example/x')
    await wrapper.find('#sign-in-email').setValue('driver@example.com')
    await wrapper.find('[data-test=email-form]').trigger('submit')
    await flushPromises()
    await wrapper.find('#sign-in-code').setValue('123456')
    await wrapper.find('[data-test=code-form]').trigger('submit')
    await arrivedAt(router, '/')
  })

  it('hands this device’s guest sessions to the account after sign-in', async () => {
    localStorage.setItem(
      'laddpunkt.history.v1',
      JSON.stringify([{ sessionId: 'ses_guest', stopToken: 'tok-guest', chargerId: 'DEMO-1', connectorId: 1, createdAt: '2026-01-10T10:00:00Z' }]),
    )
    const calls = stubFetch(
      routes({
        ...guest,
        'POST /api/auth/email/start': () => json({ sent: true }, 202),
        'POST /api/auth/email/verify': () => json({ user: driver, created: false }),
        'POST /api/me/claim': () => json({ claimed: 1 }),
      }),
    )
    const { wrapper } = await mountAt('/sign-in')
    await wrapper.find('#sign-in-email').setValue('driver@example.com')
    await wrapper.find('[data-test=email-form]').trigger('submit')
    await flushPromises()
    await wrapper.find('#sign-in-code').setValue('123456')
    await wrapper.find('[data-test=code-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.path === '/api/me/claim')?.body).toEqual({ sessions: [{ id: 'ses_guest', stopToken: 'tok-guest' }] })
  })
})

describe('account page', () => {
  const signedIn = {
    'GET /api/auth/me': () => json({ user: driver }),
    'GET /api/me/grants': () => json({ grants: [] }),
    'GET /api/auth/passkeys': () => json({ passkeys: [{ id: 'pk_1', name: 'Pixel 8', createdAt: '2026-01-02T10:00:00Z', lastUsedAt: null }] }),
    'GET /api/me/rfid-tags': () => json({ tags: [] }),
  }

  it('sends a guest to sign in first and back afterwards', async () => {
    stubFetch(routes(guest))
    const { router } = await mountAt('/account')
    expect(router.currentRoute.value.fullPath).toBe('/sign-in?next=/account')
  })

  it('shows the email and passkeys, and removes a passkey after asking', async () => {
    vi.stubGlobal('confirm', () => true)
    const calls = stubFetch(routes({ ...signedIn, 'DELETE /api/auth/passkeys/pk_1': () => new Response(null, { status: 204 }) }))
    const { wrapper } = await mountAt('/account')
    expect(wrapper.find('[data-test=account-email]').text()).toBe('Signed in as driver@example.com')
    expect(wrapper.findAll('[data-test=passkey]').map((p) => plain(p.find('strong').text()))).toEqual(['Pixel 8'])
    await wrapper.find('[data-test=passkey] button').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.method === 'DELETE' && c.path === '/api/auth/passkeys/pk_1')).toBe(true)
    expect(wrapper.findAll('[data-test=passkey]')).toHaveLength(0)
    expect(wrapper.text()).toContain('Passkey removed.')
  })

  it('adds an RFID tag, checks its form first, and says so when someone else has it', async () => {
    let tags: unknown[] = []
    let answer = () => {
      tags = [{ idTag: 'ABC123', label: 'Keyring', createdAt: '2026-01-10T10:00:00Z' }]
      return json({ tag: tags[0] }, 201)
    }
    const calls = stubFetch(routes({ ...signedIn, 'GET /api/me/rfid-tags': () => json({ tags }), 'POST /api/me/rfid-tags': () => answer() }))
    const { wrapper } = await mountAt('/account')

    await wrapper.find('#rfid-tag').setValue('has space')
    await wrapper.find('[data-test=rfid-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.find('#rfid-tag').attributes('aria-invalid')).toBe('true')
    expect(calls.some((c) => c.method === 'POST' && c.path === '/api/me/rfid-tags')).toBe(false)

    await wrapper.find('#rfid-tag').setValue('abc123')
    await wrapper.find('#rfid-label').setValue('Keyring')
    await wrapper.find('[data-test=rfid-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST' && c.path === '/api/me/rfid-tags')?.body).toEqual({ idTag: 'abc123', label: 'Keyring' })
    expect(wrapper.findAll('[data-test=rfid-tag]').map((t) => t.find('strong').text())).toEqual(['ABC123'])

    answer = () => apiError(409, 'tag_taken', 'Taken.')
    await wrapper.find('#rfid-tag').setValue('OTHER1')
    await wrapper.find('[data-test=rfid-form]').trigger('submit')
    await flushPromises()
    expect(wrapper.find('[data-test=rfid-error]').text()).toBe('This tag is already registered.')
  })

  it('signs out on all devices after asking, and then shows the app as a guest', async () => {
    vi.stubGlobal('confirm', () => true)
    const calls = stubFetch(routes({ ...signedIn, 'POST /api/auth/sign-out-all': () => new Response(null, { status: 204 }) }))
    const { wrapper, router } = await mountAt('/account')
    await wrapper.find('[data-test=sign-out-all]').trigger('click')
    await arrivedAt(router, '/')
    expect(calls.some((c) => c.path === '/api/auth/sign-out-all' && c.method === 'POST')).toBe(true)
    await router.push('/account')
    expect(router.currentRoute.value.fullPath).toBe('/sign-in?next=/account')
  })
})

describe('history when signed in', () => {
  it('shows the account’s sessions with month totals, receipt links and a CSV link for the chosen month', async () => {
    const calls = stubFetch(
      routes({
        'GET /api/auth/me': () => json({ user: driver }),
        'GET /api/me/sessions': () =>
          json({
            sessions: [
              {
                id: 'ses_9', state: 'completed', chargerId: 'DEMO-1', connectorId: 1, siteName: 'Demo Garage', method: 'grant',
                startedAt: '2026-01-10T10:00:00Z', stoppedAt: '2026-01-10T11:00:00Z', energyWh: 7_500, total: 0, currency: 'SEK',
                receipt: { number: 'LP-7', url: 'http://localhost/api/receipts/LP-7?t=rt' },
              },
            ],
            nextCursor: null,
            months: [{ month: '2026-01', count: 1, energyWh: 7_500, total: 0, currency: 'SEK' }],
          }),
      }),
    )
    const { wrapper } = await mountAt('/history')
    const item = wrapper.find('[data-test=account-history-item]')
    expect(plain(item.text())).toContain('With access · 7.500 kWh')
    expect(plain(item.text())).toContain('SEK 0.00')
    expect(item.find('[data-test=receipt-link]').attributes('href')).toBe('/r/LP-7?t=rt')
    expect(wrapper.findAll('[data-test=month-totals] tbody td').map((td) => plain(td.text()))).toEqual(['January 2026', '1', '7.500', 'SEK 0.00'])
    expect(wrapper.find('[data-test=csv]').attributes('href')).toBe('/api/me/sessions?format=csv')

    await wrapper.find('[data-test=month]').setValue('2026-01')
    await flushPromises()
    expect(calls.at(-1)?.path).toBe('/api/me/sessions?limit=20&month=2026-01')
    expect(wrapper.find('[data-test=csv]').attributes('href')).toBe('/api/me/sessions?format=csv&month=2026-01')
  })

  it('shows each finished session’s charge as its receipt does, and why when no card was charged', async () => {
    const row = (id: string, method: 'card' | 'grant', total: number, charge: object | null, state = 'completed') => ({
      id, state, chargerId: 'DEMO-1', connectorId: 1, siteName: 'Demo Garage', method,
      startedAt: '2026-01-10T10:00:00Z', stoppedAt: '2026-01-10T11:00:00Z', energyWh: 418, total, charge, currency: 'SEK', receipt: null,
    })
    stubFetch(
      routes({
        'GET /api/auth/me': () => json({ user: driver }),
        'GET /api/me/sessions': () =>
          json({
            sessions: [
              row('ses_min', 'card', 0, { amount: 0, basis: 'below_minimum', cost: 207, minimumCharge: 300 }),
              row('ses_grant', 'grant', 120, { amount: 120, basis: 'invoiced_by_owner', cost: 120, minimumCharge: 300 }),
              row('ses_card', 'card', 6111, { amount: 6111, basis: 'card', cost: 6111, minimumCharge: 300 }),
              row('ses_live', 'card', 207, null, 'charging'),
            ],
            nextCursor: null,
            months: [],
          }),
      }),
    )
    const { wrapper } = await mountAt('/history')
    const items = wrapper.findAll('[data-test=account-history-item]')
    expect(items.map((i) => plain(i.find('[data-test=history-total]').text()))).toEqual(['SEK 0.00', 'SEK 1.20', 'SEK 61.11', 'SEK 2.07'])
    expect(items.map((i) => (i.find('[data-test=charge-basis]').exists() ? plain(i.find('[data-test=charge-basis]').text()) : null))).toEqual([
      'Not charged: under the minimum',
      'Invoiced by the owner',
      null,
      null,
    ])
  })

  it('keeps the device history for guests', async () => {
    stubFetch(routes(guest))
    const { wrapper } = await mountAt('/history')
    expect(wrapper.find('[data-test=empty]').text()).toBe('No sessions on this device yet.')
    expect(wrapper.find('[data-test=history-sign-in]').exists()).toBe(true)
  })
})

describe('charger page with a grant', () => {
  const free = { ...charger().tariff, holdAmount: 0, components: charger().tariff.components.map((c) => ({ ...c, price: 0 })) }
  const withGrant = charger({
    startMethods: ['grant', 'card'],
    grant: { id: 'grt_1', label: null, price: 'free', capLeft: { energyWh: null, amount: null, reached: false }, caps: { energyWh: null, amount: null }, tariff: free },
  })

  it('offers the grant first, starts without a card and opens the live session', async () => {
    const calls = stubFetch(
      routes({
        'GET /api/chargers/DEMO-1': () => json(withGrant),
        'POST /api/sessions': () => json({ session: session({ id: 'ses_g', state: 'starting', method: 'grant' }), payment: null, stopToken: 'tok-g' }, 201),
        'GET /api/sessions/ses_g': () => json(session({ id: 'ses_g', state: 'starting', method: 'grant' })),
      }),
    )
    const { wrapper, router } = await mountAt('/c/DEMO-1')
    expect(wrapper.find('[data-test=grant-note]').text()).toBe('You have access here: charging is free for you.')
    // The card's hold belongs to the card's price, folded away under the driver's own.
    expect(wrapper.find('details.card-price [data-test=hold]').exists()).toBe(true)
    expect(wrapper.find('details.card-price').attributes('open')).toBeUndefined()
    expect(wrapper.find('a[data-test=start]').text()).toBe('Pay by card instead')
    await wrapper.find('[data-test=start-grant]').trigger('click')
    await arrivedAt(router, '/s/ses_g')
    const start = calls.find((c) => c.method === 'POST' && c.path === '/api/sessions')!
    expect(start.body).toEqual({ chargerId: 'DEMO-1', connectorId: 1, method: 'grant' })
    expect(start.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/)
    expect(JSON.parse(localStorage.getItem('laddpunkt.history.v1')!)[0]).toMatchObject({ sessionId: 'ses_g', stopToken: 'tok-g' })
  })

  it('says why when the grant does not allow a start, and stays on the charger', async () => {
    stubFetch(
      routes({
        'GET /api/chargers/DEMO-1': () => json(withGrant),
        'POST /api/sessions': () => apiError(403, 'grant_cap_reached', 'Cap reached.'),
      }),
    )
    const { wrapper, router } = await mountAt('/c/DEMO-1')
    await wrapper.find('[data-test=start-grant]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test=start-error]').text()).toBe('You have used this month’s allowance at this charger.')
    expect(router.currentRoute.value.path).toBe('/c/DEMO-1')
  })

  it('tells a guest at a private site that it is for invited drivers, with a way to sign in', async () => {
    stubFetch(routes({ 'GET /api/chargers/DEMO-1': () => json(charger({ startMethods: [], site: { ...charger().site, accessMode: 'private' } })) }))
    const { wrapper } = await mountAt('/c/DEMO-1')
    expect(wrapper.find('[data-test=start-reason]').text()).toBe('This charger is only for drivers the owner has given access.')
    expect(wrapper.find('[data-test=sign-in-for-access]').attributes('href')).toBe('/sign-in?next=/c/DEMO-1')
  })
})

describe('top bar', () => {
  it('offers Owner and Support only to accounts that have those roles', async () => {
    const cases = [
      { user: driver, owner: false, support: false },
      { user: { ...driver, roles: [{ role: 'owner', siteId: 'demo' }] }, owner: true, support: false },
      { user: { ...driver, roles: [{ role: 'support', siteId: null }] }, owner: false, support: true },
      { user: null, owner: false, support: false },
    ]
    for (const { user, owner, support } of cases) {
      stubFetch(routes({ 'GET /api/auth/me': () => json({ user }) }))
      const pinia = createPinia()
      setActivePinia(pinia)
      const i18n = createAppI18n('en')
      await loadLocale(i18n, 'en')
      const router = createAppRouter(createMemoryHistory())
      const bar = mount(TopBar, { props: { i18n }, global: { plugins: [pinia, i18n, router] } })
      await flushPromises()
      expect(bar.find('[data-test=nav-owner]').exists(), JSON.stringify(user)).toBe(owner)
      expect(bar.find('[data-test=nav-support]').exists(), JSON.stringify(user)).toBe(support)
      expect(bar.find('[data-test=nav-sign-in]').exists()).toBe(user === null)
      bar.unmount()
    }
  })
})
