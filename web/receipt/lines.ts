/**
 * A receipt's words, shared by the receipt page and the PDF (bff/receipts/pdf.ts) so both say the
 * same: line names by type in the reader's language, quantities and prices formatted for it.
 */
import type { ReceiptLineView } from '../../bff/views'
import { formatKwh, formatPrice, formatSpan, type UiLocale } from '../format'

export type Translate = (key: string, values?: Record<string, unknown>) => string

/** The lines a reader needs: the energy always, the others when something was counted ("Idle fee 0 s" is noise). */
export const shownLines = (lines: ReceiptLineView[]) => lines.filter((line) => line.type === 'energy' || line.quantity > 0 || line.amount > 0)

/** "Energi" and "0,418 kWh × 4,95 kr/kWh"; a start fee has only its price. */
export function lineText(line: ReceiptLineView, currency: string, locale: UiLocale, t: Translate): { name: string; detail: string } {
  const price = formatPrice(line.unitPrice, currency, locale)
  const name = t(`price.${line.type}`)
  switch (line.type) {
    case 'energy':
      return { name, detail: t('receipt.lineDetail', { quantity: `${formatKwh(line.quantity, locale)}\u00a0kWh`, unitPrice: t('price.perKwh', { price }) }) }
    case 'time':
    case 'idle':
      return { name, detail: t('receipt.lineDetail', { quantity: formatSpan(line.quantity, locale), unitPrice: t('price.perMinute', { price }) }) }
    case 'session':
      return { name, detail: t('price.perSession', { price }) }
  }
}
