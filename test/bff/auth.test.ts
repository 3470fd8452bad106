import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { SMTPServer } from 'smtp-server'
import type { AddressInfo } from 'node:net'
import { http, startTestSystem, startWithStripe, type TestSystem } from '../support/system'
import { cookieOf, cookieFor, latestCode, signInAs } from '../support/auth'
import { authChallenges, authSessions, emailCodes, grants, outbox, users } from '../../bff/store/schema'
import { createMailer } from '../../bff/mail/mailer'
import { demoOwnerEmail } from '../../bff/store/seed'

let sys: TestSystem
beforeAll(async () => {
  sys = await startTestSystem()
})
afterAll(async () => {
  await sys?.close()
})

const post = (path: string, body: unknown, cookie?: string) => http(sys.url, 'POST', path, { body, headers: cookie ? { cookie } : {} })
const get = (path: string, cookie?: string) => http(sys.url, 'GET', path, { headers: cookie ? { cookie } : {} })

describe('sign-in by email code', () => {
  it('answers the same for known and unknown addresses, mails a 6-digit code, and signs up on first use', async () => {
    const known = await post('/api/auth/email/start', { email: demoOwnerEmail })
    const unknown = await post('/api/auth/email/start', { email: 'New.Driver@Example.com' })
    expect(known.status).toBe(202)
    expect(unknown.status).toBe(202)
    expect(unknown.body).toEqual(known.body)
    expect(unknown.body).toEqual({ sent: true })

    const [mail] = await sys.store.db.select().from(outbox).where(eq(outbox.to, 'new.driver@example.com'))
    expect(mail.subject).toBe('Your Laddpunkt code')
    const code = await latestCode(sys.store.db, 'new.driver@example.com')
    expect(code).toMatch(/^\d{6}$/)
    // Stored hashed: the code itself is nowhere in the table.
    const stored = await sys.store.db.select().from(emailCodes).where(eq(emailCodes.email, 'new.driver@example.com'))
    expect(JSON.stringify(stored)).not.toContain(code)

    const verified = await post('/api/auth/email/verify', { email: 'new.driver@example.com', code })
    expect(verified.status).toBe(200)
    expect(verified.body).toMatchObject({ created: true, user: { email: 'new.driver@example.com', roles: [] } })
    const setCookie = verified.headers.get('set-cookie')!
    expect(setCookie).toMatch(/^lp_session=/)
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Lax/i)
    expect(setCookie).toMatch(/Path=\//)
    expect(setCookie).not.toMatch(/Secure/) // http://127.0.0.1 is not https

    const me = await get('/api/auth/me', cookieOf(verified.headers))
    expect(me.body.user).toMatchObject({ id: verified.body.user.id, email: 'new.driver@example.com' })
    expect((await get('/api/auth/me')).body).toEqual({ user: null })

    // The same code again: used, refused, nothing changes.
    const again = await post('/api/auth/email/verify', { email: 'new.driver@example.com', code })
    expect(again.status).toBe(400)
    expect(again.body.error.code).toBe('invalid_code')
  })

  it('signs an existing account in without creating another, with its roles', async () => {
    const cookie = await signInAs(sys.url, sys.store.db, demoOwnerEmail)
    const me = await get('/api/auth/me', cookie)
    expect(me.body.user).toMatchObject({ id: 'demo-owner', roles: [{ role: 'owner', siteId: 'demo' }] })
    expect(await sys.store.db.select().from(users).where(eq(users.email, demoOwnerEmail))).toHaveLength(1)
  })

  it('counts wrong codes down for this device, then makes it wait, even with the right code', async () => {
    const email = 'burn@example.com'
    await post('/api/auth/email/start', { email })
    const code = await latestCode(sys.store.db, email)
    const wrong = code === '000000' ? '111111' : '000000'
    const first = await post('/api/auth/email/verify', { email, code: wrong })
    expect(first.status).toBe(400)
    expect(first.body.error).toMatchObject({ code: 'invalid_code', message: expect.stringContaining('4 attempts left') })
    for (let i = 0; i < 4; i++) await post('/api/auth/email/verify', { email, code: wrong })
    const right = await post('/api/auth/email/verify', { email, code })
    expect(right.status).toBe(429)
    expect(right.body.error.code).toBe('rate_limited')
    expect(right.headers.get('set-cookie')).toBeNull()
  })

  it('sends at most 5 codes an hour to one address', async () => {
    const email = 'many@example.com'
    for (let i = 0; i < 5; i++) expect((await post('/api/auth/email/start', { email })).status).toBe(202)
    const sixth = await post('/api/auth/email/start', { email })
    expect(sixth.status).toBe(429)
    expect(sixth.body.error.code).toBe('rate_limited')
  })

  it('refuses a malformed address and a code for an address that asked for none', async () => {
    expect((await post('/api/auth/email/start', { email: 'not-an-address' })).body.error.code).toBe('invalid_request')
    const none = await post('/api/auth/email/verify', { email: 'nobody@example.com', code: '123456' })
    expect(none.status).toBe(400)
    expect(none.body.error.code).toBe('invalid_code')
  })

  it('links grants made out to the email when it signs in', async () => {
    await sys.store.db.insert(grants).values({ id: 'pending-grant', siteId: 'demo', email: 'later@example.com', createdAt: new Date() })
    const cookie = await signInAs(sys.url, sys.store.db, 'Later@Example.com')
    const me = await get('/api/auth/me', cookie)
    const [g] = await sys.store.db.select().from(grants).where(eq(grants.id, 'pending-grant'))
    expect(g.userId).toBe(me.body.user.id)
  })
})

describe('signing out', () => {
  it('signs this device out, or every device', async () => {
    const a = await signInAs(sys.url, sys.store.db, 'devices@example.com')
    const b = await signInAs(sys.url, sys.store.db, 'devices@example.com')
    const c = await signInAs(sys.url, sys.store.db, 'devices@example.com')
    const out = await post('/api/auth/sign-out', undefined, a)
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/lp_session=;/)
    expect((await get('/api/auth/me', a)).body.user).toBeNull()
    expect((await get('/api/auth/me', b)).body.user).not.toBeNull()

    expect((await post('/api/auth/sign-out-all', undefined, b)).status).toBe(204)
    expect((await get('/api/auth/me', b)).body.user).toBeNull()
    expect((await get('/api/auth/me', c)).body.user).toBeNull()
    const userId = (await sys.store.db.select().from(users).where(eq(users.email, 'devices@example.com')))[0].id
    expect(await sys.store.db.select().from(authSessions).where(eq(authSessions.userId, userId))).toHaveLength(0)
    expect((await post('/api/auth/sign-out-all', undefined)).status).toBe(401)
  })

  it('refuses state changes from another origin (CSRF)', async () => {
    const cookie = await cookieFor(sys.store.db, 'demo-owner')
    const res = await http(sys.url, 'POST', '/api/auth/sign-out-all', { headers: { cookie, origin: 'https://evil.example' } })
    expect(res.status).toBe(403)
    expect((await get('/api/auth/me', cookie)).body.user).not.toBeNull()
  })
})

describe('passkeys', () => {
  it('gives sign-in options for discoverable credentials, with a stored single-use challenge', async () => {
    const res = await post('/api/auth/passkey/options', { purpose: 'sign_in' })
    expect(res.status).toBe(200)
    expect(res.body.options).toMatchObject({ rpId: '127.0.0.1', challenge: expect.any(String) })
    expect(res.body.options.allowCredentials ?? []).toEqual([])
    const [stored] = await sys.store.db.select().from(authChallenges).where(eq(authChallenges.id, res.body.challengeId))
    expect(stored).toMatchObject({ purpose: 'sign_in', challenge: res.body.options.challenge })
  })

  it('gives registration options only to a signed-in driver', async () => {
    expect((await post('/api/auth/passkey/options', { purpose: 'register' })).status).toBe(401)
    const cookie = await cookieFor(sys.store.db, 'demo-owner')
    const res = await post('/api/auth/passkey/options', { purpose: 'register' }, cookie)
    expect(res.status).toBe(200)
    expect(res.body.options).toMatchObject({
      rp: { name: 'Laddpunkt', id: '127.0.0.1' },
      user: { name: demoOwnerEmail },
      authenticatorSelection: { residentKey: 'required' },
    })
  })

  it('fails without detail on a bad response, and a challenge works once', async () => {
    const { body } = await post('/api/auth/passkey/options', { purpose: 'sign_in' })
    const forged = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' }, clientExtensionResults: {} }
    const first = await post('/api/auth/passkey/verify', { challengeId: body.challengeId, response: forged })
    expect(first.status).toBe(400)
    expect(first.body.error.code).toBe('passkey_failed')
    expect(first.headers.get('set-cookie')).toBeNull()
    expect(await sys.store.db.select().from(authChallenges).where(eq(authChallenges.id, body.challengeId))).toHaveLength(0)
    const unknown = await post('/api/auth/passkey/verify', { challengeId: 'no-such-challenge', response: forged })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.code).toBe('passkey_failed')
  })

  it('a registration challenge cannot be used by another account', async () => {
    const owner = await cookieFor(sys.store.db, 'demo-owner')
    const support = await cookieFor(sys.store.db, 'demo-support')
    const { body } = await post('/api/auth/passkey/options', { purpose: 'register' }, owner)
    const res = await post('/api/auth/passkey/verify', { challengeId: body.challengeId, response: { id: 'x', rawId: 'x', type: 'public-key', response: {} } }, support)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('passkey_failed')
  })

  it('lists and deletes only the driver’s own passkeys', async () => {
    const cookie = await cookieFor(sys.store.db, 'demo-owner')
    expect((await get('/api/auth/passkeys', cookie)).body).toEqual({ passkeys: [] })
    expect((await get('/api/auth/passkeys')).status).toBe(401)
    expect((await http(sys.url, 'DELETE', '/api/auth/passkeys/nope', { headers: { cookie } })).status).toBe(404)
  })
})

describe('the development outbox', () => {
  it('shows mail without SMTP', async () => {
    await post('/api/auth/email/start', { email: 'outbox@example.com' })
    const res = await get('/api/dev/outbox')
    expect(res.status).toBe(200)
    expect(res.body.mails[0]).toMatchObject({ to: 'outbox@example.com', subject: 'Your Laddpunkt code', text: expect.stringMatching(/\d{6}/) })
  })
})

describe('the development outbox outside the demo', () => {
  it('is not there, even without SMTP', async () => {
    const { sys: prod, fake, cp, store } = await startWithStripe({ demo: false })
    try {
      expect((await http(prod.url, 'GET', '/api/dev/outbox')).status).toBe(404)
    } finally {
      await cp.close()
      await prod.close()
      await store.close()
      await fake.close()
    }
  })
})

describe('sign-in mail over SMTP', () => {
  it('delivers the code to a real SMTP server, and the outbox route is gone', async () => {
    const received: { to: string[]; body: string }[] = []
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let body = ''
        stream.on('data', (chunk: Buffer) => (body += chunk.toString()))
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), body })
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
    const port = (smtp.server.address() as AddressInfo).port
    const withSmtp = await startTestSystem({
      store: sys.store,
      mailer: createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'Laddpunkt <no-reply@laddpunkt.test>', db: sys.store.db }),
    })
    try {
      const res = await http(withSmtp.url, 'POST', '/api/auth/email/start', { body: { email: 'smtp@example.com' } })
      expect(res.status).toBe(202)
      expect(received).toHaveLength(1)
      expect(received[0].to).toEqual(['smtp@example.com'])
      expect(received[0].body).toContain('Subject: Your Laddpunkt code')
      const code = received[0].body.match(/sign-in code is (\d{6})/)![1]
      const verified = await http(withSmtp.url, 'POST', '/api/auth/email/verify', { body: { email: 'smtp@example.com', code } })
      expect(verified.status).toBe(200)
      expect((await http(withSmtp.url, 'GET', '/api/dev/outbox')).status).toBe(404)
    } finally {
      await withSmtp.close()
      await new Promise<void>((resolve) => smtp.close(() => resolve()))
    }
  })
})
