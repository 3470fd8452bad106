import { and, eq, sql } from 'drizzle-orm'
import type { Tx } from '../store/db'
import { connectors, receiptCounters, receipts, sessions, sites } from '../store/schema'
import { buildReceipt, receiptNumber } from '../domain/receipt'
import { minimumCharge } from '../payments/minimums'
import { sellerOfSession } from '../payments/collection/router'
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
  // The seller is whoever collected the card payment; its own number series. Otherwise the site sells.
  const seller = s.method === 'card' ? await sellerOfSession(tx, s.id) : null
  const orgNumber = seller?.orgNumber ?? site.orgNumber
  const sequence = await nextSequence(tx, orgNumber)
  const cost = s.finalCost!
  const number = receiptNumber(orgNumber, sequence)
  const receipt = buildReceipt({
    number,
    issuedAt: now,
    sessionId: s.id,
    site,
    seller,
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
      // Only cards are captured: a grant session's cost is invoiced by the site's owner, outside the app.
      captured: s.method === 'card' ? s.capturedAmount : 0,
      released: s.releasedAmount,
      refunded: s.refundedAmount,
    },
    minimumCharge: minimumCharge(s.currency),
  })
  await tx.insert(receipts).values({
    number,
    sessionId: s.id,
    orgNumber,
    sequence,
    tokenHash: s.receiptTokenHash,
    issuedAt: now,
    content: receipt as unknown as Record<string, unknown>,
  })
  return receipt
}

/** The next number in the seller's sequence; the counter row is locked until the transaction ends. */
async function nextSequence(tx: Tx, orgNumber: string): Promise<number> {
  const [{ sequence }] = await tx
    .insert(receiptCounters)
    .values({ orgNumber, lastSequence: 1 })
    .onConflictDoUpdate({ target: receiptCounters.orgNumber, set: { lastSequence: sql`${receiptCounters.lastSequence} + 1` } })
    .returning({ sequence: receiptCounters.lastSequence })
  return sequence
}

export interface InvoiceBuyer {
  name: string
  orgNumber: string
  address: string
}

/**
 * Reissues a session's receipt as a full VAT invoice for a business buyer: a new number in the
 * seller's sequence, the same sale, the buyer added, and a reference to the receipt it replaces,
 * which stays as it was. Asked twice for the same buyer, it answers with the invoice already issued.
 */
export async function issueInvoice(tx: Tx, original: typeof receipts.$inferSelect, to: InvoiceBuyer, now: Date): Promise<ReceiptView> {
  const buyer: InvoiceBuyer = { name: to.name, orgNumber: to.orgNumber, address: to.address }
  const issued = await tx
    .select()
    .from(receipts)
    .where(and(eq(receipts.sessionId, original.sessionId), eq(receipts.kind, 'invoice'), eq(receipts.replaces, original.number)))
  const same = issued.find((r) => {
    const b = (r.content as unknown as ReceiptView).buyer
    return b?.name === buyer.name && b.orgNumber === buyer.orgNumber && b.address === buyer.address
  })
  if (same) return same.content as unknown as ReceiptView
  const sequence = await nextSequence(tx, original.orgNumber)
  const number = receiptNumber(original.orgNumber, sequence)
  const invoice: ReceiptView = {
    ...(original.content as unknown as ReceiptView),
    number,
    issuedAt: now.toISOString(),
    kind: 'invoice',
    buyer,
    replaces: original.number,
  }
  await tx.insert(receipts).values({
    number,
    sessionId: original.sessionId,
    kind: 'invoice',
    replaces: original.number,
    orgNumber: original.orgNumber,
    sequence,
    tokenHash: original.tokenHash,
    issuedAt: now,
    content: invoice as unknown as Record<string, unknown>,
  })
  return invoice
}
