import type { ReceiptAnswer } from '../../bff/views'
import { api } from './client'
import { call } from './http'

const receipt = (number: string, token: string) => ({ param: { number: encodeURIComponent(number) }, query: { t: token } })

/** The route also serves the PDF, so its JSON is typed here. */
export const fetchReceipt = (number: string, token: string) =>
  call(api.receipts[':number'].$get(receipt(number, token))) as Promise<ReceiptAnswer>

/** The PDF, in Swedish unless another of the app's languages is named. */
export const receiptPdfUrl = (number: string, token: string, lang?: string) =>
  `/api/receipts/${encodeURIComponent(number)}.pdf?t=${encodeURIComponent(token)}${lang ? `&lang=${lang}` : ''}`

/** Splits a session's `receipt.url` (`…/api/receipts/NUMBER?t=TOKEN`) into the page route's parts. */
export function receiptRoute(url: string): { number: string; token: string } {
  const parsed = new URL(url, 'http://receipt.invalid')
  const number = decodeURIComponent(parsed.pathname.split('/').pop() ?? '')
  return { number, token: parsed.searchParams.get('t') ?? '' }
}
