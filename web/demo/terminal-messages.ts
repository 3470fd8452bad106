/**
 * The demo terminal page's strings, in every language, load with the page itself: only the embedded
 * demo shows it, so no driver screen carries them.
 */
import type { UiLocale } from '../format'
import type { terminalEn } from '../locales/terminal.en'

type Messages = typeof terminalEn

export const terminalMessageLoaders: Record<UiLocale, () => Promise<Messages>> = {
  en: () => import('../locales/terminal.en').then((m) => m.terminalEn),
  sv: () => import('../locales/terminal.sv').then((m) => m.terminalSv),
  nb: () => import('../locales/terminal.nb').then((m) => m.terminalNb),
  da: () => import('../locales/terminal.da').then((m) => m.terminalDa),
  fi: () => import('../locales/terminal.fi').then((m) => m.terminalFi),
  de: () => import('../locales/terminal.de').then((m) => m.terminalDe),
}

const isUiLocale = (code: string): code is UiLocale => code in terminalMessageLoaders

/** Merges `demo.terminal` for the language (and English behind it) into the app's messages. */
export async function loadTerminalMessages(merge: (locale: string, messages: Record<string, unknown>) => void, locale: string) {
  const codes = [...new Set([isUiLocale(locale) ? locale : 'en', 'en'] as UiLocale[])]
  const loaded = await Promise.all(codes.map((code) => terminalMessageLoaders[code]()))
  codes.forEach((code, i) => merge(code, { demo: { terminal: loaded[i] } }))
}
