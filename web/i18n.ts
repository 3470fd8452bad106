import { computed } from 'vue'
import { createI18n, useI18n, type MessageCompiler, type MessageContext } from 'vue-i18n'
import type { en } from './locales/en'
import type { enAreas } from './locales/areas.en'
import { storageKeys } from './storage-keys'
import { formatLocale, type UiLocale } from './format'

export type Messages = typeof en & typeof enAreas
type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] }
/** A translation that may lag behind en.ts: missing keys fall back to English. */
export type PartialMessages = DeepPartial<Messages>

export const uiLocales = Object.keys(formatLocale) as UiLocale[]
/**
 * Every language is its own chunk and only the driver's loads (with English behind it where the
 * translation may lag): the charger page stays within its JavaScript budget.
 */
const loaders: Record<UiLocale, () => Promise<PartialMessages>> = {
  sv: () => import('./locales/sv').then((m) => m.sv),
  en: () => import('./locales/en').then((m) => m.en),
  nb: () => import('./locales/nb').then((m) => m.nb),
  da: () => import('./locales/da').then((m) => m.da),
  fi: () => import('./locales/fi').then((m) => m.fi),
  de: () => import('./locales/de').then((m) => m.de),
}

const isUiLocale = (code: string | null): code is UiLocale => code !== null && (uiLocales as string[]).includes(code)

/** The language a browser tag asks for: Norwegian in any written form reads Bokmål. */
function uiLocaleOf(tag: string): UiLocale | null {
  const language = tag.toLowerCase().split('-')[0]
  const code = language === 'no' || language === 'nn' ? 'nb' : language
  return isUiLocale(code) ? code : null
}

/** The remembered choice, else the first browser language the app speaks, else English. */
export function initialLocale(storage: Pick<Storage, 'getItem'>, languages: readonly string[]): UiLocale {
  const saved = storage.getItem(storageKeys.locale)
  if (isUiLocale(saved)) return saved
  for (const tag of languages) {
    const code = uiLocaleOf(tag)
    if (code) return code
  }
  return 'en'
}

/**
 * The messages use only `{name}` placeholders, `{'literal'}` and `a | b` plural forms, so these
 * few lines stand in for vue-i18n's message compiler (dropped from the bundle in vite.config.ts).
 */
export const compileMessage: MessageCompiler = (source) => {
  const compileForm = (form: string) => {
    const parts = form.split(/\{\s*(?:(\w+)|'([^']*)')\s*\}/)
    return (ctx: MessageContext) => {
      let out = ''
      for (let i = 0; i < parts.length; i += 3) {
        out += parts[i] ?? ''
        if (parts[i + 1] !== undefined) out += String(ctx.named(parts[i + 1]!) ?? '')
        else if (parts[i + 2] !== undefined) out += parts[i + 2]
      }
      return out
    }
  }
  const forms = String(source).split(/\s+\|\s+/).map(compileForm)
  return (ctx: MessageContext) => (forms.length > 1 ? ctx.plural(forms.map((form) => form(ctx))) : forms[0]!(ctx))
}

export function createAppI18n(locale: UiLocale) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'en',
    messages: {} as Record<string, Messages>,
    messageCompiler: compileMessage,
    missingWarn: false,
    fallbackWarn: false,
  })
}

export type AppI18n = ReturnType<typeof createAppI18n>

/** Swedish is complete (a test checks); the others may fall back to English. */
const needed = (locale: UiLocale): UiLocale[] => (locale === 'sv' || locale === 'en' ? [locale] : [locale, 'en'])

/** Makes sure the messages of `locale` are there; each language loads once. */
export async function loadLocale(i18n: AppI18n, locale: UiLocale) {
  const missing = needed(locale).filter((code) => !i18n.global.availableLocales.includes(code))
  const loaded = await Promise.all(missing.map((code) => loaders[code]()))
  missing.forEach((code, i) => i18n.global.setLocaleMessage(code, loaded[i] as Messages))
  if (areasWanted.has(i18n)) await loadAreas(i18n, locale)
}

/**
 * The strings of the signed-in areas (account, owner, support pages) are their own chunks, loaded
 * with those pages: a driver at a charger never downloads them. Other languages show them in English.
 */
const areaLoaders: Partial<Record<UiLocale, () => Promise<PartialMessages>>> = {
  en: () => import('./locales/areas.en').then((m) => m.enAreas as PartialMessages),
  sv: () => import('./locales/areas.sv').then((m) => m.svAreas as PartialMessages),
}
const areasWanted = new WeakMap<AppI18n, Set<UiLocale>>()

export async function loadAreas(i18n: AppI18n, locale: UiLocale = i18n.global.locale.value as UiLocale) {
  const merged = areasWanted.get(i18n) ?? new Set<UiLocale>()
  areasWanted.set(i18n, merged)
  const codes = needed(locale).filter((code) => areaLoaders[code] && !merged.has(code))
  if (!codes.includes('en') && !merged.has('en')) codes.push('en')
  const loaded = await Promise.all(codes.map((code) => areaLoaders[code]!()))
  codes.forEach((code, i) => {
    i18n.global.mergeLocaleMessage(code, loaded[i] as Messages)
    merged.add(code)
  })
}

/** Switches the language now and remembers the choice. */
export async function rememberLocale(i18n: AppI18n, locale: UiLocale) {
  await loadLocale(i18n, locale)
  i18n.global.locale.value = locale
  localStorage.setItem(storageKeys.locale, locale)
  document.documentElement.lang = locale
}

/** The current UI language, typed for the formatters in format.ts. */
export function useUiLocale() {
  const { locale } = useI18n()
  return computed<UiLocale>(() => (isUiLocale(locale.value) ? locale.value : 'en'))
}
