/**
 * One-time sign-in codes by email: 6 digits, valid 10 minutes, single use, stored hashed with the
 * address. How often a client may ask and guess is the route's rate limit (per client address and per
 * client and address), so that nobody can lock someone else out; a code itself dies only after
 * `attemptsPerCode` wrong guesses in all, a bound on guessing from many addresses at once that no
 * single client can reach.
 */
import { randomInt } from 'node:crypto'
import { and, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm'
import type { Db } from '../store/db'
import { emailCodes } from '../store/schema'
import { hashToken, newToken, tokenMatches } from '../secrets'
import type { Mailer } from '../mail/mailer'
import { mailTexts } from '../mail/texts'
import type { UiLocale } from '../../web/format'
import { AppError } from '../errors'

export const codeLifetimeMs = 10 * 60_000
/** Wrong guesses, from everyone together, that use a code up: 100 in a million makes guessing hopeless. */
export const attemptsPerCode = 100

const codeInput = (email: string, code: string) => `email-code:${email}:${code}`

/** Sends a fresh code, in the driver's language. The caller answers the same whether or not the address has an account. */
export async function sendCode(db: Db, mailer: Mailer, email: string, now: Date, language: UiLocale = 'en'): Promise<void> {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
  await db.insert(emailCodes).values({
    id: newToken(12),
    email,
    codeHash: hashToken(codeInput(email, code)),
    createdAt: now,
    expiresAt: new Date(now.getTime() + codeLifetimeMs),
  })
  const words = mailTexts[language].signInCode
  await mailer.send({ to: email, subject: words.subject, text: words.body(code) })
}

/** A guess that matched no live code of the address. */
export class WrongCode extends AppError {
  constructor() {
    super(400, 'invalid_code', 'Wrong code, or it is not valid any more.')
  }
}

/** Checks a code; on success it is used up. Throws WrongCode. */
export async function verifyCode(db: Db, email: string, code: string, now: Date): Promise<void> {
  const live = await db
    .select()
    .from(emailCodes)
    .where(and(eq(emailCodes.email, email), isNull(emailCodes.usedAt), gt(emailCodes.expiresAt, now), lt(emailCodes.attempts, attemptsPerCode)))
    .orderBy(desc(emailCodes.createdAt))
  const match = /^\d{6}$/.test(code) ? live.find((row) => tokenMatches(codeInput(email, code), row.codeHash)) : undefined
  if (!match) {
    // A guess is a guess at every live code of the address.
    if (live.length > 0) {
      await db
        .update(emailCodes)
        .set({ attempts: sql`${emailCodes.attempts} + 1` })
        .where(inArray(emailCodes.id, live.map((row) => row.id)))
    }
    throw new WrongCode()
  }
  // Conditional on still unused: two requests racing with the same code sign in once.
  const [used] = await db
    .update(emailCodes)
    .set({ usedAt: now })
    .where(and(eq(emailCodes.id, match.id), isNull(emailCodes.usedAt)))
    .returning({ id: emailCodes.id })
  if (!used) throw new WrongCode()
}
