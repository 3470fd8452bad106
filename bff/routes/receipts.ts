import { Hono } from 'hono'
import { and, asc, eq } from 'drizzle-orm'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { normalizeReceiptNumber } from '../domain/receipt'
import { receipts, refunds, sessions } from '../store/schema'
import type { AppEnv } from '../auth/viewer'
import { tokenMatches } from '../secrets'
import { renderReceiptPdf } from '../receipts/pdf'
import type { ReceiptAnswer, ReceiptView } from '../views'

const noSuchReceipt = () => new AppError(404, 'receipt_not_found', 'No such receipt, or the link is incomplete.')

export function receiptRoutes(d: AppContext) {
  async function ownsSession(userId: string | undefined, sessionId: string): Promise<boolean> {
    if (!userId) return false
    const [s] = await d.db.select({ userId: sessions.userId }).from(sessions).where(eq(sessions.id, sessionId))
    return s?.userId === userId
  }

  return new Hono<AppEnv>().get('/:number', async (c) => {
    const raw = c.req.param('number')
    const wantsPdf = raw.endsWith('.pdf') || (c.req.header('accept') ?? '').includes('application/pdf')
    const number = normalizeReceiptNumber(raw.replace(/\.pdf$/, ''))
    const token = c.req.query('t')
    if (!number) throw noSuchReceipt()
    const [row] = await d.db.select().from(receipts).where(eq(receipts.number, number))
    if (!row) throw noSuchReceipt()
    // The device's receipt token, a share link's signed token, or the signed-in driver whose session it is.
    const linkWorks = token !== undefined && (tokenMatches(token, row.tokenHash) || (await d.signer.verify('receipt-share', row.number, token)))
    if (!linkWorks && !(await ownsSession(c.get('viewer')?.userId, row.sessionId))) throw noSuchReceipt()
    const receipt = row.content as unknown as ReceiptView
    // The document stays as issued; refunds made since are listed beside it (amount and date only).
    const made = await d.db
      .select({ amount: refunds.amount, at: refunds.createdAt })
      .from(refunds)
      .where(and(eq(refunds.sessionId, row.sessionId), eq(refunds.status, 'succeeded')))
      .orderBy(asc(refunds.createdAt))
    const answer: ReceiptAnswer = {
      ...receipt,
      refunds: made.map((r) => ({ amount: r.amount, at: r.at.toISOString() })),
      refunded: made.reduce((sum, r) => sum + r.amount, 0),
    }
    if (!wantsPdf) return c.json(answer)
    const pdf = await renderReceiptPdf(answer)
    return c.body(new Uint8Array(pdf), 200, {
      'content-type': 'application/pdf',
      'content-disposition': `inline; filename="kvitto-${number}.pdf"`,
    })
  })
}
