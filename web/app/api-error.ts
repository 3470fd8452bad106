import type { ApiError } from '../api/http'

type Translate = (key: string, values?: Record<string, unknown>) => string
type HasKey = (key: string) => boolean

/** Driver-facing text for an API error: our own words when we have them, else the server's message. */
export function errorText(error: ApiError, t: Translate, te: HasKey): string {
  const key = `errors.${error.code}`
  if (te(key)) return t(key)
  return error.message || t('errors.unknown')
}
