/**
 * The Zaptec setup's strings, in every language, load with the setup itself: only owners of Zaptec
 * sites read them, so neither drivers nor the other owner pages carry them.
 */
import type { UiLocale } from '../format'
import type { zaptecEn } from '../locales/zaptec.en'

type Messages = typeof zaptecEn

const loaders: Record<UiLocale, () => Promise<Messages>> = {
  en: () => import('../locales/zaptec.en').then((m) => m.zaptecEn),
  sv: () => import('../locales/zaptec.sv').then((m) => m.zaptecSv),
  nb: () => import('../locales/zaptec.nb').then((m) => m.zaptecNb),
  da: () => import('../locales/zaptec.da').then((m) => m.zaptecDa),
  fi: () => import('../locales/zaptec.fi').then((m) => m.zaptecFi),
  de: () => import('../locales/zaptec.de').then((m) => m.zaptecDe),
}

const isUiLocale = (code: string): code is UiLocale => code in loaders

/** Merges `owner.zaptec` for the language (and English behind it) into the app's messages. */
export async function loadZaptecMessages(merge: (locale: string, messages: Record<string, unknown>) => void, locale: string) {
  const codes = [...new Set([isUiLocale(locale) ? locale : 'en', 'en'] as UiLocale[])]
  const loaded = await Promise.all(codes.map((code) => loaders[code]()))
  codes.forEach((code, i) => merge(code, { owner: { zaptec: loaded[i] } }))
}
