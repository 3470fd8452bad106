/** Receipt numbering and content: a Swedish simplified invoice (förenklad faktura). */
import type { ReceiptLineView, ReceiptView } from '../views'
import { assertMinorUnits, vatOf } from './money'
import type { Cost, CostLine, Tariff } from './tariff'
import { chargeFor, type Charge } from './charge'

const orgDigits = 10
const sequenceWidth = 6

/** The seller's org number digits, a dash, and the sequence padded to 6: '5591234567-000042'. */
export function receiptNumber(orgNumber: string, sequence: number): string {
  const org = orgNumber.replace(/\D/g, '')
  if (org.length !== orgDigits) throw new RangeError(`org number must have ${orgDigits} digits, got '${orgNumber}'`)
  if (!Number.isSafeInteger(sequence) || sequence < 1) {
    throw new RangeError(`receipt sequence must be a positive integer, got ${String(sequence)}`)
  }
  return `${org}-${String(sequence).padStart(sequenceWidth, '0')}`
}

/**
 * A receipt number as a person types or reads it out ('559123 4567 000042', '5591234567-42'):
 * the canonical form, or null when it cannot be one.
 */
export function normalizeReceiptNumber(input: string): string | null {
  if (input.length > 64) return null
  const digits = input.replace(/\D/g, '')
  if (digits.length <= orgDigits) return null
  const sequence = Number(digits.slice(orgDigits).replace(/^0+/, '') || '0')
  if (!Number.isSafeInteger(sequence) || sequence < 1) return null
  return receiptNumber(digits.slice(0, orgDigits), sequence)
}

export interface ReceiptInput {
  number: string
  issuedAt: Date
  sessionId: string
  site: {
    name: string
    legalName: string
    orgNumber: string
    vatNumber: string
    street: string
    postalCode: string
    city: string
    country: string
    /** IANA zone of the site ('Europe/Stockholm'): the receipt's times are its clock. */
    timezone: string
  }
  /** Who sold, when not the site: the platform, when its payment processor collected (collection mode `platform`). */
  seller?: { legalName: string; orgNumber: string; vatNumber: string; address: string } | null
  charger: { id: string; connectorId: number; evseId: string }
  startedAt: Date | null
  stoppedAt: Date | null
  energyWh: number
  tariff: Tariff
  cost: Cost
  payment: {
    method: 'card' | 'grant' | 'open'
    card: { brand: string; last4: string } | null
    holdAmount: number
    captured: number
    released: number
    refunded: number
  }
  /** The payment provider's smallest chargeable amount in the tariff's currency. */
  minimumCharge: number
}

/**
 * The session's charge as its receipt states it: the amount and basis of `chargeFor`, except that
 * for a card the amount is what the provider actually captured (nothing, if the capture failed).
 */
export function receiptCharge(input: {
  method: 'card' | 'grant' | 'open'
  cost: Pick<Cost, 'total'>
  energyWh: number
  holdAmount: number
  minimumCharge: number
  captured: number
}): Charge {
  const charge = chargeFor(input)
  if (input.method !== 'card') return charge
  return { ...charge, amount: input.captured, basis: input.captured > 0 ? 'card' : charge.basis }
}

/**
 * The receipt's content. The lines keep what each part of the session cost; the total (and its VAT)
 * is the charge: what was captured from the card, what the owner invoices for a grant, nothing for
 * an open charger or under the provider's minimum. Whatever the lines add up to beyond it is not charged.
 */
export function buildReceipt(input: ReceiptInput): ReceiptView {
  const { site, cost, payment } = input
  assertMinorUnits(payment.captured, 'captured amount')
  if (payment.captured > cost.total) {
    throw new RangeError(`captured ${payment.captured} is more than the session cost ${cost.total}`)
  }
  const charge = receiptCharge({
    method: payment.method,
    cost,
    energyWh: input.energyWh,
    holdAmount: payment.holdAmount,
    minimumCharge: input.minimumCharge,
    captured: payment.captured,
  })
  const total = charge.amount
  const vat = vatOf(total, input.tariff.vatRateBp)
  const address = `${site.street}, ${site.postalCode} ${site.city}`
  return {
    number: input.number,
    issuedAt: input.issuedAt.toISOString(),
    kind: 'simplified_invoice',
    seller: input.seller ?? { legalName: site.legalName, orgNumber: site.orgNumber, vatNumber: site.vatNumber, address },
    site: { name: site.name, address },
    timeZone: site.timezone,
    charger: { id: input.charger.id, connectorId: input.charger.connectorId, evseId: input.charger.evseId },
    startedAt: input.startedAt?.toISOString() ?? null,
    stoppedAt: input.stoppedAt?.toISOString() ?? null,
    energyWh: input.energyWh,
    energyKwh: formatKwh(input.energyWh),
    currency: cost.currency,
    lines: cost.lines.map(receiptLine),
    total,
    vatRate: input.tariff.vatRateBp / 10_000,
    vat,
    net: total - vat,
    payment: {
      method: payment.method,
      card: payment.card ? { brand: payment.card.brand, last4: payment.card.last4 } : null,
      holdAmount: payment.holdAmount,
      captured: payment.captured,
      released: payment.released,
      refunded: payment.refunded,
    },
    charge,
    nothingCharged: total === 0,
    sessionId: input.sessionId,
    capReduction: charge.basis === 'card' ? cost.total - total : 0,
  }
}

function receiptLine(line: CostLine): ReceiptLineView {
  return {
    type: line.type,
    description: describe(line),
    quantity: line.quantity,
    unit: line.unit,
    unitPrice: line.unitPrice,
    amount: line.amount,
  }
}

/** Plain English; the PWA translates by line type. */
function describe(line: CostLine): string {
  switch (line.type) {
    case 'energy':
      return `Energy ${formatKwh(line.quantity)} kWh`
    case 'time':
      return `Charging time ${formatDuration(line.quantity)}`
    case 'session':
      return 'Session fee'
    case 'idle':
      return `Idle fee ${formatDuration(line.quantity)}`
  }
}

/** Wh as kWh with exactly three decimals, without going through floats: 12345 -> '12.345'. */
export function formatKwh(energyWh: number): string {
  if (!Number.isSafeInteger(energyWh) || energyWh < 0) throw new RangeError(`energy must be whole Wh, got ${String(energyWh)}`)
  const kwh = Math.floor(energyWh / 1000)
  const wh = energyWh % 1000
  return `${kwh}.${String(wh).padStart(3, '0')}`
}

/** Seconds as '1 h 02 min 05 s', '12 min 30 s', '45 s'. */
export function formatDuration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  if (hours > 0) return `${hours} h ${pad(minutes)} min ${pad(seconds)} s`
  if (minutes > 0) return `${minutes} min ${pad(seconds)} s`
  return `${seconds} s`
}
