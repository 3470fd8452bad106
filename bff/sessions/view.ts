import { and, asc, eq, gte, sql } from 'drizzle-orm'
import type { Db } from '../store/db'
import { prepared } from '../store/prepared'
import { connectors, meterSamples, sessions, sites } from '../store/schema'
import { tariffView } from '../chargers/view'
import { idleFeeOf, unplugWaitSeconds, type Cost } from '../domain/tariff'
import { chargeFor } from '../domain/charge'
import { receiptCharge } from '../domain/receipt'
import { isFinal } from '../domain/session'
import type { SessionView } from '../views'

type SessionRow = typeof sessions.$inferSelect

/** Power samples kept for the live curve: the last two hours at most. */
const curveWindowMs = 2 * 60 * 60 * 1000

const placeOf = prepared((db) =>
  db
    .select({ evseId: connectors.evseId, siteName: sites.name })
    .from(connectors)
    .innerJoin(sites, eq(sites.id, sql.placeholder('siteId')))
    .where(and(eq(connectors.chargerId, sql.placeholder('chargerId')), eq(connectors.connectorId, sql.placeholder('connectorId'))))
    .prepare('session_view_place'),
)

const curveOf = prepared((db) =>
  db
    .select({ at: meterSamples.at, powerW: meterSamples.powerW })
    .from(meterSamples)
    .where(and(eq(meterSamples.sessionId, sql.placeholder('sessionId')), gte(meterSamples.at, sql.placeholder('since'))))
    .orderBy(asc(meterSamples.at))
    .prepare('session_view_curve'),
)

/**
 * The session snapshot without the receipt link, which depends on who asks (see withReceiptLink).
 * Built once per change and shared by all live viewers.
 */
export async function sessionView(db: Db, s: SessionRow, cost: Cost, o: { minimumCharge: number; unplugWaitSeconds: number }): Promise<SessionView> {
  const [place] = await placeOf(db).execute({ siteId: s.siteId, chargerId: s.chargerId, connectorId: s.connectorId })
  const curve = s.startedAt === null ? [] : await curveOf(db).execute({ sessionId: s.id, since: new Date((s.stoppedAt ?? new Date()).getTime() - curveWindowMs) })
  const idle = idleFeeOf(s.tariff)
  const stopSeen = s.stopSeenAt?.getTime()
  return {
    id: s.id,
    state: s.state,
    chargerId: s.chargerId,
    connectorId: s.connectorId,
    evseId: place?.evseId ?? '',
    siteName: place?.siteName ?? '',
    method: s.method,
    energyWh: s.energyWh,
    powerW: s.powerW,
    createdAt: s.createdAt.toISOString(),
    startedAt: s.startedAt?.toISOString() ?? null,
    stoppedAt: s.stoppedAt?.toISOString() ?? null,
    unpluggedAt: s.unpluggedAt?.toISOString() ?? null,
    stopReason: s.stopReason,
    failureReason: s.failureReason,
    startDeadline: s.state === 'starting' ? (s.startDeadline?.toISOString() ?? null) : null,
    cost: { currency: cost.currency, total: cost.total, vat: cost.vat, lines: cost.lines },
    hold: { amount: s.holdAmount, status: s.holdStatus, captured: s.capturedAmount, released: s.releasedAmount, refunded: s.refundedAmount },
    // Once final, what the provider actually took, as the receipt says; before, what settling would take.
    charge: (isFinal(s.state) ? receiptCharge : chargeFor)({ method: s.method, cost, energyWh: s.energyWh, holdAmount: s.holdAmount, minimumCharge: o.minimumCharge, captured: s.capturedAmount }),
    idle: idle
      ? {
          graceEndsAt: stopSeen !== undefined ? new Date(stopSeen + idle.graceMinutes * 60_000).toISOString() : null,
          pricePerMinute: idle.pricePerMinute,
          capAmount: idle.capAmount,
          waitEndsAt: stopSeen !== undefined ? new Date(stopSeen + unplugWaitSeconds(s.tariff, o.unplugWaitSeconds) * 1000).toISOString() : null,
        }
      : null,
    tariff: tariffView(s.tariff, s.holdAmount),
    card: s.cardBrand && s.cardLast4 ? { brand: s.cardBrand, last4: s.cardLast4 } : null,
    receipt: s.receiptNumber ? { number: s.receiptNumber, url: '' } : null,
    powerCurve: curve.filter((p) => p.powerW !== null).map((p) => [p.at.getTime(), p.powerW!] as [number, number]),
    version: s.version,
  }
}

/** Adds the receipt link for a viewer who holds the receipt token. */
export function withReceiptLink(view: SessionView, publicUrl: string, receiptToken: string | null): SessionView {
  if (!view.receipt) return view
  const url = receiptToken ? `${publicUrl}/api/receipts/${encodeURIComponent(view.receipt.number)}?t=${receiptToken}` : ''
  return { ...view, receipt: { number: view.receipt.number, url } }
}
