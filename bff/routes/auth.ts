import { Hono } from 'hono'
import { and, eq } from 'drizzle-orm'
import { z } from 'zod'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { requireUser, type AppEnv } from '../auth/viewer'
import { findOrCreateUser, normalizeEmail, rememberLocale, signIn, signOut, userView } from '../auth/accounts'
import { mailLanguages } from '../mail/texts'
import type { UiLocale } from '../../web/format'
import { sendCode, verifyCode, WrongCode } from '../auth/email-codes'
import {
  PasskeyFailed,
  challengePurpose,
  passkeyView,
  registrationOptions,
  relyingPartyOf,
  signInOptions,
  verifyRegistration,
  verifySignIn,
} from '../auth/passkeys'
import { passkeys } from '../store/schema'
import { consume } from './rate-limit'
import { json } from './validation'

const email = z.email().max(254)
/** The app language the driver reads: the code's mail is written in it, and later mails too. */
const locale = z.enum(mailLanguages as [UiLocale, ...UiLocale[]]).optional()
const startBody = z.object({ email, locale })
const verifyBody = z.object({ email, code: z.string().trim().min(1).max(12), locale })
const optionsBody = z.object({ purpose: z.enum(['register', 'sign_in']) })
const passkeyBody = z.object({ challengeId: z.string().min(1).max(64), response: z.record(z.string(), z.unknown()), name: z.string().trim().min(1).max(60).optional() })

const passkeyFailed = () => new AppError(400, 'passkey_failed', 'The passkey could not be verified. Try again, or sign in with a code by email.')

export function authRoutes(d: AppContext) {
  const now = () => d.sessions.clock()
  const rp = relyingPartyOf(d.publicUrl)

  return new Hono<AppEnv>()
    .get('/me', async (c) => {
      const viewer = c.get('viewer')
      return c.json({ user: viewer ? await userView(d.db, viewer.userId) : null })
    })
    .post('/email/start', json(startBody), async (c) => {
      const body = c.req.valid('json')
      const address = normalizeEmail(body.email)
      const client = c.var.clientIp
      const l = d.limiters
      await consume(c, [[l.codesPerClient, client]], 'Too many sign-in codes were asked for from this device. Wait an hour and try again.')
      await consume(
        c,
        [[l.codesPerClientAndAddress, `${client} ${address}`], [l.codesPerAddress, address]],
        'Too many codes were sent to this address. Wait an hour, or use the latest code you got.',
      )
      await sendCode(d.db, d.mailer, address, now(), body.locale ?? 'en')
      // The same answer for every address: nobody learns who has an account.
      return c.json({ sent: true as const }, 202)
    })
    .post('/email/verify', json(verifyBody), async (c) => {
      const body = c.req.valid('json')
      const address = normalizeEmail(body.email)
      // Guesses are counted per client (and per client and address) before the check, so parallel
      // requests cannot slip past the limit; the address itself is never locked, so nobody can lock
      // its owner out, and a right code gives the points back.
      const client = c.var.clientIp
      const pair = `${client} ${address}`
      const l = d.limiters
      const [forPair] = await consume(
        c,
        [[l.wrongCodesPerClientAndAddress, pair], [l.wrongCodesPerClient, client]],
        'Too many wrong codes from this device. Wait 15 minutes, then try again with the latest code.',
      )
      try {
        await verifyCode(d.db, address, body.code.replace(/\s/g, ''), now())
      } catch (error) {
        if (!(error instanceof WrongCode)) throw error
        const left = forPair.remainingPoints
        throw new AppError(
          400,
          'invalid_code',
          left > 0 ? `Wrong code. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.` : 'Wrong code. Wait 15 minutes before the next try.',
        )
      }
      await Promise.all([l.wrongCodesPerClientAndAddress.delete(pair), l.wrongCodesPerClient.reward(client, 1)])
      const { userId, created } = await findOrCreateUser(d.db, address, now())
      if (body.locale) await rememberLocale(d.db, userId, body.locale)
      await signIn(c, d.db, { userId, publicUrl: d.publicUrl, now: now() })
      return c.json({ user: await userView(d.db, userId), created })
    })
    .post('/passkey/options', json(optionsBody), async (c) => {
      const { purpose } = c.req.valid('json')
      if (purpose === 'sign_in') return c.json(await signInOptions(d.db, rp, now()))
      const viewer = c.get('viewer')
      if (!viewer) throw new AppError(401, 'sign_in_required', 'Sign in first (with a code by email), then add a passkey.')
      return c.json(await registrationOptions(d.db, rp, viewer.userId, now()))
    })
    .post('/passkey/verify', json(passkeyBody), async (c) => {
      const body = c.req.valid('json')
      const purpose = await challengePurpose(d.db, body.challengeId)
      try {
        if (purpose === 'register') {
          const viewer = c.get('viewer')
          if (!viewer) throw new AppError(401, 'sign_in_required', 'Sign in first, then add a passkey.')
          const passkey = await verifyRegistration(d.db, rp, { challengeId: body.challengeId, userId: viewer.userId, response: body.response, name: body.name, now: now() })
          return c.json({ passkey }, 201)
        }
        const userId = await verifySignIn(d.db, rp, { challengeId: body.challengeId, response: body.response, now: now() })
        await signIn(c, d.db, { userId, publicUrl: d.publicUrl, now: now() })
        return c.json({ user: await userView(d.db, userId) }, 200)
      } catch (error) {
        if (error instanceof PasskeyFailed) {
          d.logger.info({ reason: error.message }, 'passkey ceremony failed')
          throw passkeyFailed()
        }
        throw error
      }
    })
    .get('/passkeys', requireUser, async (c) => {
      const rows = await d.db.select().from(passkeys).where(eq(passkeys.userId, c.get('viewer')!.userId))
      return c.json({ passkeys: rows.map(passkeyView) })
    })
    .delete('/passkeys/:id', requireUser, async (c) => {
      const removed = await d.db
        .delete(passkeys)
        .where(and(eq(passkeys.id, c.req.param('id')), eq(passkeys.userId, c.get('viewer')!.userId)))
        .returning({ id: passkeys.id })
      if (removed.length === 0) throw new AppError(404, 'passkey_not_found', 'No such passkey on your account.')
      return c.body(null, 204)
    })
    .post('/sign-out', async (c) => {
      await signOut(c, d.db, { authSessionId: c.get('viewer')?.authSessionId })
      return c.body(null, 204)
    })
    .post('/sign-out-all', requireUser, async (c) => {
      await signOut(c, d.db, { allOfUser: c.get('viewer')!.userId })
      return c.body(null, 204)
    })
}
