/** Display formatting: pure functions of (value, locale). Money arrives in minor units (öre, cent). */

/** BCP 47 tag used for numbers and dates in each UI language. */
export const formatLocale = { sv: 'sv-SE', en: 'en-GB', nb: 'nb-NO', da: 'da-DK', fi: 'fi-FI', de: 'de-DE' } as const
export type UiLocale = keyof typeof formatLocale

const minorDigits = (currency: string) =>
  new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2

/** 495 SEK → "4,95 kr" (sv) or "SEK 4.95" (en). Whole amounts drop the decimals: "300 kr". */
export function formatMoney(minor: number, currency: string, locale: UiLocale): string {
  const digits = minorDigits(currency)
  const whole = minor % 10 ** digits === 0
  return new Intl.NumberFormat(formatLocale[locale], {
    style: 'currency',
    currency,
    minimumFractionDigits: whole ? 0 : digits,
    maximumFractionDigits: digits,
  }).format(minor / 10 ** digits)
}

/** Prices always show their decimals ("1,00 kr/min"), so a list of prices lines up. */
export function formatPrice(minor: number, currency: string, locale: UiLocale): string {
  const digits = minorDigits(currency)
  return new Intl.NumberFormat(formatLocale[locale], { style: 'currency', currency }).format(minor / 10 ** digits)
}

/** Wh → kWh with exactly 3 decimals: 12345 → "12,345". */
export const formatKwh = (wh: number, locale: UiLocale) =>
  new Intl.NumberFormat(formatLocale[locale], { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(wh / 1000)

/** Wh → kWh without trailing zeros, for amounts set by people (a cap): 150000 → "150", 462 → "0,462". */
export const formatKwhRound = (wh: number, locale: UiLocale) =>
  new Intl.NumberFormat(formatLocale[locale], { maximumFractionDigits: 3 }).format(wh / 1000)

/** W → kW with at most one decimal: 7360 → "7,4", 11000 → "11". */
export const formatKw = (w: number, locale: UiLocale) =>
  new Intl.NumberFormat(formatLocale[locale], { maximumFractionDigits: 1 }).format(w / 1000)

/** 0.25 → "25 %" (sv) / "25%" (en). */
export const formatPercent = (rate: number, locale: UiLocale) =>
  new Intl.NumberFormat(formatLocale[locale], { style: 'percent', maximumFractionDigits: 2 }).format(rate)

/** Seconds → "1:02:03" or "02:03". Negative durations count as zero. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds))
  const hours = Math.floor(s / 3600)
  const minutes = Math.floor((s % 3600) / 60)
  const seconds = s % 60
  const two = (n: number) => String(n).padStart(2, '0')
  return hours > 0 ? `${hours}:${two(minutes)}:${two(seconds)}` : `${two(minutes)}:${two(seconds)}`
}

/** A moment, in `timeZone` when given (a receipt shows the site's clock), else the device's. */
export const formatDateTime = (iso: string, locale: UiLocale, timeZone?: string) =>
  new Intl.DateTimeFormat(formatLocale[locale], { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso))

/** Date and time with digits only, as a receipt prints them: "2025-06-02 02:15" (sv), "02.06.2025, 02:15" (de). */
export const formatReceiptTime = (iso: string, locale: UiLocale, timeZone?: string) =>
  new Intl.DateTimeFormat(formatLocale[locale], { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso))

/** A span of time in words of the locale: 3725 → "1 tim 2 min 5 s" (sv), "1 hr 2 mins 5 secs" (en). */
export function formatSpan(totalSeconds: number, locale: UiLocale): string {
  const s = Math.max(0, Math.floor(totalSeconds))
  const unit = (unit: 'hour' | 'minute' | 'second', n: number) =>
    new Intl.NumberFormat(formatLocale[locale], { style: 'unit', unit, unitDisplay: 'short' }).format(n)
  const parts: string[] = []
  if (s >= 3600) parts.push(unit('hour', Math.floor(s / 3600)))
  if (s >= 60) parts.push(unit('minute', Math.floor((s % 3600) / 60)))
  if (s % 60 > 0 || parts.length === 0) parts.push(unit('second', s % 60))
  return parts.join(' ')
}

/** The time of day only, for moments later today: "14:05". */
export const formatTime = (iso: string, locale: UiLocale) =>
  new Intl.DateTimeFormat(formatLocale[locale], { timeStyle: 'short' }).format(new Date(iso))

/** "2 min ago", "just now": how old the last known state is. */
export function formatAge(seconds: number, locale: UiLocale): string {
  const rtf = new Intl.RelativeTimeFormat(formatLocale[locale], { numeric: 'auto' })
  if (seconds < 60) return rtf.format(-Math.floor(seconds), 'second')
  if (seconds < 3600) return rtf.format(-Math.floor(seconds / 60), 'minute')
  if (seconds < 86400) return rtf.format(-Math.floor(seconds / 3600), 'hour')
  return rtf.format(-Math.floor(seconds / 86400), 'day')
}
