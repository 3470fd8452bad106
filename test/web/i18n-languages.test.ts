// @vitest-environment happy-dom
/**
 * Norwegian, Danish, Finnish and German as the app loads them: each language on its own, its parts
 * as the driver gets to them. (Every key of every part is checked in locales.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { nb } from '../../web/locales/nb'
import { da } from '../../web/locales/da'
import { fi } from '../../web/locales/fi'
import { de } from '../../web/locales/de'
import { createAppI18n, loadAreas, loadLocale, loadScreens, rememberLocale, uiLocales } from '../../web/i18n'
import { formatDateTime, formatMoney, formatPrice } from '../../web/format'

describe.each([
  ['nb', nb],
  ['da', da],
  ['fi', fi],
  ['de', de],
] as const)('%s', (code, messages) => {
  it('loads alone, without English behind it, and its later parts when they are wanted', async () => {
    const i18n = createAppI18n(code)
    await loadLocale(i18n, code)
    expect(i18n.global.availableLocales).toEqual([code])
    expect(i18n.global.t('account.navSignIn')).toBe(messages.account.navSignIn)
    expect(i18n.global.te('pay.title')).toBe(false)
    await loadScreens(i18n)
    await loadAreas(i18n)
    expect(i18n.global.availableLocales).toEqual([code])
    expect(i18n.global.te('pay.title')).toBe(true)
    expect(i18n.global.te('account.signIn.title')).toBe(true)
  })

  it('is offered in the language switch and loads when chosen', async () => {
    expect(uiLocales).toContain(code)
    const i18n = createAppI18n('en')
    await rememberLocale(i18n, code)
    expect(i18n.global.locale.value).toBe(code)
    expect(i18n.global.t('charger.start')).toBe(messages.charger.start)
    expect(document.documentElement.lang).toBe(code)
  })
})

describe('message formatting', () => {
  it('fills placeholders, keeps literals and falls back to English for keys a language lacks', async () => {
    const i18n = createAppI18n('en')
    await loadLocale(i18n, 'de')
    await loadScreens(i18n, 'de')
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
