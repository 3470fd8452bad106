import { computed } from 'vue'
import { createI18n, useI18n } from 'vue-i18n'
import { en } from './locales/en'
import { sv } from './locales/sv'
import { storageKeys } from './storage-keys'
import type { UiLocale } from './format'

export const uiLocales: UiLocale[] = ['sv', 'en']

/** The remembered choice, else Swedish for sv-* browsers, else English. */
export function initialLocale(storage: Pick<Storage, 'getItem'>, languages: readonly string[]): UiLocale {
  const saved = storage.getItem(storageKeys.locale)
  if (saved === 'sv' || saved === 'en') return saved
  return languages.some((l) => l.toLowerCase().startsWith('sv')) ? 'sv' : 'en'
}

export function createAppI18n(locale: UiLocale) {
  return createI18n({ legacy: false, locale, fallbackLocale: 'en', messages: { sv, en } })
}

export type AppI18n = ReturnType<typeof createAppI18n>

export function rememberLocale(i18n: AppI18n, locale: UiLocale) {
  i18n.global.locale.value = locale
  localStorage.setItem(storageKeys.locale, locale)
  document.documentElement.lang = locale
}

/** The current UI language, typed for the formatters in format.ts. */
export function useUiLocale() {
  const { locale } = useI18n()
  return computed<UiLocale>(() => (locale.value === 'sv' ? 'sv' : 'en'))
}
