/**
 * The money pages' strings, in every language, load with those pages: only owners read them, so
 * neither drivers nor the other owner pages carry them.
 */
import type { UiLocale } from '../format'
import type { collectionEn } from '../locales/collection.en'

type Messages = typeof collectionEn

const loaders: Record<UiLocale, () => Promise<Messages>> = {
  en: () => import('../locales/collection.en').then((m) => m.collectionEn),
  sv: () => import('../locales/collection.sv').then((m) => m.collectionSv),
  nb: () => import('../locales/collection.nb').then((m) => m.collectionNb),
  da: () => import('../locales/collection.da').then((m) => m.collectionDa),
  fi: () => import('../locales/collection.fi').then((m) => m.collectionFi),
  de: () => import('../locales/collection.de').then((m) => m.collectionDe),
}

const isUiLocale = (code: string): code is UiLocale => code in loaders

/** Merges `owner.money` for the language (and English behind it) into the app's messages. */
export async function loadCollectionMessages(merge: (locale: string, messages: Record<string, unknown>) => void, locale: string) {
  const codes = [...new Set([isUiLocale(locale) ? locale : 'en', 'en'] as UiLocale[])]
  const loaded = await Promise.all(codes.map((code) => loaders[code]()))
  codes.forEach((code, i) => merge(code, { owner: { money: loaded[i] } }))
}
