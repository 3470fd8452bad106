/**
 * Who is asking: the signed-in user behind the session cookie, with their roles. Every route can
 * read `c.get('viewer')` (null for guests); `requireRole` guards the ones that need more.
 */
import { and, eq, gt } from 'drizzle-orm'
import { getCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { Db } from '../store/db'
import { authSessions, userRoles, users, type RoleName } from '../store/schema'
import { hashToken } from '../secrets'
import { AppError } from '../errors'

export const sessionCookie = 'lp_session'

export interface Viewer {
  userId: string
  email: string
  authSessionId: string
  roles: { role: RoleName; siteId: string | null }[]
}

export type AppEnv = { Variables: { viewer: Viewer | null } }

export function hasRole(viewer: Viewer | null, role: RoleName, siteId?: string): boolean {
  if (!viewer) return false
  return viewer.roles.some((r) => r.role === 'admin' || (r.role === role && (role !== 'owner' || siteId === undefined || r.siteId === siteId)))
}

/** Reads the session cookie once per request. */
export function loadViewer(db: Db, clock: () => Date = () => new Date()) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set('viewer', null)
    const token = getCookie(c, sessionCookie)
    if (token) {
      const [row] = await db
        .select({ authSessionId: authSessions.id, userId: users.id, email: users.email, lastSeenAt: authSessions.lastSeenAt })
        .from(authSessions)
        .innerJoin(users, eq(users.id, authSessions.userId))
        .where(and(eq(authSessions.tokenHash, hashToken(token)), gt(authSessions.expiresAt, clock())))
      if (row) {
        const { lastSeenAt, ...who } = row
        const roles = await db.select({ role: userRoles.role, siteId: userRoles.siteId }).from(userRoles).where(eq(userRoles.userId, row.userId))
        c.set('viewer', { ...who, roles })
        // "Last used" for the device list, without a write on every request.
        const now = clock()
        if (now.getTime() - lastSeenAt.getTime() > 60_000) {
          await db.update(authSessions).set({ lastSeenAt: now }).where(eq(authSessions.id, row.authSessionId))
        }
      }
    }
    await next()
  })
}

export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get('viewer')) throw new AppError(401, 'sign_in_required', 'Sign in to do this.')
  await next()
})

/** For support and admin routes: checked on every request. */
export const requireRole = (role: RoleName) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const viewer = c.get('viewer')
    if (!viewer) throw new AppError(401, 'sign_in_required', 'Sign in to do this.')
    if (!hasRole(viewer, role)) throw new AppError(403, 'forbidden', 'Your account may not do this.')
    await next()
  })
