/**
 * The URLs we give Zaptec's portal for web-hook authorization (mounted at /webhooks/zaptec):
 *
 * - POST /oauth/token — the "Authentication URL": Zaptec posts the configured payload form-encoded
 *   (grant_type=password&username=…&password=…) and calls the hooks with `Authorization: Bearer`.
 *   Answered as RFC 6749 does: { access_token, token_type, expires_in }, errors { error, error_description }.
 * - POST /session-start, POST /session-end — JSON in and out. Without an Authentication URL Zaptec
 *   sends the payload's username and password as HTTP Basic instead.
 *
 * Approval answers 200 { sessionId }. A refusal answers 403 with no session id: it cannot be taken for
 * an approval. Zaptec writes keys in PascalCase (ChargerId, SessionId, Energy …); they are read without
 * regard to case.
 */
import { Hono, type Context, type Next } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { z } from 'zod'
import { zValidator } from '@hono/zod-validator'
import { validationError } from '../../routes/validation'
import type { Installation, ZaptecGateway } from './adapter'

type Env = { Variables: { installation: Installation } }

/** Zaptec's ids are GUIDs; a little room for other spellings, nothing else. */
const zaptecId = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9-]+$/, 'not an id')
const instant = z.string().trim().max(40)
const token = z.string().trim().max(64)

/** Top-level keys compared without case: ChargerId, chargerId and chargerid are one key. */
const caseless = (value: unknown) =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]).reverse())
    : value

const sessionStartBody = z.preprocess(
  caseless,
  z.object({
    chargerid: zaptecId,
    installationid: zaptecId.optional(),
    authenticationcode: token.nullish(),
    timestamp: instant.nullish(),
  }),
)

/** Zaptec's completed-session record: SessionId, Energy (kWh), StartDateTime, EndDateTime, StoppedByRFID … */
const sessionEndBody = z.preprocess(
  caseless,
  z.object({
    chargerid: zaptecId,
    sessionid: z.string().trim().min(1).max(64).nullish(),
    id: zaptecId.nullish(),
    energy: z.union([z.number(), z.string().trim().regex(/^\d{1,6}(\.\d{1,9})?$/).transform(Number)]).pipe(z.number().min(0).max(100_000)),
    startdatetime: instant.nullish(),
    enddatetime: instant.nullish(),
    stoppedbyrfid: z.boolean().nullish(),
  }),
)

const tokenForm = z.object({
  grant_type: z.string().max(40),
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(200),
})

export function zaptecWebhookRoutes(zaptec: ZaptecGateway) {
  const authenticated = async (c: Context<Env>, next: Next) => {
    const installation = await zaptec.authenticate(c.req.header('authorization'))
    if (!installation) {
      c.header('www-authenticate', 'Basic realm="zaptec", Bearer')
      return c.json({ error: { code: 'unauthorized', message: 'Zaptec web hooks need the installation\'s credentials (Basic, or a bearer token from the token URL).' } }, 401)
    }
    c.set('installation', installation)
    await next()
  }

  const app = new Hono<Env>()
    // Zaptec's payloads are a few hundred bytes.
    .use(bodyLimit({ maxSize: 16 * 1024, onError: () => { throw new HTTPException(413, { message: 'The request body is too large.' }) } }))
    .post('/oauth/token', async (c) => {
      c.header('cache-control', 'no-store')
      c.header('pragma', 'no-cache')
      if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        return c.json({ error: 'invalid_request', error_description: 'Post the payload form-encoded (application/x-www-form-urlencoded).' }, 400)
      }
      const form = tokenForm.safeParse(Object.fromEntries(new URLSearchParams(await c.req.text())))
      if (!form.success) return c.json({ error: 'invalid_request', error_description: 'grant_type, username and password are required.' }, 400)
      if (form.data.grant_type !== 'password') return c.json({ error: 'unsupported_grant_type', error_description: 'Only grant_type=password is supported.' }, 400)
      const issued = await zaptec.issueToken(form.data.username, form.data.password)
      if (!issued) return c.json({ error: 'invalid_grant', error_description: 'Unknown username or wrong password.' }, 400)
      return c.json({ access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn })
    })
    .post('/session-start', authenticated, zValidator('json', sessionStartBody, validationError), async (c) => {
      const body = c.req.valid('json')
      const result = await zaptec.sessionStart(c.var.installation, {
        chargerId: body.chargerid,
        installationId: body.installationid,
        authenticationCode: body.authenticationcode ?? undefined,
        at: body.timestamp ?? undefined,
      })
      if (result.approved) return c.json({ sessionId: result.sessionId })
      return c.json({ error: { code: 'not_authorized', message: messages[result.reason] ?? 'Charging is not authorised on this charger now.' }, reason: result.reason }, 403)
    })
    .post('/session-end', authenticated, zValidator('json', sessionEndBody, validationError), async (c) => {
      const body = c.req.valid('json')
      const result = await zaptec.sessionEnd(c.var.installation, {
        chargerId: body.chargerid,
        sessionId: body.sessionid ?? undefined,
        id: body.id ?? undefined,
        energy: body.energy,
        startDateTime: body.startdatetime ?? undefined,
        endDateTime: body.enddatetime ?? undefined,
        stoppedByRfid: body.stoppedbyrfid ?? undefined,
      })
      return c.json({ received: true, known: result.known })
    })

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      return c.json({ error: { code: error.status === 413 ? 'body_too_large' : 'bad_request', message: error.message } }, error.status)
    }
    zaptec.log.error({ err: error, path: c.req.path }, 'Zaptec web hook failed')
    return c.json({ error: { code: 'internal_error', message: 'The web hook failed on our side; try again.' } }, 500)
  })
  return app
}

const messages: Record<string, string> = {
  unknown_charger: 'This charger is not registered with this installation.',
  no_session_waiting: 'No paid or granted session waits on this charger: start one in the app first.',
  session_refused: 'The session for this charger can no longer start.',
  token_invalid: 'This tag is not known.',
  token_blocked: 'This tag is blocked.',
}
