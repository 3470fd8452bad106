import { hashToken, newToken } from '../../bff/secrets'
import type { Db } from '../../bff/store/db'
import { authSessions } from '../../bff/store/schema'

/** A signed-in device for `userId`, made directly in the database: the `Cookie` header value. */
export async function cookieFor(db: Db, userId: string): Promise<string> {
  const token = newToken()
  await db.insert(authSessions).values({
    id: newToken(12),
    tokenHash: hashToken(token),
    userId,
    expiresAt: new Date(Date.now() + 30 * 24 * 60 * 60 * 1000),
  })
  return `lp_session=${token}`
}
