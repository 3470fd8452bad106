import { Hono } from 'hono'
import { desc } from 'drizzle-orm'
import type { AppContext } from '../app'
import { notFound } from '../errors'
import { outbox } from '../store/schema'
import type { AppEnv } from '../auth/viewer'

/**
 * The development outbox: mail that would have gone out (sign-in codes), readable by anyone. Only in
 * the embedded demo (LADDPUNKT_MODE=demo) and only without real mail: it hands out every sign-in code.
 */
export function devRoutes(d: AppContext) {
  const enabled = d.demo && d.mailer.kind === 'outbox'
  return new Hono<AppEnv>().get('/outbox', async (c) => {
    if (!enabled) throw notFound('not_found', 'No such endpoint: GET /api/dev/outbox')
    const rows = await d.db.select().from(outbox).orderBy(desc(outbox.id)).limit(50)
    return c.json({ mails: rows.map((m) => ({ id: m.id, to: m.to, subject: m.subject, text: m.text, createdAt: m.createdAt.toISOString() })) })
  })
}
