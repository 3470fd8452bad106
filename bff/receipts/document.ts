/** A receipt as its reader gets it: the document as issued, with what happened since and how to find it again. */
import { and, asc, eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { receipts, refunds, sessions, sites } from '../store/schema'
import type { Signer } from '../http/signing'
import type { ReceiptAnswer, ReceiptView } from '../views'

type ReceiptRow = typeof receipts.$inferSelect

/** The receipt page's address with a share token: whoever holds it (or scans its QR code) may read the receipt. */
export async function receiptPageLink(signer: Signer, publicUrl: string, number: string): Promise<string> {
  return `${publicUrl}/r/${encodeURIComponent(number)}?t=${await signer.sign('receipt-share', number)}`
}

/** The document stays as issued; refunds made since come beside it (amount and date only, never support's reason). */
export async function receiptAnswer(db: Db, row: ReceiptRow, link: string): Promise<ReceiptAnswer> {
  const receipt = row.content as unknown as ReceiptView
  const made = await db
    .select({ amount: refunds.amount, at: refunds.createdAt })
    .from(refunds)
    .where(and(eq(refunds.sessionId, row.sessionId), eq(refunds.status, 'succeeded')))
    .orderBy(asc(refunds.createdAt))
  return {
    ...receipt,
    timeZone: receipt.timeZone ?? (await siteTimeZone(db, row.sessionId)),
    refunds: made.map((r) => ({ amount: r.amount, at: r.at.toISOString() })),
    refunded: made.reduce((sum, r) => sum + r.amount, 0),
    link,
  }
}

/** For receipts issued before they kept the site's zone. */
async function siteTimeZone(db: Db, sessionId: string): Promise<string> {
  const [row] = await db
    .select({ timezone: sites.timezone })
    .from(sessions)
    .innerJoin(sites, eq(sites.id, sessions.siteId))
    .where(eq(sessions.id, sessionId))
  return row?.timezone ?? 'Europe/Stockholm'
}
