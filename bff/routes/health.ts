import { Hono } from 'hono'
import type { AppContext } from '../app'

export function healthRoutes(d: AppContext) {
  return new Hono()
    .get('/healthz', (c) => c.json({ ok: true }))
    .get('/readyz', async (c) => {
      const storage = await d.store.ping()
      const ocpp = d.ocppReady()
      return c.json({ ok: storage && ocpp, storage, ocpp }, storage && ocpp ? 200 : 503)
    })
}
