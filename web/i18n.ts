import { computed } from 'vue'
import { createI18n, useI18n, type MessageCompiler, type MessageContext } from 'vue-i18n'
import type { en } from './locales/en'
import type { enScreens } from './locales/screens.en'
import type { enAreas } from './locales/areas.en'
import { storageKeys } from './storage-keys'
import { formatLocale, type UiLocale } from './format'

export type Messages = typeof en & typeof enScreens & typeof enAreas
type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] }
/** Some of a language's messages: one of its parts (the first screen, the later screens, the signed-in areas). */
export type PartialMessages = DeepPartial<Messages>

export const uiLocales = Object.keys(formatLocale) as UiLocale[]
/**
 * Every language is its own chunk, in three parts, and only the driver's language loads (each is
 * complete: a test checks). The app shell and the charger page come first; the other driver screens
 * load on the way to them; the signed-in areas (account, owner, support) with those pages. A driver
 * who scans a charger downloads the first part only: the charger page stays within its budget.
 */
const loaders: Record<UiLocale, () => Promise<PartialMessages>> = {
  sv: () => import('./locales/sv').then((m) => m.sv),
  en: () => import('./locales/en').then((m) => m.en),
  nb: () => import('./locales/nb').then((m) => m.nb),
  da: () => import('./locales/da').then((m) => m.da),
  fi: () => import('./locales/fi').then((m) => m.fi),
  de: () => import('./locales/de').then((m) => m.de),
}

type Part = 'screens' | 'areas'
const partLoaders: Record<Part, Record<UiLocale, () => Promise<PartialMessages>>> = {
  screens: {
    sv: () => import('./locales/screens.sv').then((m) => m.svScreens),
    en: () => import('./locales/screens.en').then((m) => m.enScreens),
    nb: () => import('./locales/screens.nb').then((m) => m.nbScreens),
    da: () => import('./locales/screens.da').then((m) => m.daScreens),
    fi: () => import('./locales/screens.fi').then((m) => m.fiScreens),
    de: () => import('./locales/screens.de').then((m) => m.deScreens),
  },
  areas: {
    sv: () => import('./locales/areas.sv').then((m) => m.svAreas as PartialMessages),
    en: () => import('./locales/areas.en').then((m) => m.enAreas as PartialMessages),
    nb: () => import('./locales/areas.nb').then((m) => m.nbAreas as PartialMessages),
    da: () => import('./locales/areas.da').then((m) => m.daAreas as PartialMessages),
    fi: () => import('./locales/areas.fi').then((m) => m.fiAreas as PartialMessages),
    de: () => import('./locales/areas.de').then((m) => m.deAreas as PartialMessages),
  },
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

/** Per app instance: which parts have been asked for, and which part of which language is in. */
const parts = new WeakMap<AppI18n, { wanted: Set<Part>; loaded: Set<string> }>()
const partsOf = (i18n: AppI18n) => {
  const state = parts.get(i18n) ?? { wanted: new Set<Part>(), loaded: new Set<string>() }
  parts.set(i18n, state)
  return state
}

/** Makes sure the first part of `locale` is there, and every part asked for so far; each loads once. */
export async function loadLocale(i18n: AppI18n, locale: UiLocale) {
  const state = partsOf(i18n)
  if (!state.loaded.has(`first:${locale}`)) {
    const messages = await loaders[locale]()
    if (!state.loaded.has(`first:${locale}`)) i18n.global.mergeLocaleMessage(locale, messages as Messages)
    state.loaded.add(`first:${locale}`)
  }
  await Promise.all([...state.wanted].map((part) => loadPart(i18n, part, locale)))
}

async function loadPart(i18n: AppI18n, part: Part, locale: UiLocale) {
  const state = partsOf(i18n)
  state.wanted.add(part)
  const key = `${part}:${locale}`
  if (state.loaded.has(key)) return
  const messages = await partLoaders[part][locale]()
  if (state.loaded.has(key)) return
  i18n.global.mergeLocaleMessage(locale, messages as Messages)
  state.loaded.add(key)
}

const current = (i18n: AppI18n) => i18n.global.locale.value as UiLocale

/** The driver screens after the charger page (scan, pay, session, receipt, history): loaded on the way to them. */
export const loadScreens = (i18n: AppI18n, locale: UiLocale = current(i18n)) => loadPart(i18n, 'screens', locale)

/** The signed-in areas (account, owner, support pages): loaded with those pages, never at a charger. */
export const loadAreas = (i18n: AppI18n, locale: UiLocale = current(i18n)) => loadPart(i18n, 'areas', locale)

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
