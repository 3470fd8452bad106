/**
 * The site owner's Zaptec setup over the real BFF: only the site's owner sees or changes it, the
 * web-hook credentials come back once, the URLs are the ones Zaptec's portal asks for.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { cookieFor, createDriver } from '../support/auth'
import { http, startTestSystem, type TestSystem } from '../support/system'

let sys: TestSystem
let owner: string
let driver: string

beforeAll(async () => {
  sys = await startTestSystem({ publicUrl: 'https://charge.example.com' })
  owner = await cookieFor(sys.store.db, 'demo-owner')
  driver = await cookieFor(sys.store.db, await createDriver(sys.store.db, 'driver@zaptec.test'))
})
afterAll(async () => {
  await sys?.close()
})

const call = (method: string, cookie: string | null, body?: unknown) => http(sys.url, method, '/api/sites/demo/zaptec', { body, headers: cookie ? { cookie } : {} })

it('only the owner sets up Zaptec; the portal settings come back once', async () => {
  expect((await call('GET', null)).status).toBe(401)
  expect((await call('GET', driver)).status).toBe(403)
  expect((await call('PUT', driver, { webhooks: true, api: false, webhookAuth: 'basic' })).status).toBe(403)

  const before = await call('GET', owner)
  expect(before.status).toBe(200)
  expect(before.body).toEqual({
    installation: null,
    urls: {
      authenticationUrl: 'https://charge.example.com/webhooks/zaptec/oauth/token',
      sessionStartUrl: 'https://charge.example.com/webhooks/zaptec/session-start',
      sessionEndUrl: 'https://charge.example.com/webhooks/zaptec/session-end',
    },
  })

  expect((await call('PUT', owner, { webhooks: false, api: false, webhookAuth: 'basic' })).status).toBe(400)
  expect((await call('PUT', owner, { webhooks: true, api: true, webhookAuth: 'basic' })).body.error.code).toBe('zaptec_account_required')
  expect((await call('PUT', owner, { webhooks: true, api: false, webhookAuth: 'bearer' })).status).toBe(400)

  const set = await call('PUT', owner, { webhooks: true, api: true, webhookAuth: 'oauth', apiUsername: 'owner@coop.test', apiPassword: 'zaptec-secret', zaptecInstallationId: '3f0c2d8e-1b4a-4c6d-9e8f-0a1b2c3d4e5f' })
  expect(set.status).toBe(200)
  expect(set.body.portal).toMatchObject({ authenticationUrl: 'https://charge.example.com/webhooks/zaptec/oauth/token', sessionStartUrl: 'https://charge.example.com/webhooks/zaptec/session-start' })
  expect(set.body.portal.authenticationPayload).toBe(`grant_type=password&username=${set.body.portal.username}&password=${set.body.portal.password}`)
  expect(JSON.stringify(set.body.installation)).not.toContain('zaptec-secret')

  const after = await call('GET', owner)
  expect(after.body.installation).toMatchObject({ webhooks: true, api: true, webhookAuth: 'oauth', apiUsername: 'owner@coop.test', webhookUsername: set.body.portal.username })
  expect(JSON.stringify(after.body)).not.toContain(set.body.portal.password)
  expect(JSON.stringify(after.body)).not.toContain('zaptec-secret')
})
