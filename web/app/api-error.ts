import type { ApiError } from '../api/http'

type Translate = (key: string, values?: Record<string, unknown>) => string
type HasKey = (key: string) => boolean

/**
 * Text for an API error in the reader's language, by its code. The server's message is English and
 * stays out of the page: a code without words of its own reads as "something went wrong", with the
 * code beside it for whoever the reader asks for help.
 */
export function errorText(error: ApiError, t: Translate, te: HasKey): string {
  const key = `errors.${error.code}`
  if (te(key)) return t(key)
  return error.code === 'unknown' ? t('errors.unknown') : `${t('errors.unknown')} (${error.code})`
}
