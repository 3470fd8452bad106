/** The monthly statement as a PDF, in the owner's language, with the words of the owner's page. */
import PDFDocument from 'pdfkit'
import { formatPrice, type UiLocale } from '../../../web/format'
import { collectionEn } from '../../../web/locales/collection.en'
import { collectionSv } from '../../../web/locales/collection.sv'
import { collectionNb } from '../../../web/locales/collection.nb'
import { collectionDa } from '../../../web/locales/collection.da'
import { collectionFi } from '../../../web/locales/collection.fi'
import { collectionDe } from '../../../web/locales/collection.de'
import type { Statement } from './statement'

const words: Record<UiLocale, typeof collectionEn> = { en: collectionEn, sv: collectionSv, nb: collectionNb, da: collectionDa, fi: collectionFi, de: collectionDe }

/** pdfkit's Helvetica speaks WinAnsi: no minus sign or narrow no-break space. */
const printable = (text: string) => text.replace(/\u2212/g, '-').replace(/[\u202f\u2009]/g, ' ')

export async function statementPdf(s: Statement, language: UiLocale): Promise<Buffer> {
  const w = words[language].statement
  const money = (minor: number) => formatPrice(minor, s.currency, language)
  const kwh = (wh: number) => `${(wh / 1000).toLocaleString(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} kWh`
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: printable(`${w.heading.replace('{month}', s.month)} ${s.siteName}`) }, lang: language })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  const width = doc.page.width - 112
  const row = (label: string, value: string, bold = false) => {
    const y = doc.y
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(10)
    doc.text(printable(label), 56, y, { width: width - 160 })
    const below = doc.y
    doc.text(printable(value), 56 + width - 150, y, { width: 150, align: 'right' })
    doc.y = Math.max(below, doc.y)
  }
  doc.font('Helvetica-Bold').fontSize(18).text(printable(w.heading.replace('{month}', s.month)))
  doc.font('Helvetica').fontSize(11).text(printable(s.siteName)).moveDown()
  row(w.sessions, String(s.totals.sessions))
  row(w.energy, kwh(s.totals.energyWh))
  row(w.gross, money(s.totals.gross))
  row(w.vat, money(s.totals.vat))
  row(w.fees, `-${money(s.totals.fees)}`)
  row(w.feesRefunded, money(s.totals.feesRefunded))
  row(w.refunds, `-${money(s.totals.refunds)}`)
  row(w.net, money(s.totals.net), true)
  doc.moveDown()
  for (const l of s.sessions) row(`${l.receiptNumber ?? l.sessionId} · ${l.stoppedAt?.slice(0, 10) ?? ''} · ${kwh(l.energyWh)}`, `${money(l.gross)} (-${money(l.fee)})`)
  for (const r of s.refunds) row(`${w.refund} ${r.refundId} · ${r.at.slice(0, 10)}`, `-${money(r.amount)} (+${money(r.feeRefunded)})`)
  doc.end()
  return done
}
