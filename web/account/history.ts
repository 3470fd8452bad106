import { formatLocale, type UiLocale } from '../format'

/** "2026-01" -> "January 2026" / "januari 2026". Mid-month noon, so no time zone moves it to another month. */
export const formatMonth = (month: string, locale: UiLocale) =>
  new Intl.DateTimeFormat(formatLocale[locale], { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${month}-15T12:00:00Z`))
