import PDFDocument from 'pdfkit'
import QRCode from 'qrcode'
import type { ReceiptAnswer, ReceiptRefundView, ReceiptView } from '../views'
import type { Charge } from '../domain/charge'
import { cardBrandName } from '../domain/card-brand'
import { formatPercent, formatPrice, formatReceiptTime, type UiLocale } from '../../web/format'
import { lineText, shownLines } from '../../web/receipt/lines'
import { wordsFor } from './wording'

/** The PDF as support mails it or a driver downloads it: the receipt, the refunds since, and the link back when there is one. */
export type ReceiptDocument = ReceiptView & { refunds?: ReceiptRefundView[] } & Partial<Pick<ReceiptAnswer, 'link' | 'timeZone'>>

const page = { width: 595.28, height: 841.89 }
/** One column at about the width of a till receipt, centred on A4: label left, amount right. */
const column = { width: 340, x: (page.width - 340) / 2 }
const amountWidth = 110
const ink = '#111111'
const muted = '#555555'

/**
 * pdfkit's built-in Helvetica speaks WinAnsi: Swedish, Norwegian, Danish, Finnish and German
 * letters are there, but not the minus sign or the narrow no-break space some locales format with.
 */
const printable = (text: string) => text.replace(/\u2212/g, '-').replace(/[\u202f\u2009]/g, ' ').replace(/\u2011/g, '-')

/**
 * The receipt as a PDF in one language (Swedish unless asked otherwise): a Swedish simplified
 * invoice (kvitto, förenklad faktura) with the seller, its org and VAT numbers, the number, the
 * times on the site's clock, what was sold, VAT, the payment, and a QR code back to the receipt;
 * or the full invoice with its buyer when support reissued it.
 */
export async function renderReceiptPdf(r: ReceiptDocument, language: UiLocale = 'sv'): Promise<Buffer> {
  const t = wordsFor(language)
  const money = (minor: number) => formatPrice(minor, r.currency, language)
  const less = (minor: number) => `–${money(minor)}`
  const timeZone = r.timeZone ?? 'Europe/Stockholm'
  const when = (iso: string | null) => (iso ? formatReceiptTime(iso, language, timeZone) : '–')
  const invoice = r.kind === 'invoice'
  const title = invoice ? t('receipt.invoiceKind') : t('receipt.title')

  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 56, bottom: 48, left: column.x, right: column.x },
    info: { Title: printable(`${title} ${r.number}`), Author: printable(r.seller.legalName) },
    lang: language,
  })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })

  const text = (value: string, o: { bold?: boolean; size?: number; color?: string; gap?: number } = {}) => {
    doc.font(o.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(o.size ?? 10).fillColor(o.color ?? ink)
    doc.text(printable(value), column.x, doc.y, { width: column.width })
    if (o.gap) doc.moveDown(o.gap)
  }
  /** A label on the left, a value on the right; the taller of the two sets the next line. */
  const row = (label: string, value: string, o: { bold?: boolean; size?: number; color?: string } = {}) => {
    const y = doc.y
    doc.font(o.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(o.size ?? 10).fillColor(o.color ?? ink)
    doc.text(printable(label), column.x, y, { width: column.width - amountWidth - 8 })
    const below = doc.y
    doc.text(printable(value), column.x + column.width - amountWidth, y, { width: amountWidth, align: 'right' })
    doc.y = Math.max(below, doc.y)
  }
  const fact = (label: string, value: string) => {
    const y = doc.y
    doc.font('Helvetica').fontSize(9).fillColor(muted).text(printable(label), column.x, y, { width: 100 })
    doc.font('Helvetica').fontSize(10).fillColor(ink).text(printable(value), column.x + 104, y, { width: column.width - 104 })
    doc.moveDown(0.15)
  }
  const rule = (weight = 0.5) => {
    doc.moveDown(0.4)
    doc.moveTo(column.x, doc.y).lineTo(column.x + column.width, doc.y).lineWidth(weight).strokeColor(ink).stroke()
    doc.moveDown(0.5)
  }

  text(title, { bold: true, size: 22 })
  if (!invoice) text(t('receipt.kind'), { size: 11, color: muted })
  if (r.replaces) text(t('receipt.replaces', { number: r.replaces }), { size: 10, color: muted })
  doc.moveDown(0.8)

  text(r.seller.legalName, { bold: true })
  text(r.seller.address)
  text(`${t('receipt.orgNumber')} ${r.seller.orgNumber}`)
  text(`${t('receipt.vatNumber')} ${r.seller.vatNumber}`)
  if (r.buyer) {
    doc.moveDown(0.6)
    text(t('receipt.buyer'), { size: 9, color: muted })
    text(r.buyer.name, { bold: true })
    text(r.buyer.address)
    text(`${t('receipt.orgNumber')} ${r.buyer.orgNumber}`)
  }
  doc.moveDown(0.8)

  fact(t('receipt.number'), r.number)
  fact(t('receipt.issued'), when(r.issuedAt))
  fact(t('receipt.site'), `${r.site.name}, ${r.site.address}`)
  fact(t('receipt.charger'), `${r.charger.id} · ${t('charger.connectorName', { id: r.charger.connectorId })}`)
  fact(t('receipt.evse'), r.charger.evseId)
  fact(t('receipt.started'), when(r.startedAt))
  fact(t('receipt.stopped'), when(r.stoppedAt))
  rule()

  for (const line of shownLines(r.lines)) {
    const words = lineText(line, r.currency, language, t)
    row(words.name, money(line.amount))
    text(words.detail, { size: 9, color: muted, gap: 0.35 })
  }
  // Receipts issued before the charge was written down have none; their lines add up to the total.
  const charge = r.charge as Charge | undefined
  if (charge && charge.basis !== 'invoiced_by_owner' && charge.cost > r.total) {
    row(t(`receipt.notCharged.${charge.basis}`), less(charge.cost - r.total))
  }
  rule(1)
  const grant = r.payment.method === 'grant'
  row(grant ? t('receipt.invoicedTotal') : t('receipt.total'), money(r.total), { bold: true, size: 13 })
  doc.moveDown(0.2)
  row(t('receipt.vat', { rate: formatPercent(r.vatRate, language) }), money(r.vat))
  row(t('receipt.net'), money(r.net))

  const why = explanation(r, charge, t, money)
  if (why) {
    doc.moveDown(0.8)
    text(why, { bold: true, size: 10 })
  }
  rule()

  const p = r.payment
  text(t('receipt.payment'), { bold: true, gap: 0.2 })
  text(p.card ? t('receipt.card', { brand: cardBrandName(p.card.brand), last4: p.card.last4 }) : t(`receipt.method.${p.method}`), { gap: 0.2 })
  if (p.method === 'card') {
    row(t('receipt.hold'), money(p.holdAmount))
    row(t('receipt.captured'), money(p.captured))
    row(t('receipt.released'), money(p.released))
  }
  if (!charge && r.capReduction > 0) row(t('receipt.capReduction'), less(r.capReduction))
  for (const refund of r.refunds ?? []) row(`${t('receipt.refunded')} ${when(refund.at)}`, less(refund.amount))

  if (r.link) {
    rule()
    const top = doc.y
    drawQr(doc, r.link, column.x - 4, top, 84)
    doc.font('Helvetica-Bold').fontSize(10).fillColor(ink).text(printable(t('receipt.qr')), column.x + 96, top + 8, { width: column.width - 96 })
    doc.font('Helvetica').fontSize(8).fillColor(muted).text(r.link, column.x + 96, doc.y + 2, { width: column.width - 96, link: r.link })
    doc.y = Math.max(doc.y, top + 84)
  }
  doc.end()
  return done
}

/** Why the total is what it is, when it is not simply what the card was charged. */
function explanation(r: ReceiptView, charge: Charge | undefined, t: ReturnType<typeof wordsFor>, money: (minor: number) => string): string | null {
  if (charge && charge.basis !== 'card') return t(`receipt.basis.${charge.basis}`, { minimum: money(charge.minimumCharge) })
  return r.nothingCharged ? t('receipt.nothingCharged') : null
}

/** The QR code as vector squares: sharp at any zoom and in print. */
function drawQr(doc: PDFKit.PDFDocument, link: string, x: number, y: number, size: number) {
  const { modules } = QRCode.create(link, { errorCorrectionLevel: 'M' })
  const quiet = 2
  const cell = size / (modules.size + quiet * 2)
  doc.save().fillColor('#000000')
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) doc.rect(x + (col + quiet) * cell, y + (row + quiet) * cell, cell, cell)
    }
  }
  doc.fill().restore()
}
