/**
 * A session's whole story for support, in order: pure functions over what the database holds
 * (session events, the OCPP transaction, meter samples, intents, refunds, receipts, audit log).
 */

export type TimelineSource = 'state' | 'ocpp' | 'payment' | 'webhook' | 'receipt' | 'support'

export interface TimelineEntry {
  at: string
  kind: string
  source: TimelineSource
  summary: string
  data: Record<string, unknown>
}

export interface MeterSample {
  at: Date
  energyWh: number | null
  powerW: number | null
}

export interface MeterSummary {
  count: number
  firstAt: Date
  lastAt: Date
  maxPowerW: number
  /** Energy the samples show, from the first reading to the last. */
  energyWh: number
}

export interface TimelineInput {
  events: { id: number; at: Date; kind: string; data: Record<string, unknown> }[]
  transaction: {
    id: number
    startedAt: Date
    stoppedAt: Date | null
    meterStartWh: number
    meterStopWh: number | null
    stopReason: string | null
    receivedAt: Date
  } | null
  meter: MeterSummary | null
  /** A cloud gateway's calls about the session (Zaptec's web hooks and API), already in words. */
  chargerCalls?: { at: Date; kind: string; summary: string; data: Record<string, unknown> }[]
  intents: { action: string; key: string; status: string; attempts: number; lastError: string | null; createdAt: Date; doneAt: Date | null }[]
  refunds: { id: string; amount: number; status: string; reason: string; createdAt: Date; createdBy: string | null; providerRefundId: string | null }[]
  receipts: { number: string; kind: string; replaces: string | null; issuedAt: Date }[]
  audit: { id: number; at: Date; action: string; actor: string | null; reason: string | null; data: Record<string, unknown> }[]
}

const ocppKinds = new Set(['remote_start', 'remote_stop', 'charging_started', 'charging_stopped', 'unplugged'])
const paymentKinds = new Set(['hold_created', 'hold_placed', 'settling', 'captured', 'capture_failed', 'released', 'refund_requested', 'refunded', 'refund_failed'])

export function sourceOf(kind: string): TimelineSource {
  if (kind === 'state' || kind === 'created' || kind === 'failed' || kind === 'cancelled' || kind === 'stop_requested') return 'state'
  if (ocppKinds.has(kind)) return 'ocpp'
  if (paymentKinds.has(kind)) return 'payment'
  if (kind === 'webhook') return 'webhook'
  if (kind === 'receipt_issued' || kind === 'invoice_issued') return 'receipt'
  return 'support'
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v))

/** One line in support's words for a session event. Amounts stay in minor units: the page formats them. */
export function describeEvent(kind: string, d: Record<string, unknown>): string {
  switch (kind) {
    case 'created':
      return `Session created (${str(d.method)}), hold ${str(d.holdAmount)}; price shown copied into the session`
    case 'hold_created':
      return `Hold requested from ${str(d.provider)}: ${str(d.paymentId)}, amount ${str(d.amount)}`
    case 'hold_placed':
      return `Card authorised: hold of ${str(d.amount)} placed${d.captureBefore ? `, capture before ${str(d.captureBefore)}` : ''}`
    case 'state':
      return `State ${str(d.from)} → ${str(d.to)}`
    case 'remote_start':
      return `RemoteStartTransaction sent: ${str(d.result)}`
    case 'remote_stop':
      return `RemoteStopTransaction sent: ${str(d.result)}`
    case 'stop_requested':
      return `Stop requested by ${str(d.reason)}`
    case 'charging_started':
      return `Charging started, charger clock ${str(d.chargerStartedAt)}${d.chargerClock === false ? ` (not believed: ${str(d.skewMs)} ms off ours)` : ''}`
    case 'charging_stopped':
      return `Charging stopped: ${str(d.energyWh)} Wh, ${str(d.cause)}, charger clock ${str(d.chargerStoppedAt) || 'not given'}`
    case 'ended_by_support':
      return `Ended by support: ${str(d.reason)}, ${str(d.energyWh)} Wh known`
    case 'unplugged':
      return 'Connector Available again: car unplugged'
    case 'settling':
      return `Settling (${str(d.trigger)}): cost ${str(d.total)}, charged ${str(d.charge)} (${str(d.basis)})`
    case 'captured':
      return `Captured ${str(d.amount)}, released ${str(d.released)}`
    case 'capture_failed':
      return `Capture refused by the provider: ${str(d.code)} ${str(d.message)}`
    case 'released':
      return `Hold released (${str(d.amount)})`
    case 'failed':
      return `Failed: ${str(d.reason)}`
    case 'cancelled':
      return `Cancelled: ${str(d.reason)}`
    case 'webhook':
      return `Webhook ${str(d.type)} (${str(d.id)})`
    case 'receipt_issued':
      // Issued in the same transaction that completes the session.
      return `Receipt ${str(d.number)} issued; session completed`
    default:
      return kind.replace(/_/g, ' ')
  }
}

export function summariseMeter(samples: MeterSample[]): MeterSummary | null {
  if (samples.length === 0) return null
  const energies = samples.map((s) => s.energyWh).filter((e): e is number => e !== null)
  return {
    count: samples.length,
    firstAt: samples[0].at,
    lastAt: samples[samples.length - 1].at,
    maxPowerW: Math.max(0, ...samples.map((s) => s.powerW ?? 0)),
    energyWh: energies.length ? energies[energies.length - 1] - energies[0] : 0,
  }
}

/** At most `max` points, evenly picked, keeping the first and the last: enough for a chart. */
export function thinCurve<T>(points: T[], max: number): T[] {
  if (points.length <= max || max < 2) return points
  const step = (points.length - 1) / (max - 1)
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)])
}

/** Everything, oldest first; entries at the same moment keep the order they were recorded in. */
export function buildTimeline(input: TimelineInput): TimelineEntry[] {
  const entries: (TimelineEntry & { order: number })[] = []
  const add = (at: Date, order: number, entry: Omit<TimelineEntry, 'at'>) => entries.push({ at: at.toISOString(), order, ...entry })

  for (const e of input.events) add(e.at, e.id, { kind: e.kind, source: sourceOf(e.kind), summary: describeEvent(e.kind, e.data), data: e.data })

  const tx = input.transaction
  if (tx) {
    // The charger's own clock: late deliveries show where they belong, with when we received them.
    add(tx.startedAt, -2, {
      kind: 'ocpp_start_transaction',
      source: 'ocpp',
      summary: `Charger clock: StartTransaction #${tx.id} at meter ${tx.meterStartWh} Wh`,
      data: { transactionId: tx.id, meterStartWh: tx.meterStartWh, receivedAt: tx.receivedAt.toISOString() },
    })
    if (tx.stoppedAt) {
      add(tx.stoppedAt, -1, {
        kind: 'ocpp_stop_transaction',
        source: 'ocpp',
        summary: `Charger clock: StopTransaction #${tx.id} at meter ${str(tx.meterStopWh)} Wh, reason ${tx.stopReason ?? 'none given'}`,
        data: { transactionId: tx.id, meterStopWh: tx.meterStopWh, stopReason: tx.stopReason },
      })
    }
  }
  for (const call of input.chargerCalls ?? []) add(call.at, -1, { kind: call.kind, source: 'ocpp', summary: call.summary, data: call.data })
  const m = input.meter
  if (m) {
    add(m.lastAt, -1, {
      kind: 'meter_values',
      source: 'ocpp',
      summary: `MeterValues: ${m.count} samples from ${m.firstAt.toISOString()} to ${m.lastAt.toISOString()}, ${m.energyWh} Wh, peak ${m.maxPowerW} W`,
      data: { count: m.count, firstAt: m.firstAt.toISOString(), lastAt: m.lastAt.toISOString(), energyWh: m.energyWh, maxPowerW: m.maxPowerW },
    })
  }
  for (const i of input.intents) {
    if (i.action !== 'capture' && i.action !== 'release') continue
    add(i.doneAt ?? i.createdAt, 0, {
      kind: `provider_${i.action}`,
      source: 'payment',
      summary: `Provider call ${i.action} (key ${i.key}): ${i.status} after ${i.attempts} attempt${i.attempts === 1 ? '' : 's'}${i.lastError ? `, last error: ${i.lastError}` : ''}`,
      data: { key: i.key, status: i.status, attempts: i.attempts, lastError: i.lastError },
    })
  }
  for (const r of input.refunds) {
    add(r.createdAt, 0, {
      kind: 'refund',
      source: 'payment',
      summary: `Refund of ${r.amount}: ${r.status}${r.providerRefundId ? ` (${r.providerRefundId})` : ''}`,
      data: { id: r.id, amount: r.amount, status: r.status, reason: r.reason, by: r.createdBy, providerRefundId: r.providerRefundId },
    })
  }
  for (const r of input.receipts) {
    if (r.kind === 'simplified_invoice') continue // the receipt_issued event already says so
    add(r.issuedAt, 0, {
      kind: 'invoice_issued',
      source: 'receipt',
      summary: `Invoice ${r.number} issued, replacing ${str(r.replaces)}`,
      data: { number: r.number, replaces: r.replaces },
    })
  }
  for (const a of input.audit) {
    add(a.at, a.id, {
      kind: `support_${a.action}`,
      source: 'support',
      summary: `${a.actor ?? 'Sweep'}: ${a.action.replace(/_/g, ' ')}${a.reason ? ` — ${a.reason}` : ''}`,
      data: { ...a.data, actor: a.actor, reason: a.reason },
    })
  }
  return entries
    .sort((a, b) => a.at.localeCompare(b.at) || a.order - b.order)
    .map(({ order: _order, ...entry }) => entry)
}
