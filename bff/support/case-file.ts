/** Everything support needs about one session, read in one go. */
import { zaptecCallsOfSession } from '../charging/zaptec/calls'
import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../store/db'
import { auditLog, connectors, intents, meterSamples, receipts, refunds, sessionEvents, sessions, sites, transactions, users } from '../store/schema'
import { notFound } from '../errors'
import { collectedHolds } from '../payments/collection/schema'
import type { HoldStatus, SessionState } from '../store/schema'
import type { TariffView } from '../views'
import { tariffView } from '../chargers/view'
import { buildTimeline, summariseMeter, thinCurve, type TimelineEntry } from './timeline'
import { supportActions, type SupportActions } from '../domain/session'

/** Support's own views of a session are logged but would drown the story: the timeline shows actions. */
const actionsShown = ['refund', 'stop', 'end', 'release_hold', 'resend_receipt', 'reissue_invoice', 'sweep_release', 'sweep_flag', 'sweep_refund_retry']

/** Enough points for a clear chart on a laptop, few enough for a phone. */
const curvePoints = 400

export interface CaseFile {
  session: {
    id: string
    state: SessionState
    siteId: string
    siteName: string
    chargerId: string
    connectorId: number
    evseId: string
    method: 'card' | 'grant' | 'open'
    idTag: string
    transactionId: number | null
    paymentId: string | null
    provider: string
    currency: string
    holdAmount: number
    holdStatus: HoldStatus
    capturedAmount: number
    releasedAmount: number
    refundedAmount: number
    /** Captured minus refunds made or under way: the most a new refund may be. */
    refundable: number
    energyWh: number
    powerW: number
    costTotal: number
    card: { brand: string; last4: string } | null
    createdAt: string
    startedAt: string | null
    stoppedAt: string | null
    unpluggedAt: string | null
    stopReason: string | null
    failureReason: string | null
    receiptNumber: string | null
    driverEmail: string | null
    tariff: TariffView
    /** Who collected the card payment: the platform (with our fee and the owner's connected account) or the site's own Stripe account. */
    collection?: { mode: 'platform' | 'own'; destination: string | null; fee: number | null; feeRefunded: number } | null
  }
  receipts: { number: string; kind: 'simplified_invoice' | 'invoice'; replaces: string | null; issuedAt: string; total: number }[]
  refunds: { id: string; amount: number; reason: string; status: 'pending' | 'succeeded' | 'failed'; createdAt: string; createdBy: string | null }[]
  timeline: TimelineEntry[]
  /** [epoch ms, W] */
  powerCurve: [number, number][]
  /** [epoch ms, Wh since the start] */
  energyCurve: [number, number][]
  /** What support may do now: the rule the server's actions follow too. */
  can: SupportActions
}

export async function loadCaseFile(db: Db, id: string, provider: string): Promise<CaseFile> {
  const [row] = await db
    .select({ s: sessions, siteName: sites.name, evseId: connectors.evseId, email: users.email })
    .from(sessions)
    .innerJoin(sites, eq(sites.id, sessions.siteId))
    .leftJoin(connectors, and(eq(connectors.chargerId, sessions.chargerId), eq(connectors.connectorId, sessions.connectorId)))
    .leftJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, id))
  if (!row) throw notFound('session_not_found', 'No such session.')
  const s = row.s
  const [events, tx, samples, sessionIntents, refundRows, receiptRows, auditRows] = await Promise.all([
    db.select().from(sessionEvents).where(eq(sessionEvents.sessionId, id)).orderBy(asc(sessionEvents.id)),
    // The OCPP adapter's record of the charging, when an OCPP charger reported it.
    db.select().from(transactions).where(eq(transactions.sessionId, id)).orderBy(asc(transactions.id)),
    db
      .select({ at: meterSamples.at, energyWh: meterSamples.energyWh, powerW: meterSamples.powerW })
      .from(meterSamples)
      .where(eq(meterSamples.sessionId, id))
      .orderBy(asc(meterSamples.at)),
    db.select().from(intents).where(eq(intents.sessionId, id)).orderBy(asc(intents.id)),
    db.select().from(refunds).where(eq(refunds.sessionId, id)).orderBy(asc(refunds.createdAt)),
    db.select().from(receipts).where(eq(receipts.sessionId, id)).orderBy(asc(receipts.issuedAt)),
    db
      .select({ a: auditLog, actor: users.email })
      .from(auditLog)
      .leftJoin(users, eq(users.id, auditLog.actorId))
      .where(and(eq(auditLog.sessionId, id), inArray(auditLog.action, actionsShown)))
      .orderBy(asc(auditLog.id)),
  ])
  const transaction = tx[0] ?? null
  const timeline = buildTimeline({
    events,
    transaction,
    chargerCalls: await zaptecCallsOfSession(db, id),
    meter: summariseMeter(samples),
    intents: sessionIntents,
    refunds: refundRows,
    receipts: receiptRows,
    audit: auditRows.map(({ a, actor }) => ({ id: a.id, at: a.at, action: a.action, actor, reason: a.reason, data: a.data })),
  })
  const [collected] = s.paymentId ? await db.select().from(collectedHolds).where(eq(collectedHolds.paymentId, s.paymentId)) : []
  const committed = refundRows.filter((r) => r.status !== 'failed').reduce((sum, r) => sum + r.amount, 0)
  const refundable = Math.max(0, s.capturedAmount - committed)
  return {
    session: {
      id: s.id,
      state: s.state,
      siteId: s.siteId,
      siteName: row.siteName,
      chargerId: s.chargerId,
      connectorId: s.connectorId,
      evseId: row.evseId ?? '',
      method: s.method,
      idTag: s.idTag,
      transactionId: transaction?.id ?? null,
      paymentId: s.paymentId,
      provider,
      currency: s.currency,
      holdAmount: s.holdAmount,
      holdStatus: s.holdStatus,
      capturedAmount: s.capturedAmount,
      releasedAmount: s.releasedAmount,
      refundedAmount: s.refundedAmount,
      refundable,
      energyWh: s.energyWh,
      powerW: s.powerW,
      costTotal: s.costTotal,
      card: s.cardBrand && s.cardLast4 ? { brand: s.cardBrand, last4: s.cardLast4 } : null,
      createdAt: s.createdAt.toISOString(),
      startedAt: s.startedAt?.toISOString() ?? null,
      stoppedAt: s.stoppedAt?.toISOString() ?? null,
      unpluggedAt: s.unpluggedAt?.toISOString() ?? null,
      stopReason: s.stopReason,
      failureReason: s.failureReason,
      receiptNumber: s.receiptNumber,
      driverEmail: row.email,
      collection: collected ? { mode: collected.mode, destination: collected.destination, fee: collected.feeAmount, feeRefunded: collected.feeRefunded } : null,
      tariff: tariffView(s.tariff, s.holdAmount),
    },
    receipts: receiptRows.map((r) => ({
      number: r.number,
      kind: r.kind,
      replaces: r.replaces,
      issuedAt: r.issuedAt.toISOString(),
      total: Number((r.content as { total?: number }).total ?? 0),
    })),
    refunds: refundRows.map((r) => ({ id: r.id, amount: r.amount, reason: r.reason, status: r.status, createdAt: r.createdAt.toISOString(), createdBy: r.createdBy })),
    timeline,
    powerCurve: thinCurve(
      samples.filter((p) => p.powerW !== null).map((p) => [p.at.getTime(), p.powerW!] as [number, number]),
      curvePoints,
    ),
    energyCurve: thinCurve(
      samples.filter((p) => p.energyWh !== null).map((p) => [p.at.getTime(), Math.max(0, p.energyWh!)] as [number, number]),
      curvePoints,
    ),
    can: supportActions({
      state: s.state,
      method: s.method,
      holdStatus: s.holdStatus,
      paymentId: s.paymentId,
      capturedAmount: s.capturedAmount,
      refundedAmount: committed,
      hasReceipt: receiptRows.length > 0,
      hasSimplifiedInvoice: receiptRows.some((r) => r.kind === 'simplified_invoice'),
    }),
  }
}
