// @vitest-environment happy-dom
/**
 * The owner's money page: who collects, the owner's own keys, the monthly statement with its files,
 * the payouts; in the owner's language. The BFF side is tested in test/bff/collection-*.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, json, mountAt, plain as plainText, stubEventSource, stubFetch, type RecordedCall } from './harness'
import { owner, routes, site } from './account-fixtures'
import { charger } from './fixtures'
import { supportActions, type SupportFacts } from '../../bff/domain/session'
import type { CaseFile } from '../../web/api/support'
import { collectionEn } from '../../web/locales/collection.en'
import { collectionSv } from '../../web/locales/collection.sv'
import { collectionNb } from '../../web/locales/collection.nb'
import { collectionDa } from '../../web/locales/collection.da'
import { collectionFi } from '../../web/locales/collection.fi'
import { collectionDe } from '../../web/locales/collection.de'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const platformSeller = { legalName: 'Laddpunkt Plattform AB', orgNumber: '559000-1111', vatNumber: 'SE559000111101', address: 'Kungsgatan 1, Stockholm' }
const collection = (over: Record<string, unknown> = {}) => ({
  siteId: 'demo',
  mode: 'platform',
  stripe: true,
  feeBp: 500,
  platformSeller,
  connect: { accountId: 'acct_123', ready: true },
  own: { accountId: null, publishableKey: null, webhookUrl: 'https://charge.example.com/webhooks/stripe/sites/demo' },
  ready: true,
  ...over,
})
const statement = {
  siteId: 'demo',
  siteName: 'Demo Garage',
  month: '2026-11',
  currency: 'SEK',
  timeZone: 'Europe/Stockholm',
  sessions: [{ sessionId: 's1', receiptNumber: '5590001111-000001', stoppedAt: '2026-11-05T10:00:00Z', energyWh: 12_000, mode: 'platform', gross: 5940, vat: 1188, fee: 297 }],
  refunds: [{ refundId: 'rf_1', sessionId: 's1', at: '2026-11-06T10:00:00Z', amount: 1000, feeRefunded: 50 }],
  totals: { sessions: 1, energyWh: 12_000, gross: 5940, vat: 1188, fees: 297, feesRefunded: 50, refunds: 1000, net: 4693 },
}
/** Intl puts no-break spaces between amount and currency. */
const plain = (text: string) => text.replace(/\s+/g, ' ')
const payouts = [{ id: 'po_1', amount: 4693, currency: 'SEK', status: 'paid', arrivalDate: '2026-12-01T00:00:00Z', createdAt: '2026-11-29T00:00:00Z' }]

const api = (current = collection(), put?: (call: RecordedCall) => Response) =>
  routes({
    'GET /api/auth/me': () => json({ user: owner }),
    'GET /api/owner/sites': () => json({ sites: [site] }),
    'GET /api/sites/demo/collection': () => json({ collection: current }),
    'POST /api/sites/demo/collection/refresh': () => json({ collection: { ...current, connect: { accountId: 'acct_123', ready: true }, ready: true } }),
    'GET /api/sites/demo/payouts': () => json({ payouts, stripe: true }),
    'PUT /api/sites/demo/collection/own-keys': put ?? (() => json({ collection: collection({ mode: 'own', own: { accountId: 'acct_own', publishableKey: 'pk_test_abc12345', webhookUrl: current.own.webhookUrl } }) })),
    ...Object.fromEntries(['2026-11', '2026-10', new Date().toISOString().slice(0, 7)].map((m) => [`GET /api/sites/demo/statements/${m}`, () => json({ statement: { ...statement, month: m } })])),
  })

describe('the money page', () => {
  it('says who collects, the fee and the seller, and shows the month with its net payout and the payouts', async () => {
    stubFetch(api())
    const { wrapper } = await mountAt('/owner/sites/demo/money')
    expect(wrapper.find('[data-test=collection-mode]').text()).toContain('The platform collects from drivers')
    expect(wrapper.find('[data-test=collection-ready]').text()).toBe('Card payments are on.')
    expect(wrapper.find('[data-test=collection-fee]').text()).toBe('Platform fee: 5% of what drivers pay.')
    expect(plain(wrapper.find('[data-test=statement-gross]').text())).toBe('SEK 59.40')
    expect(plain(wrapper.find('[data-test=statement-fees]').text())).toBe('−SEK 2.97')
    expect(plain(wrapper.find('[data-test=statement-net]').text())).toBe('SEK 46.93')
    expect(wrapper.find('[data-test=statement-lines]').text()).toContain('5590001111-000001')
    expect(wrapper.find('[data-test=statement-csv]').attributes('href')).toMatch(/^\/api\/sites\/demo\/statements\/\d{4}-\d{2}\.csv$/)
    expect(wrapper.find('[data-test=statement-pdf]').attributes('href')).toMatch(/\.pdf\?lang=en$/)
    expect(plain(wrapper.find('[data-test=payout-list]').text())).toContain('SEK 46.93 · Paid')
  })

  it('asks Stripe how the account stands when the owner comes back from onboarding', async () => {
    const calls = stubFetch(api(collection({ connect: { accountId: 'acct_123', ready: false }, ready: false })))
    const { wrapper } = await mountAt('/owner/sites/demo/money?connect=done')
    expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/api/sites/demo/collection/refresh'))).toBe(true)
    expect(wrapper.find('[data-test=collection-ready]').text()).toBe('Card payments are on.')
  })

  it('checks that all three keys are there before sending, then sends them and forgets the secret ones', async () => {
    const calls = stubFetch(api())
    const { wrapper } = await mountAt('/owner/sites/demo/money')
    await wrapper.find('[data-test=own-secret]').setValue('sk_test_abc12345')
    await wrapper.find('[data-test=own-keys]').trigger('submit')
    expect(wrapper.text()).toContain('Fill in all three keys.')
    expect(calls.some((c) => c.method === 'PUT')).toBe(false)
    await wrapper.find('[data-test=own-publishable]').setValue('pk_test_abc12345')
    await wrapper.find('[data-test=own-webhook]').setValue('whsec_abc12345')
    await wrapper.find('[data-test=own-keys]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ secretKey: 'sk_test_abc12345', publishableKey: 'pk_test_abc12345', webhookSecret: 'whsec_abc12345' })
    expect((wrapper.find('[data-test=own-secret]').element as HTMLInputElement).value).toBe('')
    expect(wrapper.find('[data-test=collection-notice]').text()).toBe('Keys checked and saved.')
    expect(wrapper.find('[data-test=own-account]').text()).toBe('Stripe account acct_own')
  })

  it('loads another month when the owner picks one', async () => {
    const calls = stubFetch(api())
    const { wrapper } = await mountAt('/owner/sites/demo/money')
    await wrapper.find('[data-test=statement-month]').setValue('2026-10')
    await wrapper.find('[data-test=statement-month]').trigger('change')
    await flushPromises()
    expect(calls.some((c) => c.path.endsWith('/api/sites/demo/statements/2026-10'))).toBe(true)
    expect(wrapper.find('[data-test=statement-csv]').attributes('href')).toBe('/api/sites/demo/statements/2026-10.csv')
  })

  it('speaks the owner’s language', async () => {
    stubFetch(api())
    const { wrapper } = await mountAt('/owner/sites/demo/money', 'sv')
    expect(wrapper.find('h1').text()).toBe('Betalningar och utbetalningar')
    expect(wrapper.find('[data-test=statement] h2').text()).toBe('Månadsrapport')
  })

  it('has every string in all six languages, the same placeholders, and no English left in the others', () => {
    const entries = (messages: object, prefix = ''): [string, string][] =>
      Object.entries(messages).flatMap(([key, value]) => (typeof value === 'object' ? entries(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value as string]]))
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
    const english = new Map(entries(collectionEn))
    for (const [code, messages] of Object.entries({ sv: collectionSv, nb: collectionNb, da: collectionDa, fi: collectionFi, de: collectionDe })) {
      const own = new Map(entries(messages))
      expect([...own.keys()].sort(), code).toEqual([...english.keys()].sort())
      for (const [key, text] of own) {
        expect(text.trim(), `${code} ${key}`).not.toBe('')
        expect(placeholders(text), `${code} ${key}`).toEqual(placeholders(english.get(key)!))
        expect(text, `${code} ${key} is English`).not.toBe(english.get(key))
      }
    }
  })
})

describe('the support console', () => {
  it('says who collected a card payment, with our fee and what refunds gave back', async () => {
    const facts: SupportFacts = { state: 'completed', method: 'card', holdStatus: 'captured', paymentId: 'pi_1', capturedAmount: 5940, refundedAmount: 1000, hasReceipt: true, hasSimplifiedInvoice: true }
    const file: CaseFile = {
      session: {
        id: 'ses_1', state: 'completed', siteId: 'demo', siteName: 'Demo Garage', chargerId: 'DEMO-1', connectorId: 1, evseId: 'SE*LDP*EDEMO1*1',
        method: 'card', idTag: 'LP0000000001', transactionId: 7, paymentId: 'pi_1', provider: 'stripe', currency: 'SEK',
        holdAmount: 30_000, holdStatus: 'captured', capturedAmount: 5940, releasedAmount: 24_060, refundedAmount: 1000,
        refundable: 4940, energyWh: 12_000, powerW: 0, costTotal: 5940,
        card: { brand: 'visa', last4: '4242' }, createdAt: '2026-11-05T09:00:00Z', startedAt: '2026-11-05T09:01:00Z', stoppedAt: '2026-11-05T10:00:00Z',
        unpluggedAt: null, stopReason: 'EVDisconnected', failureReason: null, receiptNumber: '5590001111-000001', driverEmail: null, tariff: charger().tariff,
        collection: { mode: 'platform', destination: 'acct_123', fee: 297, feeRefunded: 50 },
      },
      receipts: [],
      refunds: [],
      timeline: [],
      powerCurve: [],
      energyCurve: [],
      can: supportActions(facts),
    }
    stubFetch(routes({ 'GET /api/support/sessions/ses_1': () => json(file) }))
    const { wrapper } = await mountAt('/support/sessions/ses_1')
    expect(plainText(wrapper.find('[data-test=collected-by]').text())).toBe('The platform (payout to the owner) · our fee SEK 2.97, SEK 0.50 given back')
  })
})
