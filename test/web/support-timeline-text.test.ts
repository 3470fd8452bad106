// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { routes } from './account-fixtures'
import { charger } from './fixtures'
import { supportActions } from '../../bff/domain/session'
import type { CaseFile } from '../../web/api/support'
import { timelineText, wordedKinds } from '../../web/support/timeline-text'
import { createAppI18n, loadAreas, loadLocale } from '../../web/i18n'
import { enAreas } from '../../web/locales/areas.en'
import type { UiLocale } from '../../web/format'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

async function words(locale: UiLocale) {
  const i18n = createAppI18n(locale)
  await loadLocale(i18n, locale)
  await loadAreas(i18n, locale)
  const { t, te } = i18n.global
  return { t: t as (key: string, values?: Record<string, unknown>) => string, te, locale, currency: 'SEK' }
}
const entry = (kind: string, data: Record<string, unknown>) => ({ kind, data, summary: `English summary of ${kind}` })

/** The session event kinds the BFF writes: what the lifecycle logs, and what the timeline adds. */
function kindsTheBffWrites(): string[] {
  const sources = ['sessions', 'support', 'receipts'].flatMap((dir) =>
    readdirSync(join(process.cwd(), 'bff', dir)).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(process.cwd(), 'bff', dir, f), 'utf8')),
  )
  const kinds = new Set<string>()
  for (const source of sources) {
    // `kind: 'x'`, and both arms of `kind: cond ? 'x' : 'y'`
    for (const m of source.matchAll(/\bkind: ([^,}\n]+)/g)) {
      if (m[1].includes('|')) continue // a type, not an event written
      for (const k of m[1].matchAll(/'([a-z_]+)'\s*(?::|$|\s*[,}])/g)) kinds.add(k[1])
    }
    for (const m of source.matchAll(/\bkind: [^,}\n]*\? '([a-z_]+)' : '([a-z_]+)'/g)) [m[1], m[2]].forEach((k) => kinds.add(k))
    for (const m of source.matchAll(/\.log\([^,]+, '([a-z_]+)'/g)) kinds.add(m[1])
    if (source.includes('kind: `provider_${i.action}`')) ['provider_capture', 'provider_release'].forEach((k) => kinds.add(k))
  }
  // Document kinds of the receipts table, not timeline events.
  for (const notEvent of ['simplified_invoice', 'invoice']) kinds.delete(notEvent)
  return [...kinds].sort()
}

describe('support timeline in the agent’s language', () => {
  it('words every kind of event the BFF writes, in every language', () => {
    const kinds = kindsTheBffWrites()
    expect(kinds).toEqual(expect.arrayContaining(['created', 'state', 'release_failed', 'capture_failed', 'provider_capture', 'remote_start', 'meter_values']))
    expect(kinds.filter((k) => !(wordedKinds as readonly string[]).includes(k) && !k.startsWith('support_'))).toEqual([])
    const eventKeys = Object.keys(enAreas.support.event)
    for (const kind of wordedKinds) expect(eventKeys.some((key) => key === kind || key.startsWith(`${kind}_`)), kind).toBe(true)
  })

  it('shows money as money, energy in kWh, and states and reasons in words (Swedish)', async () => {
    const sv = await words('sv')
    expect(plain(timelineText(entry('created', { method: 'card', holdAmount: 30_000 }), sv))).toBe('Laddning skapad (kort), reservation 300,00 kr; det visade priset kopierades in i laddningen')
    expect(timelineText(entry('state', { from: 'charging', to: 'stopping' }), sv)).toBe('Läge: Laddar → Stoppas')
    expect(plain(timelineText(entry('captured', { amount: 735, released: 29_265 }), sv))).toBe('Debiterat 7,35 kr; släppt 292,65 kr')
    expect(plain(timelineText(entry('charging_stopped', { energyWh: 1_485, cause: 'unplugged', chargerStoppedAt: null }), sv))).toBe('Laddningen slutade: 1,485 kWh, bilen kopplades ur, laddarens klocka tid saknas')
    expect(timelineText(entry('stop_requested', { reason: 'grant_cap' }), sv)).toBe('Stopp begärt: tillgångens månadstak')
    expect(timelineText(entry('support_refund', { actor: 'agent@example.com', reason: 'Dubbel debitering' }), sv)).toBe('agent@example.com: återbetalning — Dubbel debitering')
    expect(timelineText(entry('support_sweep_flag', { actor: null, reason: null }), sv)).toBe('Automatisk genomgång: flagga för uppmärksamhet')
    // A reason the console does not know stays as the BFF named it; a kind it does not know shows the BFF's summary.
    expect(timelineText(entry('failed', { reason: 'something_new' }), sv)).toBe('Misslyckades: something_new')
    expect(timelineText(entry('brand_new_kind', {}), sv)).toBe('English summary of brand_new_kind')
  })

  it('never shows raw minor units', async () => {
    for (const locale of ['en', 'de', 'fi'] as const) {
      const w = await words(locale)
      const text = timelineText(entry('created', { method: 'card', holdAmount: 30_000 }), w)
      expect(text, locale).not.toContain('30000')
      expect(text, locale).toMatch(/300[.,]00/)
    }
  })

  it('is what the case file page shows, with the facts translated', async () => {
    const file: CaseFile = {
      session: {
        id: 'ses_1', state: 'completed', siteId: 'demo', siteName: 'Demo Garage', chargerId: 'DEMO-1', connectorId: 1, evseId: 'SE*LDP*EDEMO1*1',
        method: 'card', idTag: 'LP0000000001', transactionId: 7, paymentId: 'pi_1', provider: 'simulated', currency: 'SEK',
        holdAmount: 30_000, holdStatus: 'captured', capturedAmount: 735, releasedAmount: 29_265, refundedAmount: 0, refundable: 735,
        energyWh: 1_485, powerW: 0, costTotal: 735, card: { brand: 'visa', last4: '4242' }, createdAt: '2026-01-10T10:00:00Z',
        startedAt: '2026-01-10T10:01:00Z', stoppedAt: '2026-01-10T10:30:00Z', unpluggedAt: null, stopReason: 'driver', failureReason: null,
        receiptNumber: '5591234567-000001', driverEmail: null, tariff: charger().tariff,
      },
      receipts: [],
      refunds: [],
      timeline: [
        { at: '2026-01-10T10:00:00Z', kind: 'hold_placed', source: 'payment', summary: 'Card authorised: hold of 30000 placed', data: { amount: 30_000 } },
        { at: '2026-01-10T10:30:00Z', kind: 'state', source: 'state', summary: 'State settling → completed', data: { from: 'settling', to: 'completed' } },
      ],
      powerCurve: [],
      energyCurve: [],
      can: supportActions({ state: 'completed', method: 'card', holdStatus: 'captured', paymentId: 'pi_1', capturedAmount: 735, refundedAmount: 0, hasReceipt: true, hasSimplifiedInvoice: true }),
    }
    stubFetch(routes({ 'GET /api/support/sessions/ses_1': () => json(file) }))
    const { wrapper } = await mountAt('/support/sessions/ses_1', 'fi')
    const lines = wrapper.findAll('.timeline li .summary').map((li) => plain(li.text()))
    expect(lines).toEqual(['Kortti hyväksytty: 300,00 € varattu'.replace('€', 'SEK'), 'Tila: Tilitetään → Valmis'])
    expect(wrapper.find('[data-test=state]').text()).toBe('Valmis')
    expect(wrapper.find('[data-test=hold-status]').text()).toBe('Veloitettu')
    expect(wrapper.find('[data-test=stop-reason]').text()).toBe('kuljettaja')
    expect(wrapper.text()).toContain('Visa ···· 4242')
    expect(wrapper.text()).not.toContain('30000')
  })
})
