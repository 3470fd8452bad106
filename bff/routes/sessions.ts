import { Hono, type Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import { z } from 'zod'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { tokenMatches } from '../secrets'
import { receiptTokenFor } from '../sessions/tokens'
import { withReceiptLink } from '../sessions/view'
import type { SessionRow } from '../sessions/service'
import type { SessionView } from '../views'
import { rateLimit } from './rate-limit'
import type { AppEnv } from '../auth/viewer'
import { json } from './validation'

const createBody = z.object({
  chargerId: z.string().min(1).max(48),
  connectorId: z.number().int().min(1).max(99),
  method: z.enum(['card', 'grant', 'open']),
  capAmount: z.number().int().positive().optional(),
})

const stopByCardBody = z.object({
  chargerId: z.string().min(1).max(48),
  paymentMethod: z.string().min(1).max(255),
})

/** The stop token from `Authorization: Bearer …`, or `?t=` where headers cannot be set (EventSource). */
function stopTokenOf(c: Context): string | null {
  const header = c.req.header('authorization')
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim()
  return c.req.query('t') ?? null
}

const noSuchSession = () => new AppError(404, 'session_not_found', 'No such session, or this device may not see it.')

function idempotencyKeyOf(c: Context): string | undefined {
  const key = c.req.header('idempotency-key')
  if (key === undefined) return undefined
  if (key.length < 16 || key.length > 255) {
    throw new AppError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 16 to 255 characters (a random UUID is ideal).')
  }
  return key
}

/** How the caller may see a session: with the device's stop token, or as the signed-in driver it belongs to. */
type Access = { token: string } | { account: true }

export function sessionRoutes(d: AppContext) {
  /** The session, if the caller may see and steer it. A wrong token looks like no session at all. */
  async function authorized(c: Context<AppEnv>, id: string): Promise<{ session: SessionRow; access: Access }> {
    const token = stopTokenOf(c)
    const session = await d.sessions.get(id).catch(() => null)
    if (session && token && tokenMatches(token, session.stopTokenHash)) return { session, access: { token } }
    const viewer = c.get('viewer')
    if (session && viewer && session.userId === viewer.userId) return { session, access: { account: true } }
    throw noSuchSession()
  }

  /** The receipt link: with its token for the device, without one for the account (the receipt route knows the owner). */
  function receiptLink(view: SessionView, access: Access): SessionView {
    if ('token' in access) return withReceiptLink(view, d.publicUrl, receiptTokenFor(access.token))
    if (!view.receipt) return view
    return { ...view, receipt: { number: view.receipt.number, url: `${d.publicUrl}/api/receipts/${encodeURIComponent(view.receipt.number)}` } }
  }

  async function snapshot(session: SessionRow, access: Access): Promise<SessionView> {
    return receiptLink(await d.sessionFeedView(session), access)
  }

  return new Hono<AppEnv>()
    .post('/', rateLimit({ name: 'start', max: d.limits.sessionsPerMinute, windowMs: 60_000 }), json(createBody), async (c) => {
      const body = c.req.valid('json')
      const created = await d.sessions.create({ ...body, idempotencyKey: idempotencyKeyOf(c), userId: c.get('viewer')?.userId ?? null })
      const payment = created.clientSecret
        ? {
            clientSecret: created.clientSecret,
            holdAmount: created.session.holdAmount,
            currency: created.session.currency,
            ...d.payments.publicConfig(),
          }
        : null
      return c.json({ session: await snapshot(created.session, { token: created.stopToken }), payment, stopToken: created.stopToken }, 201)
    })
    .post('/stop-by-card', rateLimit({ name: 'stop-by-card', max: d.limits.stopByCardPerMinute, windowMs: 60_000 }), json(stopByCardBody), async (c) => {
      const { chargerId, paymentMethod } = c.req.valid('json')
      const session = await d.sessions.stopByCard(chargerId, paymentMethod)
      // The card holder proved the card, not the device: they get the state, not the stop token.
      return c.json({ session: await d.sessionFeedView(session) })
    })
    .post('/:id/authorize', async (c) => {
      const { session, access } = await authorized(c, c.req.param('id'))
      const updated = await d.sessions.authorize(session.id)
      return c.json({ session: await snapshot(updated, access) })
    })
    .get('/:id', async (c) => {
      const { session, access } = await authorized(c, c.req.param('id'))
      return c.json(await snapshot(session, access))
    })
    .post('/:id/stop', async (c) => {
      const { session, access } = await authorized(c, c.req.param('id'))
      const updated = await d.sessions.stop(session.id, 'driver')
      return c.json({ session: await snapshot(updated, access) })
    })
    .post('/:id/cancel', async (c) => {
      const { session, access } = await authorized(c, c.req.param('id'))
      const updated = await d.sessions.cancel(session.id)
      return c.json({ session: await snapshot(updated, access) })
    })
    .get('/:id/events', async (c) => {
      const { session, access } = await authorized(c, c.req.param('id'))
      const lastSeen = Number(c.req.header('last-event-id') ?? NaN)
      return streamSSE(c, async (stream) => {
        let closed = false
        const send = (view: SessionView) =>
          stream
            .writeSSE({ event: 'session', id: String(view.version), data: JSON.stringify(receiptLink(view, access)) })
            .catch(() => {})
        const unsubscribe = d.sessionFeed.subscribe(session.id, (view) => void send(view))
        stream.onAbort(() => {
          closed = true
          unsubscribe()
        })
        const current = await d.sessionFeedView(await d.sessions.get(session.id))
        if (!(current.version <= lastSeen)) await send(current)
        while (!closed) {
          await stream.sleep(15_000)
          if (!closed) await stream.write(': keep-alive\n\n').catch(() => {})
        }
      })
    })
}
