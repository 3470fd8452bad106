import { and, eq, sql } from 'drizzle-orm'
import type { Tx } from '../store/db'
import { connectors, receiptCounters, receipts, sessions, sites } from '../store/schema'
import { buildReceipt, receiptNumber } from '../domain/receipt'
import type { ReceiptView } from '../views'

type SessionRow = typeof sessions.$inferSelect

/**
 * Issues the session's receipt inside the caller's transaction: the next number in the seller's
 * sequence, and the content as it will stay. Receipts are never changed afterwards.
 */
export async function issueReceipt(tx: Tx, s: SessionRow, now: Date): Promise<ReceiptView> {
  const [existing] = await tx
    .select()
    .from(receipts)
    .where(and(eq(receipts.sessionId, s.id), eq(receipts.kind, 'simplified_invoice')))
  if (existing) return existing.content as unknown as ReceiptView
  const [site] = await tx.select().from(sites).where(eq(sites.id, s.siteId))
  const [connector] = await tx
    .select()
    .from(connectors)
    .where(and(eq(connectors.chargerId, s.chargerId), eq(connectors.connectorId, s.connectorId)))
  const [{ sequence }] = await tx
    .insert(receiptCounters)
    .values({ orgNumber: site.orgNumber, lastSequence: 1 })
    .onConflictDoUpdate({ target: receiptCounters.orgNumber, set: { lastSequence: sql`${receiptCounters.lastSequence} + 1` } })
    .returning({ sequence: receiptCounters.lastSequence })
  const cost = s.finalCost!
  const number = receiptNumber(site.orgNumber, sequence)
  const receipt = buildReceipt({
    number,
    issuedAt: now,
    sessionId: s.id,
    site,
    charger: { id: s.chargerId, connectorId: s.connectorId, evseId: connector.evseId },
    startedAt: s.startedAt,
    stoppedAt: s.stoppedAt,
    energyWh: s.energyWh,
    tariff: s.tariff,
    cost,
    payment: {
      method: s.method,
      card: s.cardBrand && s.cardLast4 ? { brand: s.cardBrand, last4: s.cardLast4 } : null,
      holdAmount: s.holdAmount,
      captured: s.capturedAmount,
      released: s.releasedAmount,
      refunded: s.refundedAmount,
    },
    nothingCharged: s.method === 'card' ? s.capturedAmount === 0 : cost.total === 0,
  })
  await tx.insert(receipts).values({
    number,
    sessionId: s.id,
    orgNumber: site.orgNumber,
    sequence,
    tokenHash: s.receiptTokenHash,
    issuedAt: now,
    content: receipt as unknown as Record<string, unknown>,
  })
  return receipt
}
