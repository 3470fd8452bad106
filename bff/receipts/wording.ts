/**
 * The PWA's own words for receipts, for documents the BFF makes (the PDF): the same messages the
 * receipt page shows, in any of the app's languages, with English behind a missing key.
 */
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
import type { UiLocale } from '../../web/format'
import type { Translate } from '../../web/receipt/lines'

/** The receipt's words are the receipt page's (screens) and the charger's (first part). */
const messages: Record<UiLocale, object> = {
  sv: { ...sv, ...svScreens },
  en: { ...en, ...enScreens },
  nb: { ...nb, ...nbScreens },
  da: { ...da, ...daScreens },
  fi: { ...fi, ...fiScreens },
  de: { ...de, ...deScreens },
}
const english = messages.en

export const documentLanguages = Object.keys(messages) as UiLocale[]

/** A language asked for (`?lang=nb`), or Swedish: the language a Swedish bookkeeper files. */
export function documentLanguage(asked: string | undefined | null): UiLocale {
  return documentLanguages.includes(asked as UiLocale) ? (asked as UiLocale) : 'sv'
}

function lookup(tree: object, key: string): string | undefined {
  const found = key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), tree)
  return typeof found === 'string' ? found : undefined
}

/** `t(key, values)` for one language: `{name}` placeholders filled, `{'x'}` literals kept. */
export function wordsFor(language: UiLocale): Translate {
  return (key, values = {}) => {
    const source = lookup(messages[language], key) ?? lookup(english, key) ?? key
    return source.replace(/\{\s*(?:(\w+)|'([^']*)')\s*\}/g, (_, name: string | undefined, literal: string | undefined) =>
      name !== undefined ? String(values[name] ?? '') : (literal ?? ''),
    )
  }
}
