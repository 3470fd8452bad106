import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { eq } from 'drizzle-orm'
import QRCode from 'qrcode'
import type { AppContext } from '../app'
import { notFound } from '../errors'
import { parseChargerRef } from '../domain/charger-ref'
import { chargers, connectors } from '../store/schema'
import type { ChargerView } from '../views'
import type { AppEnv } from '../auth/viewer'
import { forViewer } from '../chargers/view'

const chargerNotFound = () =>
  notFound('charger_not_found', 'We could not find that charger. Check the code on the charger, or scan its QR code again.')

export function chargerRoutes(d: AppContext) {
  /** A charger id, an EVSE id or a scanned QR URL, to the charger's id. */
  async function resolve(ref: string): Promise<string> {
    const parsed = parseChargerRef(ref)
    if (!parsed) throw chargerNotFound()
    if (parsed.kind === 'charger') {
      const [row] = await d.db.select({ id: chargers.id }).from(chargers).where(eq(chargers.id, parsed.chargerId))
      if (row) return row.id
      // Charger ids are matched exactly first, then without regard to case, as people type them.
      const all = await d.db.select({ id: chargers.id }).from(chargers)
      const match = all.find((c) => c.id.toLowerCase() === parsed.chargerId.toLowerCase())
      if (match) return match.id
      throw chargerNotFound()
    }
    const [row] = await d.db.select({ id: connectors.chargerId }).from(connectors).where(eq(connectors.evseId, parsed.evseId))
    if (!row) throw chargerNotFound()
    return row.id
  }

  return new Hono<AppEnv>()
    .get('/:ref/events', async (c) => {
      const id = await resolve(c.req.param('ref'))
      const first = await d.chargerView(id)
      // The driver's start methods are worked out once per stream; live changes are about connectors.
      const mine = first ? await forViewer(d.db, first, c.get('viewer')?.userId ?? null, d.sessions.clock()) : null
      const personal = (view: ChargerView): ChargerView =>
        mine ? { ...view, startMethods: mine.startMethods, grant: mine.grant, grantRefused: mine.grantRefused } : view
      return streamSSE(c, async (stream) => {
        let closed = false
        const send = (view: ChargerView) => stream.writeSSE({ event: 'charger', data: JSON.stringify(personal(view)) }).catch(() => {})
        const unsubscribe = d.chargerFeed.subscribe(id, (view) => void send(view))
        stream.onAbort(() => {
          closed = true
          unsubscribe()
        })
        const view = await d.chargerView(id)
        if (view) await send(view)
        while (!closed) {
          await stream.sleep(15_000)
          if (!closed) await stream.write(': keep-alive\n\n').catch(() => {})
        }
      })
    })
    .get('/:ref/qr.svg', async (c) => {
      const view = await d.chargerView(await resolve(c.req.param('ref')))
      if (!view) throw chargerNotFound()
      const svg = await QRCode.toString(view.qrUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
      return c.body(svg, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=3600' })
    })
    .get('/:ref', async (c) => {
      const view = await d.chargerView(await resolve(c.req.param('ref')))
      if (!view) throw chargerNotFound()
      return c.json(await forViewer(d.db, view, c.get('viewer')?.userId ?? null, d.sessions.clock()))
    })
}
