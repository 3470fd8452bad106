/**
 * One-time sign-in codes by email: 6 digits, valid 10 minutes, single use, stored hashed with the
 * address, 5 tries per code; 10 failed tries per address within 15 minutes lock it for a while.
 */
import { randomInt } from 'node:crypto'
import { and, desc, eq, gt, gte, isNull, lt, sql } from 'drizzle-orm'
import type { Db } from '../store/db'
import { emailCodes } from '../store/schema'
import { hashToken, newToken, tokenMatches } from '../secrets'
import type { Mailer } from '../mail/mailer'
import { AppError } from '../errors'

export const codeLifetimeMs = 10 * 60_000
export const attemptsPerCode = 5
export const codesPerAddressPerHour = 5
export const failuresBeforeLock = 10
export const lockWindowMs = 15 * 60_000

const codeInput = (email: string, code: string) => `email-code:${email}:${code}`

/** Sends a fresh code. The caller answers the same whether or not the address has an account. */
export async function sendCode(db: Db, mailer: Mailer, email: string, now: Date): Promise<void> {
  const [{ recent }] = await db
    .select({ recent: sql<number>`count(*)::int` })
    .from(emailCodes)
    .where(and(eq(emailCodes.email, email), gt(emailCodes.createdAt, new Date(now.getTime() - 3_600_000))))
  if (recent >= codesPerAddressPerHour) {
    throw new AppError(429, 'rate_limited', 'Too many codes were sent to this address. Wait an hour, or use the latest code you got.')
  }
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
  await db.insert(emailCodes).values({
    id: newToken(12),
    email,
    codeHash: hashToken(codeInput(email, code)),
    createdAt: now,
    expiresAt: new Date(now.getTime() + codeLifetimeMs),
  })
  await mailer.send({
    to: email,
    subject: 'Your Laddpunkt code',
    text: `Your Laddpunkt sign-in code is ${code}\n\nIt is valid for 10 minutes. If you did not ask for it, ignore this mail.`,
  })
}

/** Checks a code; on success it is used up. Throws invalid_code or locked. */
export async function verifyCode(db: Db, email: string, code: string, now: Date): Promise<void> {
  const windowStart = new Date(now.getTime() - lockWindowMs)
  const [{ failures }] = await db
    .select({ failures: sql<number>`coalesce(sum(${emailCodes.attempts}), 0)::int` })
    .from(emailCodes)
    .where(and(eq(emailCodes.email, email), gte(emailCodes.createdAt, windowStart)))
  if (failures >= failuresBeforeLock) {
    throw new AppError(429, 'locked', 'Too many wrong codes for this address. Wait 15 minutes and ask for a new code.')
  }
  const live = await db
    .select()
    .from(emailCodes)
    .where(and(eq(emailCodes.email, email), isNull(emailCodes.usedAt), gt(emailCodes.expiresAt, now), lt(emailCodes.attempts, attemptsPerCode)))
    .orderBy(desc(emailCodes.createdAt))
  const invalid = () => new AppError(400, 'invalid_code', 'This code is not valid any more. Ask for a new one.')
  if (live.length === 0) throw invalid()
  const match = /^\d{6}$/.test(code) ? live.find((row) => tokenMatches(codeInput(email, code), row.codeHash)) : undefined
  if (!match) {
    const newest = live[0]
    const [counted] = await db
      .update(emailCodes)
      .set({ attempts: sql`${emailCodes.attempts} + 1` })
      .where(eq(emailCodes.id, newest.id))
      .returning({ attempts: emailCodes.attempts })
    const left = attemptsPerCode - counted.attempts
    throw new AppError(
      400,
      'invalid_code',
      left > 0 ? `Wrong code. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.` : 'Wrong code. This code is used up: ask for a new one.',
    )
  }
  // Conditional on still unused: two requests racing with the same code sign in once.
  const [used] = await db
    .update(emailCodes)
    .set({ usedAt: now })
    .where(and(eq(emailCodes.id, match.id), isNull(emailCodes.usedAt)))
    .returning({ id: emailCodes.id })
  if (!used) throw invalid()
}
