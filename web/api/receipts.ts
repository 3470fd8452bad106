import type { ReceiptView } from '../../bff/views'
import { request } from './http'

export const fetchReceipt = (number: string, token: string) =>
  request<ReceiptView>(`/api/receipts/${encodeURIComponent(number)}?t=${encodeURIComponent(token)}`)

export const receiptPdfUrl = (number: string, token: string) =>
  `/api/receipts/${encodeURIComponent(number)}.pdf?t=${encodeURIComponent(token)}`

/** Splits a session's `receipt.url` (`…/api/receipts/NUMBER?t=TOKEN`) into the page route's parts. */
export function receiptRoute(url: string): { number: string; token: string } {
  const parsed = new URL(url, 'http://receipt.invalid')
  const number = decodeURIComponent(parsed.pathname.split('/').pop() ?? '')
  return { number, token: parsed.searchParams.get('t') ?? '' }
}
