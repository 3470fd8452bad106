import { Hono } from 'hono'
import { and, eq } from 'drizzle-orm'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { PaymentError, type PaymentEvent } from '../payments/provider'
import { SitePayments } from '../payments/collection/router'
import { refreshConnectedAccount } from '../payments/collection/onboarding'
import { collectedHolds } from '../payments/collection/schema'
import { sessionEvents, sessions, webhookEvents } from '../store/schema'

/**
 * Stripe's events, signature checked on the raw body: the platform account's at /stripe, its
 * connected accounts' at /stripe/connect (the Connect endpoint's own secret), a site's own Stripe
 * account's at /stripe/sites/:siteId (checked with that site's webhook secret). Each
 * event is handled once (replays are no-ops) and in any order: the handlers only move a session
 * forward from what the provider reports now, never back.
 */
export function webhookRoutes(d: AppContext) {
  async function verified(parse: () => Promise<PaymentEvent>): Promise<PaymentEvent> {
    try {
      return await parse()
    } catch (error) {
      if (error instanceof PaymentError) throw new AppError(400, error.code, error.message)
      throw error
    }
  }

  /** `ownSite`: the event came from that site's own account, and may speak only of that site's own-account holds. */
  async function handle(event: PaymentEvent, ownSite?: string): Promise<void> {
    // Marked seen only after its effect: a crash in between leaves Stripe's retry welcome (every effect is idempotent).
    const [seen] = await d.db.select({ id: webhookEvents.id }).from(webhookEvents).where(eq(webhookEvents.id, event.id))
    if (seen) return
    const [session] = event.holdId
      ? ownSite
        ? (
            await d.db
              .select({ session: sessions })
              .from(sessions)
              .innerJoin(collectedHolds, and(eq(collectedHolds.paymentId, sessions.paymentId), eq(collectedHolds.siteId, ownSite), eq(collectedHolds.mode, 'own')))
              .where(eq(sessions.paymentId, event.holdId))
          ).map((r) => r.session)
        : await d.db.select().from(sessions).where(eq(sessions.paymentId, event.holdId))
      : []
    if (session) {
      await d.db.insert(sessionEvents).values({ sessionId: session.id, kind: 'webhook', data: { id: event.id, type: event.providerType } })
      // The driver's phone may lose signal right after paying: the hold itself is enough to start.
      if (event.type === 'hold_placed' && session.state === 'pending') {
        await d.sessions.authorize(session).catch((error) => d.logger.warn({ err: error, session: session.id }, 'start from webhook failed'))
      }
      // Cancelled or expired at the provider: the session must not go on as if it were paid.
      if (event.type === 'released') await d.sessions.holdCanceled(session.id)
    }
    // An owner finished (or fell behind on) onboarding: card payments at the site follow what Stripe says.
    if (!ownSite && event.providerType === 'account.updated' && event.account && d.payments instanceof SitePayments) {
      await refreshConnectedAccount(d.db, d.payments, event.account, d.sessions.clock())
    }
    await d.db.insert(webhookEvents).values({ id: event.id, type: event.providerType }).onConflictDoNothing()
  }

  return new Hono()
    .post('/stripe', async (c) => {
      const raw = await c.req.text()
      await handle(await verified(() => d.payments.parseWebhook(raw, c.req.header('stripe-signature'))))
      return c.json({ received: true })
    })
    .post('/stripe/connect', async (c) => {
      const payments = d.payments
      if (!(payments instanceof SitePayments)) throw new AppError(404, 'not_found', 'No Connect events are taken here.')
      const raw = await c.req.text()
      await handle(await verified(() => payments.parseConnectWebhook(raw, c.req.header('stripe-signature'))))
      return c.json({ received: true })
    })
    .post('/stripe/sites/:siteId', async (c) => {
      const payments = d.payments
      if (!(payments instanceof SitePayments)) throw new AppError(404, 'not_found', 'No site collects on its own Stripe account here.')
      const raw = await c.req.text()
      const siteId = c.req.param('siteId')
      await handle(await verified(() => payments.parseSiteWebhook(siteId, raw, c.req.header('stripe-signature'))), siteId)
      return c.json({ received: true })
    })
}
