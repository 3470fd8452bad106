import PDFDocument from 'pdfkit'
import type { ReceiptRefundView, ReceiptView } from '../views'
import type { Charge, ChargeBasis } from '../domain/charge'

const lineNames: Record<ReceiptView['lines'][number]['type'], string> = {
  energy: 'Energi / Energy',
  time: 'Laddtid / Charging time',
  session: 'Startavgift / Session fee',
  idle: 'Blockeringsavgift / Idle fee',
}

/** The line that takes off what the lines add up to beyond the total. */
const notChargedNames: Record<Exclude<ChargeBasis, 'invoiced_by_owner'>, string> = {
  card: 'Ej debiterat utöver reservationen / Not charged above your hold',
  below_minimum: 'Under minsta kortbelopp / Under the smallest card amount',
  nothing_used: 'Ingen energi levererad / No energy delivered',
  free: 'Fri laddning / Free charging',
}

/** Why the total is what it is, when it is not simply what the card was charged. */
function explanation(charge: Charge | undefined, nothingCharged: boolean, money: (minor: number) => string): string | null {
  switch (charge?.basis) {
    case 'below_minimum':
      return `Inget debiterades: under minsta kortbelopp ${money(charge.minimumCharge)}; reservationen har släppts. / `
        + `Not charged: under the smallest card amount of ${money(charge.minimumCharge)}; the hold was released.`
    case 'nothing_used':
      return 'Inget debiterades: ingen energi levererades; reservationen har släppts. / Nothing was charged: no energy was delivered; the hold was released.'
    case 'invoiced_by_owner':
      return 'Kostnaden faktureras av laddarens ägare enligt dina åtkomstvillkor; inget kort debiterades. / '
        + "The cost is invoiced by the charger's owner under your access terms; no card was charged."
    case 'free':
      return 'Fri laddning: inget debiterades. / Free to use: nothing was charged.'
    default:
      return nothingCharged ? 'Inget debiterades / Nothing was charged.' : null
  }
}

/**
 * The receipt as an A4 PDF, bilingual Swedish/English: the seller's simplified invoice, or a full
 * invoice with the buyer when support reissued it. Refunds made since are listed under it.
 */
export function renderReceiptPdf(r: ReceiptView & { refunds?: ReceiptRefundView[] }): Promise<Buffer> {
  const money = (minor: number) =>
    new Intl.NumberFormat('sv-SE', { style: 'currency', currency: r.currency }).format(minor / 100)
  const when = (iso: string | null) =>
    iso ? new Intl.DateTimeFormat('sv-SE', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Europe/Stockholm' }).format(new Date(iso)) : '–'

  const invoice = r.kind === 'invoice'
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `${invoice ? 'Faktura' : 'Kvitto'} ${r.number}`, Author: r.seller.legalName } })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })

  doc.font('Helvetica-Bold').fontSize(20).text(invoice ? 'Faktura / Invoice' : 'Kvitto / Receipt')
  doc.font('Helvetica').fontSize(10).moveDown(0.3).text(`Nr ${r.number}   ·   ${when(r.issuedAt)}`)
  if (r.replaces) doc.text(`Ersätter kvitto / Replaces receipt ${r.replaces}`)
  doc.moveDown()
  doc.font('Helvetica-Bold').text(r.seller.legalName)
  doc.font('Helvetica').text(r.seller.address)
  doc.text(`Org.nr ${r.seller.orgNumber}   ·   Momsreg.nr / VAT ${r.seller.vatNumber}`)
  doc.moveDown()
  if (r.buyer) {
    doc.font('Helvetica-Bold').text(`Köpare / Buyer: ${r.buyer.name}`)
    doc.font('Helvetica').text(r.buyer.address)
    doc.text(`Org.nr ${r.buyer.orgNumber}`)
    doc.moveDown()
  }
  doc.text(`Plats / Site: ${r.site.name}, ${r.site.address}`)
  doc.text(`Laddare / Charger: ${r.charger.id}, uttag / connector ${r.charger.connectorId} (${r.charger.evseId})`)
  doc.text(`Start: ${when(r.startedAt)}   Stopp / Stop: ${when(r.stoppedAt)}`)
  doc.text(`Energi / Energy: ${r.energyKwh} kWh`)
  doc.moveDown()

  const table = (left: string, mid: string, right: string, bold = false) => {
    const y = doc.y
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica')
    doc.text(left, 56, y, { width: 230 })
    doc.text(mid, 290, y, { width: 150 })
    doc.text(right, 440, y, { width: 99, align: 'right' })
    doc.moveDown(0.4)
  }
  for (const line of r.lines) {
    const unit = line.type === 'energy' ? '/kWh' : line.type === 'session' ? '' : '/min'
    table(lineNames[line.type], `${line.description} à ${money(line.unitPrice)}${unit}`, money(line.amount))
  }
  // Receipts issued before the charge was written down have none; their lines add up to the total.
  const charge = r.charge as Charge | undefined
  if (charge && charge.basis !== 'invoiced_by_owner' && charge.cost > r.total) {
    table(notChargedNames[charge.basis], '', `-${money(charge.cost - r.total)}`)
  }
  doc.moveTo(56, doc.y).lineTo(539, doc.y).stroke().moveDown(0.4)
  const grant = r.payment.method === 'grant'
  table(grant ? 'Faktureras av ägaren / Invoiced by the owner (inkl. moms)' : 'Att betala / Total (inkl. moms)', '', money(r.total), true)
  table(`Varav moms / VAT ${Math.round(r.vatRate * 100)} %`, '', money(r.vat))
  table('Netto / Net', '', money(r.net))
  doc.moveDown()
  const why = explanation(charge, r.nothingCharged, money)
  if (why) doc.font('Helvetica-Bold').text(why).font('Helvetica')
  const p = r.payment
  if (p.card) doc.text(`Kort / Card: ${p.card.brand.toUpperCase()} •••• ${p.card.last4}`)
  if (p.method === 'card') {
    doc.text(`Reserverat / Hold: ${money(p.holdAmount)}   Dragits / Captured: ${money(p.captured)}   Frigjort / Released: ${money(p.released)}`)
  }
  for (const refund of r.refunds ?? []) doc.text(`Återbetalt / Refunded ${when(refund.at)}: ${money(refund.amount)}`)
  doc.end()
  return done
}
