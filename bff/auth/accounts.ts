/**
 * Accounts and signed-in devices: users found or created by email, auth sessions behind the
 * `lp_session` cookie (only the token's hash is stored), and what signing in brings along.
 */
import { eq } from 'drizzle-orm'
import type { Context } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import type { Db } from '../store/db'
import { authSessions, userRoles, users } from '../store/schema'
import { hashToken, newToken } from '../secrets'
import { linkPendingGrants } from '../grants/service'
import { sessionCookie } from './viewer'

export const authSessionDays = 30

export interface UserView {
  id: string
  email: string
  name: string | null
  roles: { role: 'owner' | 'support' | 'admin'; siteId: string | null }[]
}

/** Email addresses are compared as typed, trimmed and lower-cased. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase()

export async function userView(db: Db, userId: string): Promise<UserView> {
  const [user] = await db.select().from(users).where(eq(users.id, userId))
  const roles = await db.select({ role: userRoles.role, siteId: userRoles.siteId }).from(userRoles).where(eq(userRoles.userId, userId))
  return { id: user.id, email: user.email, name: user.name, roles }
}

/** The account for this email, created on first sign-in. */
export async function findOrCreateUser(db: Db, email: string, now: Date): Promise<{ userId: string; created: boolean }> {
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, email))
  if (existing) return { userId: existing.id, created: false }
  const [inserted] = await db.insert(users).values({ id: newToken(12), email, createdAt: now }).onConflictDoNothing().returning({ id: users.id })
  if (inserted) return { userId: inserted.id, created: true }
  // Someone signed up with the same address at the same moment.
  const [raced] = await db.select({ id: users.id }).from(users).where(eq(users.email, email))
  return { userId: raced.id, created: false }
}

/** The language the driver uses the app in: mails to them are written in it. */
export async function rememberLocale(db: Db, userId: string, locale: string): Promise<void> {
  await db.update(users).set({ locale }).where(eq(users.id, userId))
}

/** Signs this device in: a new auth session, its token in an HttpOnly cookie, pending grants linked. */
export async function signIn(c: Context, db: Db, o: { userId: string; publicUrl: string; now: Date }): Promise<void> {
  const token = newToken()
  const expiresAt = new Date(o.now.getTime() + authSessionDays * 86_400_000)
  await db.insert(authSessions).values({
    id: newToken(12),
    tokenHash: hashToken(token),
    userId: o.userId,
    userAgent: c.req.header('user-agent')?.slice(0, 255) ?? null,
    createdAt: o.now,
    lastSeenAt: o.now,
    expiresAt,
  })
  const [user] = await db.select({ email: users.email }).from(users).where(eq(users.id, o.userId))
  await linkPendingGrants(db, o.userId, user.email)
  setCookie(c, sessionCookie, token, {
    httpOnly: true,
    secure: o.publicUrl.startsWith('https:'),
    sameSite: 'Lax',
    path: '/',
    maxAge: authSessionDays * 86_400,
  })
}

export async function signOut(c: Context, db: Db, o: { authSessionId?: string; allOfUser?: string }): Promise<void> {
  if (o.allOfUser) await db.delete(authSessions).where(eq(authSessions.userId, o.allOfUser))
  else if (o.authSessionId) await db.delete(authSessions).where(eq(authSessions.id, o.authSessionId))
  deleteCookie(c, sessionCookie, { path: '/' })
}
