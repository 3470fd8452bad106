import { createMiddleware } from 'hono/factory'
import { getConnInfo } from '@hono/node-server/conninfo'
import { AppError } from '../errors'

/**
 * A fixed-window limit per client address. In one process this is enough; behind a load balancer
 * each instance limits on its own (the limit is a brake against abuse, not a quota).
 */
export function rateLimit(opts: { max: number; windowMs: number; name: string }) {
  const hits = new Map<string, { count: number; resetAt: number }>()
  return createMiddleware(async (c, next) => {
    const now = Date.now()
    const client = clientAddress(c)
    let entry = hits.get(client)
    if (!entry || entry.resetAt <= now) {
      if (hits.size > 10_000) for (const [k, v] of hits) if (v.resetAt <= now) hits.delete(k)
      entry = { count: 0, resetAt: now + opts.windowMs }
      hits.set(client, entry)
    }
    entry.count++
    if (entry.count > opts.max) {
      c.header('Retry-After', String(Math.ceil((entry.resetAt - now) / 1000)))
      throw new AppError(429, 'rate_limited', `Too many ${opts.name} requests from this device. Wait a minute and try again.`)
    }
    await next()
  })
}

function clientAddress(c: Parameters<Parameters<typeof createMiddleware>[0]>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'unknown' // app.request() in tests has no socket
  }
}
