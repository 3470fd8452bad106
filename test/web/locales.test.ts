// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { en } from '../../web/locales/en'
import { sv } from '../../web/locales/sv'
import { initialLocale } from '../../web/i18n'
import { storageKeys } from '../../web/storage-keys'

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

describe('language choice', () => {
  const storage = (saved: string | null) => ({ getItem: (key: string) => (key === storageKeys.locale ? saved : null) })

  it('defaults to Swedish for sv-* browsers and English otherwise', () => {
    expect(initialLocale(storage(null), ['sv-SE', 'en'])).toBe('sv')
    expect(initialLocale(storage(null), ['de-DE', 'sv'])).toBe('sv')
    expect(initialLocale(storage(null), ['en-US'])).toBe('en')
    expect(initialLocale(storage(null), ['nb-NO'])).toBe('en')
  })

  it('keeps the remembered choice over the browser language', () => {
    expect(initialLocale(storage('en'), ['sv-SE'])).toBe('en')
    expect(initialLocale(storage('sv'), ['en-GB'])).toBe('sv')
  })
})
