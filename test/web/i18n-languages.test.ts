// @vitest-environment happy-dom
/**
 * Norwegian, Danish, Finnish and German: every key they have exists in English with the same
 * placeholders, nothing is empty, and the base screens are fully translated (keys added later by
 * other features may fall back to English until translated).
 */
import { describe, expect, it } from 'vitest'
import { en } from '../../web/locales/en'
import { enAreas } from '../../web/locales/areas.en'
import { nb } from '../../web/locales/nb'
import { da } from '../../web/locales/da'
import { fi } from '../../web/locales/fi'
import { de } from '../../web/locales/de'
import { createAppI18n, loadLocale, rememberLocale, uiLocales } from '../../web/i18n'
import { formatDateTime, formatMoney, formatPrice } from '../../web/format'

const leaves = (messages: object, prefix = ''): [string, unknown][] =>
  Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null ? leaves(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value] as [string, unknown]],
  )
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
const english = new Map([...leaves(en), ...leaves(enAreas)])

/** The screens a driver sees on the way through a paid session: these must not fall back. */
const driverSections = ['app', 'scan', 'charger', 'price', 'status', 'pay', 'errors', 'session', 'receipt', 'history', 'qr', 'offline', 'install', 'notFound']

describe.each([
  ['nb', nb],
  ['da', da],
  ['fi', fi],
  ['de', de],
] as const)('%s', (code, messages) => {
  const own = new Map(leaves(messages))

  it('has no keys English does not have, and the same placeholders', () => {
    expect([...own.keys()].filter((key) => !english.has(key)), 'unknown keys').toEqual([])
    for (const [key, text] of own) {
      expect(typeof text === 'string' && text.trim() !== '', `${key} is empty`).toBe(true)
      expect(placeholders(text as string), key).toEqual(placeholders(english.get(key) as string))
    }
  })

  it('translates every key of the driver screens', () => {
    const missing = [...english.keys()].filter((key) => driverSections.includes(key.split('.')[0]) && !own.has(key))
    expect(missing).toEqual([])
  })

  it('is offered in the language switch and loads when chosen', async () => {
    expect(uiLocales).toContain(code)
    const i18n = createAppI18n('en')
    await rememberLocale(i18n, code)
    expect(i18n.global.locale.value).toBe(code)
    expect(i18n.global.t('charger.start')).toBe(messages.charger!.start)
    expect(document.documentElement.lang).toBe(code)
  })
})

describe('message formatting', () => {
  it('fills placeholders, keeps literals and falls back to English for keys a language lacks', async () => {
    const i18n = createAppI18n('en')
    await loadLocale(i18n, 'de')
    i18n.global.locale.value = 'de'
    expect(i18n.global.t('pay.submit', { amount: '300,00 kr' })).toBe('300,00 kr reservieren und starten')
    i18n.global.setLocaleMessage('de', { ...(i18n.global.getLocaleMessage('de') as object), extra: { literal: "a {'@'} b {n}" } } as never)
    expect(i18n.global.t('extra.literal', { n: 2 })).toBe('a @ b 2')
    i18n.global.setLocaleMessage('en', { ...(i18n.global.getLocaleMessage('en') as object), onlyEnglish: { text: 'Only {what}' } } as never)
    expect(i18n.global.t('onlyEnglish.text', { what: 'here' })).toBe('Only here')
  })

  it('chooses plural forms', () => {
    const i18n = createAppI18n('en')
    i18n.global.setLocaleMessage('en', { ...(i18n.global.getLocaleMessage('en') as object), count: 'no grants | one grant | {n} grants' } as never)
    expect(i18n.global.t('count', 0)).toBe('no grants')
    expect(i18n.global.t('count', 1)).toBe('one grant')
    expect(i18n.global.t('count', 5)).toBe('5 grants')
  })

  it('formats money and dates for the driver’s language in the site’s currency', () => {
    expect(formatMoney(30000, 'SEK', 'de')).toBe('300\u00a0SEK')
    expect(formatPrice(495, 'EUR', 'fi')).toBe('4,95\u00a0€')
    expect(formatPrice(495, 'NOK', 'nb')).toMatch(/4,95\s?kr|kr\s?4,95/)
    expect(formatPrice(495, 'DKK', 'da')).toMatch(/^4,95\s?kr/)
    expect(formatDateTime('2025-03-01T12:00:00Z', 'de')).toMatch(/01\.03\.2025/)
  })
})
