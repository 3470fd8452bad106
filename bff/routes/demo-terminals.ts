/**
 * The embedded demo's terminal, driven from the PWA (/demo/terminal/<id>): what its screen shows, the
 * receipt QR code on it as an image, and a "tap" of one of the demo cards. Mounted at
 * /api/demo/terminals only in the demo (LADDPUNKT_MODE=demo) with the simulated terminal running:
 * in production there is no such endpoint. A tap goes through the fake's web hook to us, exactly as
 * a real terminal's card read would.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { and, eq } from 'drizzle-orm'
import QRCode from 'qrcode'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { paymentTerminals } from '../terminals/schema'
import { demoPayterCards, type DemoTerminalCloud } from '../sim/payter-demo'
import { json } from './validation'

const tap = z.object({ cardId: z.string().min(1).max(64) })

export function demoTerminalRoutes(d: AppContext, cloud: DemoTerminalCloud) {
  const terminalOf = async (id: string) => {
    const [t] = await d.db
      .select()
      .from(paymentTerminals)
      .where(and(eq(paymentTerminals.id, id), eq(paymentTerminals.provider, 'payter')))
    if (!t) throw new AppError(404, 'terminal_not_found', 'No such terminal.')
    return t
  }
  const view = (t: typeof paymentTerminals.$inferSelect) => {
    const screen = cloud.screen(t.id)
    return {
      terminal: { id: t.id, chargerId: t.chargerId, connectorIds: t.connectorIds },
      screen: { lines: screen.lines, qrUrl: screen.qrCode },
      scanning: cloud.terminals.get(t.id)?.state === 'READING',
      cards: demoPayterCards.map((c) => ({ id: c.cardId, brand: c.brand, last4: c.last4 })),
    }
  }
  return new Hono()
    .get('/:id', async (c) => c.json(view(await terminalOf(c.req.param('id')))))
    .get('/:id/qr.svg', async (c) => {
      const t = await terminalOf(c.req.param('id'))
      const qr = cloud.screen(t.id).qrCode
      if (!qr) throw new AppError(404, 'no_qr_code', 'The terminal shows no QR code now.')
      const svg = await QRCode.toString(qr, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
      return c.body(svg, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' })
    })
    .post('/:id/tap', json(tap), async (c) => {
      const t = await terminalOf(c.req.param('id'))
      const card = demoPayterCards.find((k) => k.cardId === c.req.valid('json').cardId)
      if (!card) throw new AppError(404, 'card_not_found', 'No such demo card.')
      // The fake calls our web hook and waits for its answer: the screen below is the one after the tap.
      const tapped = await cloud.tap(t.id, card)
      return c.json({ tapped, ...view(t) })
    })
}
