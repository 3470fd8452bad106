// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { en } from '../../web/locales/en'
import { sv } from '../../web/locales/sv'
import { nb } from '../../web/locales/nb'
import { da } from '../../web/locales/da'
import { fi } from '../../web/locales/fi'
import { de } from '../../web/locales/de'
import { enScreens } from '../../web/locales/screens.en'
import { svScreens } from '../../web/locales/screens.sv'
import { nbScreens } from '../../web/locales/screens.nb'
import { daScreens } from '../../web/locales/screens.da'
import { fiScreens } from '../../web/locales/screens.fi'
import { deScreens } from '../../web/locales/screens.de'
import { enAreas } from '../../web/locales/areas.en'
import { svAreas } from '../../web/locales/areas.sv'
import { nbAreas } from '../../web/locales/areas.nb'
import { daAreas } from '../../web/locales/areas.da'
import { fiAreas } from '../../web/locales/areas.fi'
import { deAreas } from '../../web/locales/areas.de'
import { initialLocale } from '../../web/i18n'
import { storageKeys } from '../../web/storage-keys'

/** Each language in its three parts: the first screen, the later driver screens, the signed-in areas. */
const languages = {
  en: { first: en, screens: enScreens, areas: enAreas },
  sv: { first: sv, screens: svScreens, areas: svAreas },
  nb: { first: nb, screens: nbScreens, areas: nbAreas },
  da: { first: da, screens: daScreens, areas: daAreas },
  fi: { first: fi, screens: fiScreens, areas: fiAreas },
  de: { first: de, screens: deScreens, areas: deAreas },
}
type Part = keyof (typeof languages)['en']

function entries(messages: object, prefix = ''): [string, unknown][] {
  return Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null ? entries(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value] as [string, unknown]],
  )
}
const keys = (messages: object) => entries(messages).map(([key]) => key)
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

/**
 * Names and technical terms that are the same in every language. Values made only of placeholders,
 * units and signs ("{price}/kWh", "{brand} ···· {last4}") need no entry: there is nothing to translate.
 */
const sameInEveryLanguage = new Set(['app.name', 'app.languages.sv', 'app.languages.en', 'app.languages.nb', 'app.languages.da', 'app.languages.fi', 'app.languages.de', 'pay.cvc', 'receipt.evse', 'support.source.webhook'])
const nothingToTranslate = (text: string) => !/\p{L}/u.test(text.replace(/\{\w+\}/g, '').replace(/\b(kWh|kW|min)\b/g, ''))

describe.each(Object.keys(languages).filter((code) => code !== 'en') as (keyof typeof languages)[])('%s', (code) => {
  it.each(['first', 'screens', 'areas'] as Part[])('has every key of the English %s part, no other, same placeholders, none empty', (part) => {
    const english = new Map(entries(languages.en[part]))
    const own = new Map(entries(languages[code][part]))
    expect([...english.keys()].filter((key) => !own.has(key)), 'missing').toEqual([])
    expect([...own.keys()].filter((key) => !english.has(key)), 'not in English').toEqual([])
    for (const [key, text] of own) {
      expect(typeof text === 'string' && text.trim() !== '', `${key} is empty`).toBe(true)
      expect(placeholders(text as string), key).toEqual(placeholders(english.get(key) as string))
    }
  })

})

describe.each(['nb', 'da', 'fi', 'de'] as const)('%s', (code) => {
  it.each(['first', 'screens', 'areas'] as Part[])('leaves no English in its %s part', (part) => {
    const english = new Map(entries(languages.en[part]))
    const untranslated = entries(languages[code][part])
      .filter(([key, text]) => text === english.get(key) && !sameInEveryLanguage.has(key) && !nothingToTranslate(text as string))
      .map(([key]) => key)
    expect(untranslated).toEqual([])
  })
})

describe('the check itself', () => {
  it('catches a missing key and an English value, and lets names, units and placeholders through', () => {
    const english = new Map(entries(en))
    const broken = { ...nb, app: { ...nb.app, nav: { ...nb.app.nav, scan: 'Scan' } } } as Partial<typeof nb>
    delete broken.status
    expect(keys(en).filter((key) => !new Set(keys(broken)).has(key)).length).toBeGreaterThan(5)
    const flagged = entries(broken).filter(([key, text]) => text === english.get(key) && !sameInEveryLanguage.has(key) && !nothingToTranslate(text as string))
    expect(flagged.map(([key]) => key)).toEqual(['app.nav.scan'])
    expect(['{price}/kWh', '{brand} ···· {last4}', '{kwh} kWh · {amount}'].every(nothingToTranslate)).toBe(true)
    expect(nothingToTranslate('Sign in')).toBe(false)
  })
})

describe('the strings the charger page needs', () => {
  it('are in the first part of each language, not only in the parts loaded later', () => {
    // The app shell and the charger page render before the other parts load: every key they use must be here.
    const sources = ['app/TopBar.vue', 'App.vue', 'app/UpdateBanner.vue', 'pages/ChargerPage.vue', 'charger/ChargerPrices.vue', 'charger/ConnectorList.vue']
    const driverKeys = new Set(keys(en))
    for (const file of sources) {
      const source = readFileSync(join(process.cwd(), 'web', file), 'utf8')
      const used = [...source.matchAll(/\bt\('([a-zA-Z]+(?:\.[a-zA-Z]+)+)'/g)].map((m) => m[1])
      expect(used.filter((key) => !driverKeys.has(key)), file).toEqual([])
    }
  })
})

describe('language choice', () => {
  const storage = (saved: string | null) => ({ getItem: (key: string) => (key === storageKeys.locale ? saved : null) })

  it('picks the first browser language the app speaks, else English', () => {
    expect(initialLocale(storage(null), ['sv-SE', 'en'])).toBe('sv')
    expect(initialLocale(storage(null), ['ja-JP', 'sv'])).toBe('sv')
    expect(initialLocale(storage(null), ['de-DE', 'sv'])).toBe('de')
    expect(initialLocale(storage(null), ['en-US'])).toBe('en')
    expect(initialLocale(storage(null), ['no', 'en'])).toBe('nb')
    expect(initialLocale(storage(null), ['nn-NO'])).toBe('nb')
    expect(initialLocale(storage(null), ['da-DK'])).toBe('da')
    expect(initialLocale(storage(null), ['fi'])).toBe('fi')
    expect(initialLocale(storage(null), ['ja-JP', 'zh'])).toBe('en')
  })

  it('keeps the remembered choice over the browser language', () => {
    expect(initialLocale(storage('en'), ['sv-SE'])).toBe('en')
    expect(initialLocale(storage('sv'), ['en-GB'])).toBe('sv')
    expect(initialLocale(storage('fi'), ['sv-SE'])).toBe('fi')
    expect(initialLocale(storage('xx'), ['da'])).toBe('da')
  })
})

describe('errors without words of their own', () => {
  it('read as "something went wrong" in the reader’s language with the code, never as the server’s English', async () => {
    const { errorText } = await import('../../web/app/api-error')
    const { ApiError } = await import('../../web/api/http')
    const words: Record<string, string> = { 'errors.unknown': 'Något gick fel. Försök igen.', 'errors.connector_busy': 'Någon annan startade precis.' }
    const t = (key: string) => words[key] ?? key
    const te = (key: string) => key in words
    expect(errorText(new ApiError('connector_busy', 'Someone else just started.', 409), t, te)).toBe('Någon annan startade precis.')
    expect(errorText(new ApiError('brand_new_code', 'Something in English.', 400), t, te)).toBe('Något gick fel. Försök igen. (brand_new_code)')
    expect(errorText(new ApiError('unknown', 'TypeError: x is undefined', 0), t, te)).toBe('Något gick fel. Försök igen.')
  })
})
