/**
 * The JSON shapes the BFF sends to clients, written once here. Routes build them; the PWA reads
 * them through `hc<AppType>`, whose response types resolve to these.
 */
import type { PublicPaymentConfig } from './payments/provider'
import type { ConnectorStatus, HoldStatus, SessionState } from './store/schema'
import type { TariffComponent } from './domain/tariff'
import type { Charge } from './domain/charge'

export type StartMethod = 'card' | 'grant' | 'open'

export interface TariffView {
  currency: string
  /** 0.25 for 25 %. */
  vatRate: number
  /** AFIR order: energy, time, session, idle. Minor units incl. VAT. */
  components: TariffComponent[]
  holdAmount: number
  /** The smallest amount the payment provider will charge: a session costing less is not charged at all. */
  minimumCharge: number
}

export interface SiteView {
  id: string
  name: string
  street: string
  postalCode: string
  city: string
  country: string
  currency: string
  timezone: string
  accessMode: 'open' | 'private' | 'paid'
  /** The seller, as on receipts. */
  seller: { legalName: string; orgNumber: string; vatNumber: string }
}

export interface ConnectorView {
  connectorId: number
  evseId: string
  plug: string
  maxPowerW: number
  /** OCPP status; `Unknown` until the charger reports. An offline charger's connectors show `Unavailable`. */
  status: ConnectorStatus
  statusAt: string | null
}

export interface ChargerView {
  id: string
  label: string | null
  online: boolean
  lastSeenAt: string | null
  site: SiteView
  connectors: ConnectorView[]
  tariff: TariffView
  /** Start methods this caller may use here, best first. */
  startMethods: StartMethod[]
  /** The URL printed in this charger's QR code. */
  qrUrl: string
  /** The signed-in driver's best grant covering this charger (null: none, or a guest). */
  grant?: ChargerGrantView | null
  /** Why the driver's grants here cannot start now (this month's cap used up, expired…); null when one can, or none covers it. */
  grantRefused?: 'grant_cap_reached' | 'grant_expired' | 'grant_not_yet_valid' | 'grant_revoked' | null
  /** Whom the browser confirms a card hold with here: a site collecting on its own Stripe account has its own publishable key. */
  cardPayments?: PublicPaymentConfig
}

export interface ChargerGrantView {
  id: string
  label: string | null
  /** free: nothing to pay · private: the owner's price for this driver · site: the site's prices. */
  price: 'free' | 'private' | 'site'
  /** What is left of this month's caps; null where the grant has no cap of that kind. */
  capLeft: { energyWh: number | null; amount: number | null; reached: boolean }
  /** The monthly caps themselves (null: none of that kind). */
  caps: { energyWh: number | null; amount: number | null }
  /** The prices this driver starts with under the grant (free: every price 0), shown before the start. */
  tariff: TariffView
}

export interface CostLineView {
  type: 'energy' | 'time' | 'session' | 'idle'
  /** Wh for energy, seconds for time and idle, 1 for session. */
  quantity: number
  unit: 'Wh' | 'second' | 'session'
  /** Per kWh, per minute, per session: as in the tariff. */
  unitPrice: number
  amount: number
}

export interface CostView {
  currency: string
  total: number
  vat: number
  lines: CostLineView[]
}

export interface SessionView {
  id: string
  state: SessionState
  chargerId: string
  connectorId: number
  evseId: string
  siteName: string
  method: StartMethod
  energyWh: number
  powerW: number
  createdAt: string
  startedAt: string | null
  stoppedAt: string | null
  unpluggedAt: string | null
  stopReason: string | null
  /** Why it failed or was cancelled (snake_case), e.g. card_declined, charger_offline, start_timeout. */
  failureReason: string | null
  /** When a started charger must have begun charging (plug in the car by then). */
  startDeadline: string | null
  cost: CostView
  /** The one amount charged (or, for a grant, invoiced by the owner) and why; the receipt says the same. */
  charge: Charge
  hold: { amount: number; status: HoldStatus; captured: number; released: number; refunded: number }
  /**
   * Idle fee: when it starts counting (the stop reached us + grace) while the car stays plugged in,
   * its cap, and when we stop waiting for the unplug and settle.
   */
  idle: { graceEndsAt: string | null; pricePerMinute: number; capAmount: number | null; waitEndsAt: string | null } | null
  tariff: TariffView
  card: { brand: string; last4: string } | null
  receipt: { number: string; url: string } | null
  /** Power samples for the live curve: [epoch ms, W]. */
  powerCurve: [number, number][]
  /** Bumped on every change: the SSE event id. */
  version: number
}

export interface ReceiptLineView {
  type: 'energy' | 'time' | 'session' | 'idle'
  description: string
  quantity: number
  unit: string
  unitPrice: number
  amount: number
}

export interface ReceiptView {
  number: string
  issuedAt: string
  /** A session's first document is a simplified invoice; support may reissue it as a full invoice. */
  kind: 'simplified_invoice' | 'invoice'
  /** A full invoice's buyer. */
  buyer?: { name: string; orgNumber: string; address: string }
  /** For a reissued document: the number of the one it replaces (which stays valid as it was). */
  replaces?: string
  seller: { legalName: string; orgNumber: string; vatNumber: string; address: string }
  site: { name: string; address: string }
  /** The site's time zone: the receipt's times are its clock. Receipts issued before it was kept have none. */
  timeZone?: string
  charger: { id: string; connectorId: number; evseId: string }
  startedAt: string | null
  stoppedAt: string | null
  energyWh: number
  /** kWh with 3 decimals, as printed. */
  energyKwh: string
  currency: string
  lines: ReceiptLineView[]
  total: number
  vatRate: number
  vat: number
  net: number
  payment: {
    method: 'card' | 'grant' | 'open'
    card: { brand: string; last4: string } | null
    holdAmount: number
    captured: number
    released: number
    refunded: number
  }
  /** Cost above the captured amount because the session reached its hold; 0 normally. */
  capReduction: number
  /**
   * What was charged and why, as the session page and history show it: `total` is its amount; the
   * lines keep what each part cost, and what they add up to beyond the total was not charged.
   */
  charge: Charge
  /** Set when the total is zero (nothing used, under the provider's minimum, a free charger). */
  nothingCharged: boolean
  sessionId: string
}

/** A refund of part of a receipt's amount, as the driver sees it (support's reason stays internal). */
export interface ReceiptRefundView {
  amount: number
  at: string
}

/**
 * GET /api/receipts/:number: the document as issued, plus the refunds made since, the site's time
 * zone, and a link to the receipt page that works for whoever holds it (printed as a QR code).
 */
export type ReceiptAnswer = ReceiptView & { refunds: ReceiptRefundView[]; refunded: number; timeZone: string; link: string }
