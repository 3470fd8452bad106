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
import { claimIdempotencyKey } from '../http/idempotency'
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

/** The stop token, from `Authorization: Bearer …` only: never in a URL, where proxies log it. */
function stopTokenOf(c: Context): string | null {
  const header = c.req.header('authorization')
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim()
  return null
}

/** How long an EventSource ticket opens the stream: long enough to connect, short enough not to matter in a log. */
const eventsTicketSeconds = 60

const noSuchSession = () => new AppError(404, 'session_not_found', 'No such session, or this device may not see it.')

function idempotencyKeyOf(c: Context): string | undefined {
  const key = c.req.header('idempotency-key')
  if (key === undefined) return undefined
  if (key.length < 16 || key.length > 255) {
    throw new AppError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 16 to 255 characters (a random UUID is ideal).')
  }
  return key
}

/**
 * How the caller may see a session: with the device's stop token, as the signed-in driver it belongs
 * to, or with an EventSource ticket that one of those got.
 */
type Access = { token: string } | { account: true } | { ticket: true }

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

  /** The receipt link: with the device's receipt token, else with a share token that works for whoever holds the link. */
  async function receiptLink(view: SessionView, access: Access): Promise<SessionView> {
    if ('token' in access) return withReceiptLink(view, d.publicUrl, receiptTokenFor(access.token))
    if (!view.receipt) return view
    return withReceiptLink(view, d.publicUrl, await d.signer.sign('receipt-share', view.receipt.number))
  }

  async function snapshot(session: SessionRow, access: Access): Promise<SessionView> {
    return receiptLink(await d.sessionFeedView(session), access)
  }

  /** For the event stream: a ticket in the query (EventSource sends no headers), else as any other request. */
  async function watching(c: Context<AppEnv>, id: string): Promise<{ session: SessionRow; access: Access }> {
    const ticket = c.req.query('ticket')
    if (ticket === undefined) return authorized(c, id)
    const session = await d.sessions.get(id).catch(() => null)
    if (session && (await d.signer.checkTicket('session-events', session.id, ticket, d.sessions.clock()))) return { session, access: { ticket: true } }
    throw new AppError(401, 'ticket_expired', 'The ticket for live updates is not valid (any more): get a new one.')
  }

  return new Hono<AppEnv>()
    .post('/', rateLimit(d.limiters.sessionStarts, 'start'), json(createBody), async (c) => {
      const body = c.req.valid('json')
      const idempotencyKey = idempotencyKeyOf(c)
      const userId = c.get('viewer')?.userId ?? null
      if (idempotencyKey) await claimIdempotencyKey(d.db, 'POST /api/sessions', idempotencyKey, { ...body, userId })
      const created = await d.sessions.create({ ...body, idempotencyKey, userId })
      const payment = created.clientSecret
        ? {
            clientSecret: created.clientSecret,
            holdAmount: created.session.holdAmount,
            currency: created.session.currency,
            // A site collecting on its own Stripe account: the browser confirms with that account's key.
            ...(d.payments.holdConfig && created.session.paymentId ? await d.payments.holdConfig(created.session.paymentId) : d.payments.publicConfig()),
          }
        : null
      return c.json({ session: await snapshot(created.session, { token: created.stopToken }), payment, stopToken: created.stopToken }, 201)
    })
    .post('/stop-by-card', rateLimit(d.limiters.stopsByCard, 'stop-by-card'), json(stopByCardBody), async (c) => {
      const { chargerId, paymentMethod } = c.req.valid('json')
      const session = await d.sessions.stopByCard(chargerId, paymentMethod)
      // The card holder proved the card, not the device: they get the state, not the stop token.
      return c.json({ session: await d.sessionFeedView(session) })
    })
    .post('/:id/authorize', async (c) => {
      const { session, access } = await authorized(c, c.req.param('id'))
      const updated = await d.sessions.authorize(session)
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
    .post('/:id/events-ticket', async (c) => {
      const { session } = await authorized(c, c.req.param('id'))
      const expiresAt = new Date(d.sessions.clock().getTime() + eventsTicketSeconds * 1000)
      return c.json({ ticket: await d.signer.ticket('session-events', session.id, expiresAt), expiresAt: expiresAt.toISOString() }, 201)
    })
    .get('/:id/events', async (c) => {
      const { session, access } = await watching(c, c.req.param('id'))
      const lastSeen = Number(c.req.header('last-event-id') ?? NaN)
      return streamSSE(c, async (stream) => {
        let closed = false
        // One write at a time per viewer and at most one snapshot waiting: a slow viewer gets the
        // newest snapshot when it can take one, the ones in between are dropped, nothing piles up.
        let writing = false
        let waiting: SessionView | null = null
        let sentVersion = -Infinity
        const send = async (view: SessionView) => {
          if (writing) {
            if (!waiting || view.version >= waiting.version) waiting = view
            return
          }
          writing = true
          try {
            for (let next: SessionView | null = view; next && !closed; next = waiting, waiting = null) {
              if (next.version <= sentVersion) continue
              sentVersion = next.version
              await stream.writeSSE({ event: 'session', id: String(next.version), data: JSON.stringify(await receiptLink(next, access)) })
            }
          } catch {
            // the viewer went away
          } finally {
            writing = false
          }
        }
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
