/**
 * A timeline entry in the agent's language: the BFF sends each event's kind and data (and an English
 * summary for logs); the console words it here, with money as money ("300,00 kr", never "30000"),
 * energy in kWh, states, reasons and results translated. A kind this console does not know yet shows
 * the BFF's summary rather than nothing.
 */
import { formatDateTime, formatKw, formatKwh, formatPrice, type UiLocale } from '../format'

type Translate = (key: string, values?: Record<string, unknown>) => string
type HasKey = (key: string) => boolean

export interface TimelineWords {
  t: Translate
  te: HasKey
  locale: UiLocale
  currency: string
}

/** The kinds the console words; every kind the BFF writes is one of these (a test checks). */
export const wordedKinds = [
  'created', 'hold_created', 'hold_placed', 'state', 'remote_start', 'remote_stop', 'stop_requested', 'charging_started',
  'charging_stopped', 'ended_by_support', 'unplugged', 'settling', 'captured', 'capture_failed', 'release_failed', 'release_refused',
  'released', 'failed', 'cancelled', 'webhook', 'receipt_issued', 'ocpp_start_transaction', 'ocpp_stop_transaction', 'meter_values',
  'provider_capture', 'provider_release', 'refund', 'refund_requested', 'refunded', 'refund_failed', 'invoice_issued', 'hold_canceled_by_provider',
  'implausible_energy', 'second_transaction_ignored', 'stop_unconfirmed', 'support_release',
] as const

export function timelineText(entry: { kind: string; data: object; summary: string }, w: TimelineWords): string {
  const { t, te, locale, currency } = w
  const d = entry.data as Record<string, unknown>
  const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0))
  const money = (v: unknown) => formatPrice(num(v), currency, locale)
  const kwh = (v: unknown) => `${formatKwh(num(v), locale)}\u00a0kWh`
  const when = (v: unknown) => (typeof v === 'string' && v ? formatDateTime(v, locale) : t('support.event.noTime'))
  /** A word from a list of known ones (`support.state.charging`), or the raw value when it is not known. */
  const word = (list: string, v: unknown) => {
    const raw = v === undefined || v === null || v === '' ? 'none' : String(v)
    return te(`support.${list}.${raw}`) ? t(`support.${list}.${raw}`) : raw
  }
  const ev = (key: string, values: Record<string, unknown> = {}) => t(`support.event.${key}`, values)

  if (entry.kind.startsWith('support_') && entry.kind !== 'support_release') {
    const action = entry.kind.slice('support_'.length)
    const who = typeof d.actor === 'string' && d.actor ? d.actor : t('support.event.sweep')
    const text = ev('audit', { who, action: word('audit', action) })
    return typeof d.reason === 'string' && d.reason ? `${text} — ${d.reason}` : text
  }
  switch (entry.kind) {
    case 'created':
      return ev('created', { method: word('method', d.method), hold: money(d.holdAmount) })
    case 'hold_created':
      return ev('hold_created', { provider: String(d.provider ?? ''), payment: String(d.paymentId ?? ''), amount: money(d.amount) })
    case 'hold_placed':
      return d.captureBefore ? ev('hold_placed_until', { amount: money(d.amount), at: when(d.captureBefore) }) : ev('hold_placed', { amount: money(d.amount) })
    case 'state':
      return ev('state', { from: word('state', d.from), to: word('state', d.to) })
    case 'remote_start':
    case 'remote_stop':
      return ev(entry.kind, { result: word('result', d.result) })
    case 'stop_requested':
      return ev('stop_requested', { reason: word('reason', d.reason) })
    case 'charging_started':
      return d.chargerClock === false
        ? ev('charging_started_skewed', { at: when(d.chargerStartedAt), skew: Math.round(Math.abs(num(d.skewMs)) / 1000) })
        : ev('charging_started', { at: when(d.chargerStartedAt) })
    case 'charging_stopped':
      return ev('charging_stopped', { energy: kwh(d.energyWh), cause: word('reason', d.cause), at: when(d.chargerStoppedAt) })
    case 'ended_by_support':
      return ev('ended_by_support', { reason: String(d.reason ?? ''), energy: kwh(d.energyWh) })
    case 'settling':
      return ev('settling', { trigger: word('reason', d.trigger), total: money(d.total), charge: money(d.charge), basis: word('basis', d.basis) })
    case 'captured':
      return ev('captured', { amount: money(d.amount), released: money(d.released) })
    case 'capture_failed':
    case 'release_failed':
    case 'release_refused':
      return ev(entry.kind, { code: String(d.code ?? d.status ?? '') })
    case 'released':
      return ev('released', { amount: money(d.amount) })
    case 'failed':
    case 'cancelled':
      return ev(entry.kind, { reason: word('reason', d.reason) })
    case 'webhook':
      return ev('webhook', { type: String(d.type ?? ''), id: String(d.id ?? '') })
    case 'receipt_issued':
      return ev('receipt_issued', { number: String(d.number ?? '') })
    case 'ocpp_start_transaction':
      return ev('ocpp_start_transaction', { id: String(d.transactionId ?? ''), meter: kwh(d.meterStartWh) })
    case 'ocpp_stop_transaction':
      return ev('ocpp_stop_transaction', { id: String(d.transactionId ?? ''), meter: kwh(d.meterStopWh), reason: word('reason', d.stopReason) })
    case 'meter_values':
      return ev('meter_values', { count: num(d.count), from: when(d.firstAt), to: when(d.lastAt), energy: kwh(d.energyWh), power: `${formatKw(num(d.maxPowerW), locale)}\u00a0kW` })
    case 'provider_capture':
    case 'provider_release':
      return ev(entry.kind, { status: word('result', d.status), attempts: num(d.attempts) }) + (d.lastError ? ` (${String(d.lastError)})` : '')
    case 'refund':
      return ev('refund', { amount: money(d.amount), status: word('result', d.status) })
    case 'refund_requested':
    case 'refunded':
      return ev(entry.kind, { amount: money(d.amount) })
    case 'refund_failed':
      return ev('refund_failed', { amount: money(d.amount), code: String(d.code ?? d.message ?? '') })
    case 'invoice_issued':
      return ev('invoice_issued', { number: String(d.number ?? ''), replaces: String(d.replaces ?? '') })
    case 'implausible_energy':
      return ev('implausible_energy', { reported: kwh(d.reportedWh), billed: kwh(d.billedWh) })
    case 'support_release':
      return ev('support_release', { who: d.by === 'sweep' || !d.by ? t('support.event.sweep') : String(d.by) })
    case 'unplugged':
    case 'hold_canceled_by_provider':
    case 'second_transaction_ignored':
    case 'stop_unconfirmed':
      return ev(entry.kind)
    default:
      return entry.summary
  }
}
