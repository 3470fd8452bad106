import { Hono } from 'hono'
import { eq } from 'drizzle-orm'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { normalizeReceiptNumber } from '../domain/receipt'
import { receipts } from '../store/schema'
import { tokenMatches } from '../secrets'
import { renderReceiptPdf } from '../receipts/pdf'
import type { ReceiptView } from '../views'

const noSuchReceipt = () => new AppError(404, 'receipt_not_found', 'No such receipt, or the link is incomplete.')

export function receiptRoutes(d: AppContext) {
  return new Hono().get('/:number', async (c) => {
    const raw = c.req.param('number')
    const wantsPdf = raw.endsWith('.pdf') || (c.req.header('accept') ?? '').includes('application/pdf')
    const number = normalizeReceiptNumber(raw.replace(/\.pdf$/, ''))
    const token = c.req.query('t')
    if (!number || !token) throw noSuchReceipt()
    const [row] = await d.db.select().from(receipts).where(eq(receipts.number, number))
    if (!row || !tokenMatches(token, row.tokenHash)) throw noSuchReceipt()
    const receipt = row.content as unknown as ReceiptView
    if (!wantsPdf) return c.json(receipt)
    const pdf = await renderReceiptPdf(receipt)
    return c.body(new Uint8Array(pdf), 200, {
      'content-type': 'application/pdf',
      'content-disposition': `inline; filename="kvitto-${number}.pdf"`,
    })
  })
}
