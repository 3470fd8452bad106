// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { en as enDriver } from '../../web/locales/en'
import { sv as svDriver } from '../../web/locales/sv'
import { enAreas } from '../../web/locales/areas.en'
import { svAreas } from '../../web/locales/areas.sv'
import { initialLocale } from '../../web/i18n'
import { storageKeys } from '../../web/storage-keys'

/** Each language's strings in full: the driver's screens merged with the signed-in areas. */
function merge(a: object, b: object): object {
  const out: Record<string, unknown> = { ...a }
  for (const [key, value] of Object.entries(b)) {
    out[key] = typeof value === 'object' && value !== null && typeof out[key] === 'object' ? merge(out[key] as object, value) : value
  }
  return out
}
const en = merge(enDriver, enAreas)
const sv = merge(svDriver, svAreas)

function keys(messages: object, prefix = ''): string[] {
  return Object.entries(messages).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  )
}

function leaves(messages: object): string[] {
  return Object.values(messages).flatMap((value) => (typeof value === 'object' && value !== null ? leaves(value) : [value]))
}

describe('translations', () => {
  it('has exactly the same keys in Swedish and English', () => {
    const svKeys = new Set(keys(sv))
    const enKeys = new Set(keys(en))
    expect([...enKeys].filter((k) => !svKeys.has(k)), 'missing in sv').toEqual([])
    expect([...svKeys].filter((k) => !enKeys.has(k)), 'missing in en').toEqual([])
    expect(enKeys.size).toBeGreaterThan(100)
  })

  it('uses the same placeholders in both languages and leaves no string empty', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
    const flat = (messages: object, key: string) =>
      key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], messages) as string
    for (const key of keys(en)) {
      expect(placeholders(flat(sv, key)), key).toEqual(placeholders(flat(en, key)))
    }
    expect(leaves(sv).filter((s) => typeof s !== 'string' || s.trim() === '')).toEqual([])
  })
})

describe('the strings the charger page needs', () => {
  it('are in the driver files, not only in the signed-in areas loaded later', () => {
    // The app shell and the charger page render before the areas load: every key they use must be here.
    const sources = ['app/TopBar.vue', 'App.vue', 'app/UpdateBanner.vue', 'app/InstallBanner.vue', 'pages/ChargerPage.vue', 'charger/ChargerPrices.vue', 'charger/ConnectorList.vue']
    const driverKeys = new Set(keys(enDriver))
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
