/**
 * One structured line per request (pino): method, path, status, duration, request id and client
 * address. The path is logged without its query, where share tokens and tickets travel.
 */
import { createMiddleware } from 'hono/factory'
import { requestId as requestIdMiddleware } from 'hono/request-id'
import type { Logger } from 'pino'

declare module 'hono' {
  interface ContextVariableMap {
    /** X-Request-Id: the proxy's when it sent a sane one, else a fresh UUID; answered in the same header. */
    requestId: string
  }
}

export const requestId = () => requestIdMiddleware({ limitLength: 128 })

export const accessLog = (logger: Logger) =>
  createMiddleware(async (c, next) => {
    const started = performance.now()
    try {
      await next()
    } finally {
      logger.info(
        {
          requestId: c.var.requestId,
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(performance.now() - started),
          ip: c.var.clientIp,
        },
        'request',
      )
    }
  })
