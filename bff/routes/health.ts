import { Hono } from 'hono'
import type { AppContext } from '../app'
import { takesWrites } from '../store/db'

export function healthRoutes(d: AppContext) {
  return new Hono()
    .get('/healthz', (c) => c.json({ ok: true }))
    .get('/readyz', async (c) => {
      // Answering a select is not enough: a full disk or a read-only replica answers and refuses every write.
      const storage = (await d.store.ping()) && (await takesWrites(d.db))
      const ocpp = d.ocppReady()
      return c.json({ ok: storage && ocpp, storage, ocpp }, storage && ocpp ? 200 : 503)
    })
}
