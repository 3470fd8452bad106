/**
 * Rate limits from rate-limiter-flexible, counted in the database (table `rate_limits`) so every BFF
 * process behind a load balancer shares them. Keys are the client's address (see http/client-address)
 * or finer, never something an attacker can use to lock out somebody else.
 */
import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { Db } from '../store/db'
import type { Limits } from '../app'
import { rateLimits } from '../store/schema'
import { AppError } from '../errors'

export type Limiter = RateLimiterDrizzle

/** `points` per `seconds`, per key; `name` keeps each limit's keys apart in the shared table. */
export function limiter(db: Db, opts: { name: string; points: number; seconds: number }): Limiter {
  return new RateLimiterDrizzle({ storeClient: db, schema: rateLimits, keyPrefix: opts.name, points: opts.points, duration: opts.seconds })
}

/** Every limit of the app, built once. */
export function rateLimiters(db: Db, l: Limits) {
  return {
    sessionStarts: limiter(db, { name: 'session-start', points: l.sessionsPerMinute, seconds: 60 }),
    stopsByCard: limiter(db, { name: 'stop-by-card', points: l.stopByCardPerMinute, seconds: 60 }),
    invites: limiter(db, { name: 'invite', points: l.invitesPerMinute, seconds: 60 }),
    codesPerClient: limiter(db, { name: 'code-client', points: l.codesPerClientPerHour, seconds: 3600 }),
    codesPerClientAndAddress: limiter(db, { name: 'code-client-address', points: l.codesPerClientAndAddressPerHour, seconds: 3600 }),
    codesPerAddress: limiter(db, { name: 'code-address', points: l.codesPerAddressPerHour, seconds: 3600 }),
    wrongCodesPerClientAndAddress: limiter(db, { name: 'guess-client-address', points: l.wrongCodesPerClientAndAddress, seconds: 900 }),
    wrongCodesPerClient: limiter(db, { name: 'guess-client', points: l.wrongCodesPerClientPerHour, seconds: 3600 }),
  }
}

export type Limiters = ReturnType<typeof rateLimiters>

/** The answer once a limit is used up, with Retry-After. */
export function limited(c: Context, refusal: RateLimiterRes, message: string): AppError {
  c.header('Retry-After', String(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000))))
  return new AppError(429, 'rate_limited', message)
}

/**
 * Takes `points` from each key's budget; when one is used up, answers 429. Store errors propagate:
 * a limit that silently stopped counting would be no limit.
 */
export async function consume(c: Context, budgets: [Limiter, string][], message: string, points = 1): Promise<RateLimiterRes[]> {
  const taken: RateLimiterRes[] = []
  for (const [limit, key] of budgets) {
    try {
      taken.push(await limit.consume(key, points))
    } catch (error) {
      if (error instanceof RateLimiterRes) throw limited(c, error, message)
      throw error
    }
  }
  return taken
}

/** Middleware: one point per request from each client address. */
export const rateLimit = (limit: Limiter, what: string) =>
  createMiddleware(async (c, next) => {
    await consume(c, [[limit, c.var.clientIp]], `Too many ${what} requests from this device. Wait a minute and try again.`)
    await next()
  })
