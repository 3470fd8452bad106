import { and, desc, eq, inArray } from 'drizzle-orm'
import { hashToken, newToken } from '../../bff/secrets'
import type { Db } from '../../bff/store/db'
import { authSessions, outbox, users } from '../../bff/store/schema'
import { mailTexts } from '../../bff/mail/texts'

const codeSubjects = Object.values(mailTexts).map((words) => words.signInCode.subject)

/** The newest sign-in code mailed to `email` (development outbox), in whichever language it was written. */
export async function latestCode(db: Db, email: string): Promise<string> {
  const [mail] = await db.select().from(outbox).where(and(eq(outbox.to, email), inArray(outbox.subject, codeSubjects))).orderBy(desc(outbox.id)).limit(1)
  const code = mail?.text.match(/\b(\d{6})\b/)?.[1]
  if (!code) throw new Error(`no sign-in code was mailed to ${email}`)
  return code
}

/** The `name=value` part of a Set-Cookie header, for the Cookie header of later requests. */
export function cookieOf(headers: Headers): string {
  const setCookie = headers.get('set-cookie')
  const pair = setCookie?.split(';')[0]
  if (!pair?.startsWith('lp_session=')) throw new Error(`no session cookie in ${String(setCookie)}`)
  return pair
}

/** Signs in through the real email-code flow (start, read the outbox, verify): the Cookie header value. */
export async function signInAs(base: string, db: Db, email: string): Promise<string> {
  const post = (path: string, body: unknown) =>
    fetch(base + path, { method: 'POST', headers: { origin: base, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const started = await post('/api/auth/email/start', { email })
  if (started.status !== 202) throw new Error(`email/start answered ${started.status}: ${await started.text()}`)
  const verified = await post('/api/auth/email/verify', { email, code: await latestCode(db, email.trim().toLowerCase()) })
  if (verified.status !== 200) throw new Error(`email/verify answered ${verified.status}: ${await verified.text()}`)
  return cookieOf(verified.headers)
}

/** A signed-in device for `userId` made directly in the database, for tests that need one fast: the Cookie header value. */
export async function cookieFor(db: Db, userId: string): Promise<string> {
  const token = newToken()
  await db.insert(authSessions).values({ id: newToken(12), tokenHash: hashToken(token), userId, expiresAt: new Date(Date.now() + 30 * 86_400_000) })
  return `lp_session=${token}`
}

/** A driver account (no roles), created directly: its id. */
export async function createDriver(db: Db, email: string): Promise<string> {
  const id = newToken(12)
  await db.insert(users).values({ id, email })
  return id
}
