// @vitest-environment happy-dom
/**
 * The owner's Zaptec setup on the site page: what it says about the site, what it sends, and the
 * portal settings shown once after saving, in the owner's language.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, json, mountAt, stubEventSource, stubFetch, type RecordedCall } from './harness'
import { owner, routes, site } from './account-fixtures'
import { zaptecEn } from '../../web/locales/zaptec.en'
import { zaptecSv } from '../../web/locales/zaptec.sv'
import { zaptecNb } from '../../web/locales/zaptec.nb'
import { zaptecDa } from '../../web/locales/zaptec.da'
import { zaptecFi } from '../../web/locales/zaptec.fi'
import { zaptecDe } from '../../web/locales/zaptec.de'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const urls = {
  authenticationUrl: 'https://charge.example.com/webhooks/zaptec/oauth/token',
  sessionStartUrl: 'https://charge.example.com/webhooks/zaptec/session-start',
  sessionEndUrl: 'https://charge.example.com/webhooks/zaptec/session-end',
}
const installation = { id: 'zi-1', siteId: 'demo', zaptecInstallationId: null, webhooks: true, api: true, webhookAuth: 'basic' as const, webhookUsername: 'lp-abc', apiUsername: 'owner@coop.test', chargers: [{ chargerId: 'ZAP-1', zaptecChargerId: 'x' }] }
const portal = { authenticationUrl: null, authenticationPayload: 'username=lp-new&password=s3cret', sessionStartUrl: urls.sessionStartUrl, sessionEndUrl: urls.sessionEndUrl, username: 'lp-new', password: 's3cret' }

const api = (current: typeof installation | null, put?: (call: RecordedCall) => Response) =>
  routes({
    'GET /api/auth/me': () => json({ user: owner }),
    'GET /api/owner/sites': () => json({ sites: [site] }),
    'GET /api/sites/demo/grants': () => json({ grants: [] }),
    'GET /api/sites/demo/invites': () => json({ invites: [] }),
    'GET /api/sites/demo/zaptec': () => json({ installation: current, urls }),
    'PUT /api/sites/demo/zaptec': put ?? (() => json({ installation, portal })),
  })

describe('Zaptec setup', () => {
  it('says how the site is set up', async () => {
    stubFetch(api(installation))
    const { wrapper } = await mountAt('/owner/sites/demo')
    expect(wrapper.find('[data-test=zaptec-summary]').text()).toBe('Set up with web hooks and the API as owner@coop.test. 1 Zaptec charger')
    expect((wrapper.find('[data-test=zaptec-api]').element as HTMLInputElement).checked).toBe(true)
  })

  it('asks for a mode and for the account before sending anything', async () => {
    const calls = stubFetch(api(null))
    const { wrapper } = await mountAt('/owner/sites/demo')
    expect(wrapper.find('[data-test=zaptec-summary]').text()).toBe('Not set up: this site’s chargers connect over OCPP.')
    await wrapper.find('[data-test=zaptec-webhooks]').setValue(false)
    await wrapper.find('[data-test=zaptec-form]').trigger('submit')
    expect(wrapper.find('[data-test=zaptec-problem]').text()).toBe('Choose web hooks, the API, or both.')
    await wrapper.find('[data-test=zaptec-api]').setValue(true)
    await wrapper.find('[data-test=zaptec-form]').trigger('submit')
    expect(wrapper.find('[data-test=zaptec-problem]').text()).toBe('Enter the Zaptec account’s email and password.')
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)
  })

  it('sends the choice and shows what goes in the Zaptec portal once', async () => {
    const calls = stubFetch(api(null))
    const { wrapper } = await mountAt('/owner/sites/demo')
    await wrapper.find('[data-test=zaptec-api]').setValue(true)
    await wrapper.find('[data-test=zaptec-account]').setValue('owner@coop.test')
    await wrapper.find('[data-test=zaptec-password]').setValue('zaptec-pw')
    await wrapper.find('[data-test=zaptec-form]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ webhooks: true, api: true, webhookAuth: 'basic', apiUsername: 'owner@coop.test', apiPassword: 'zaptec-pw' })
    expect(wrapper.find('[data-test=zaptec-authenticationUrl]').text()).toBe('leave empty')
    expect(wrapper.find('[data-test=zaptec-authenticationPayload]').text()).toBe('username=lp-new&password=s3cret')
    expect(wrapper.find('[data-test=zaptec-sessionStartUrl]').text()).toBe(urls.sessionStartUrl)
    expect(wrapper.find('[data-test=zaptec-portal]').text()).toContain('shown only now')
  })

  it('speaks the owner’s language', async () => {
    stubFetch(api(null))
    const { wrapper } = await mountAt('/owner/sites/demo', 'sv')
    expect(wrapper.find('[data-test=zaptec-section] h2').text()).toBe('Zaptec-laddare')
    expect(wrapper.find('[data-test=zaptec-summary]').text()).toBe('Inte inställt: platsens laddare ansluter med OCPP.')
  })

  it('has every string in all six languages, with the same placeholders', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
    for (const messages of [zaptecSv, zaptecNb, zaptecDa, zaptecFi, zaptecDe]) {
      expect(Object.keys(messages).sort()).toEqual(Object.keys(zaptecEn).sort())
      for (const [key, text] of Object.entries(zaptecEn)) {
        const other = (messages as Record<string, string>)[key]
        expect(other.trim(), key).not.toBe('')
        expect(placeholders(other), key).toEqual(placeholders(text))
        expect(other.split(' | ').length, key).toBe(text.split(' | ').length)
      }
    }
  })
})
