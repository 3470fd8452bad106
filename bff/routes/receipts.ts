import { Hono } from 'hono'
import { eq } from 'drizzle-orm'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { normalizeReceiptNumber } from '../domain/receipt'
import { receipts, sessions } from '../store/schema'
import type { AppEnv } from '../auth/viewer'
import { tokenMatches } from '../secrets'
import { renderReceiptPdf } from '../receipts/pdf'
import { receiptAnswer, receiptPageLink } from '../receipts/document'
import { documentLanguage, documentLanguages } from '../receipts/wording'

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
    const answer = await receiptAnswer(d.db, row, await receiptPageLink(d.signer, d.publicUrl, row.number))
    if (!wantsPdf) return c.json(answer)
    // Swedish unless another of the app's languages is asked for (?lang=en): what a Swedish bookkeeper files.
    const asked = c.req.query('lang')
    if (asked !== undefined && !documentLanguages.includes(asked as never)) {
      throw new AppError(400, 'invalid_request', `lang must be one of ${documentLanguages.join(', ')}.`)
    }
    const language = documentLanguage(asked)
    const pdf = await renderReceiptPdf(answer, language)
    return c.body(new Uint8Array(pdf), 200, {
      'content-type': 'application/pdf',
      'content-disposition': `inline; filename="${answer.kind === 'invoice' ? 'faktura' : 'kvitto'}-${number}.pdf"`,
      'content-language': language,
    })
  })
}
