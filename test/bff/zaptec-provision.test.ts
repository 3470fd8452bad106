/**
 * Provisioning Zaptec: a site's installation (what Zaptec's portal asks for, shown once, stored hashed or
 * sealed) and chargers behind it, through the functions and through the command line.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { provisionCharger } from '../../bff/chargers/provision'
import { ZaptecGateway } from '../../bff/charging/zaptec/adapter'
import { CredentialSealer } from '../../bff/charging/zaptec/credentials'
import { setUpZaptecInstallation, zaptecInstallationOfSite } from '../../bff/charging/zaptec/installations'
import { zaptecChargers, zaptecInstallations } from '../../bff/charging/zaptec/schema'
import { openStore, type Store } from '../../bff/store/db'
import { chargers, connectors } from '../../bff/store/schema'
import { seedDemo } from '../../bff/store/seed'
import { openDemoStore } from '../support/store'
import { RecordingListener, newSite, quietLogger } from '../support/zaptec'

const run = promisify(execFile)
let store: Store

beforeAll(async () => {
  store = await openDemoStore()
})
afterAll(async () => {
  await store.close()
})

describe('Zaptec provisioning', () => {
  it('a Zaptec charger needs the site set up first, then gets one connector, no OCPP password, and its Zaptec id', async () => {
    const siteId = await newSite(store)
    const zaptecChargerId = '6F1D2E3C-4B5A-4978-8695-A4B3C2D1E0F9'
    await expect(provisionCharger(store.db, { id: 'ZAP-P1', siteId, connectors: 2, gateway: 'zaptec', zaptecChargerId }, 'https://laddpunkt.test')).rejects.toMatchObject({ code: 'zaptec_not_set_up' })
    expect(await store.db.select().from(chargers).where(eq(chargers.id, 'ZAP-P1'))).toHaveLength(0)
    await expect(provisionCharger(store.db, { id: 'ZAP-P1', siteId, connectors: 1, gateway: 'zaptec' }, 'https://laddpunkt.test')).rejects.toMatchObject({ code: 'zaptec_charger_required' })

    await setUpZaptecInstallation(store.db, { siteId, webhooks: true, api: false }, 'https://laddpunkt.test')
    await expect(provisionCharger(store.db, { id: 'ZAP-P1', siteId, connectors: 1, gateway: 'zaptec', zaptecChargerId: 'not-a-guid' }, 'https://laddpunkt.test')).rejects.toMatchObject({ code: 'invalid_zaptec_charger' })
    const created = await provisionCharger(store.db, { id: 'ZAP-P1', siteId, connectors: 2, gateway: 'zaptec', zaptecChargerId }, 'https://laddpunkt.test')
    expect(created).toEqual({ id: 'ZAP-P1', siteId, gateway: 'zaptec', zaptecChargerId: zaptecChargerId.toLowerCase() })
    const [row] = await store.db.select().from(chargers).where(eq(chargers.id, 'ZAP-P1'))
    expect(row).toMatchObject({ gateway: 'zaptec', passwordHash: null })
    expect(await store.db.select().from(connectors).where(eq(connectors.chargerId, 'ZAP-P1'))).toHaveLength(1)
    expect((await zaptecInstallationOfSite(store.db, siteId))?.chargers).toEqual([{ chargerId: 'ZAP-P1', zaptecChargerId: zaptecChargerId.toLowerCase() }])
    await expect(provisionCharger(store.db, { id: 'ZAP-P2', siteId, connectors: 1, gateway: 'zaptec', zaptecChargerId }, 'https://laddpunkt.test')).rejects.toMatchObject({ code: 'zaptec_charger_taken' })
    // OCPP chargers still get their password.
    const ocpp = await provisionCharger(store.db, { id: 'OCPP-P1', siteId, connectors: 2 }, 'https://laddpunkt.test')
    expect(ocpp).toMatchObject({ gateway: 'ocpp', ocppUrl: 'wss://laddpunkt.test/ocpp/OCPP-P1' })
    expect(ocpp.password.length).toBeGreaterThan(20)
  })

  it('web-hook credentials are shown once and kept hashed; setting up again replaces them', async () => {
    const siteId = await newSite(store)
    const first = await setUpZaptecInstallation(store.db, { siteId, webhooks: true, api: false, webhookAuth: 'oauth' }, 'https://laddpunkt.test/')
    expect(first.portal).toEqual({
      authenticationUrl: 'https://laddpunkt.test/webhooks/zaptec/oauth/token',
      authenticationPayload: `grant_type=password&username=${first.portal!.username}&password=${first.portal!.password}`,
      sessionStartUrl: 'https://laddpunkt.test/webhooks/zaptec/session-start',
      sessionEndUrl: 'https://laddpunkt.test/webhooks/zaptec/session-end',
      username: expect.stringMatching(/^lp-/),
      password: expect.any(String),
    })
    const [row] = await store.db.select().from(zaptecInstallations).where(eq(zaptecInstallations.siteId, siteId))
    expect(row.webhookPasswordHash).toMatch(/^scrypt\$/)
    expect(JSON.stringify(row)).not.toContain(first.portal!.password)

    const gateway = new ZaptecGateway({ db: store.db, listener: new RecordingListener(), logger: quietLogger, pollSeconds: 0 })
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`
    expect((await gateway.authenticate(basic(first.portal!.username, first.portal!.password)))?.id).toBe(row.id)
    const second = await setUpZaptecInstallation(store.db, { siteId, webhooks: true, api: false }, 'https://laddpunkt.test')
    expect(second.installation.id).toBe(row.id)
    expect(second.portal!.authenticationUrl).toBe('https://laddpunkt.test/webhooks/zaptec/oauth/token')
    expect(await gateway.authenticate(basic(first.portal!.username, first.portal!.password))).toBeNull()
    expect((await gateway.authenticate(basic(second.portal!.username, second.portal!.password)))?.id).toBe(row.id)
    await gateway.close()
  })

  it('the API password is sealed, not stored as given; the API needs an account', async () => {
    const siteId = await newSite(store)
    await expect(setUpZaptecInstallation(store.db, { siteId, webhooks: false, api: false }, 'https://x.test')).rejects.toMatchObject({ code: 'zaptec_mode_required' })
    await expect(setUpZaptecInstallation(store.db, { siteId, webhooks: false, api: true }, 'https://x.test')).rejects.toMatchObject({ code: 'zaptec_account_required' })
    const { installation, portal } = await setUpZaptecInstallation(store.db, { siteId, webhooks: false, api: true, apiUsername: 'owner@coop.test', apiPassword: 'Secret-Zaptec-1' }, 'https://x.test')
    expect(portal).toBeNull()
    expect(installation).toMatchObject({ api: true, webhooks: false, apiUsername: 'owner@coop.test' })
    const [row] = await store.db.select().from(zaptecInstallations).where(eq(zaptecInstallations.siteId, siteId))
    expect(row.apiPasswordSealed).not.toContain('Secret-Zaptec-1')
    expect(await new CredentialSealer(store.db).open(row.apiPasswordSealed!)).toBe('Secret-Zaptec-1')
    // Turning web hooks on later keeps the sealed password.
    await setUpZaptecInstallation(store.db, { siteId, webhooks: true, api: true }, 'https://x.test')
    const [after] = await store.db.select().from(zaptecInstallations).where(eq(zaptecInstallations.siteId, siteId))
    expect(after.apiPasswordSealed).toBe(row.apiPasswordSealed)
  })

  it('the command line sets up a site and adds a Zaptec charger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laddpunkt-zaptec-cli-'))
    try {
      const seeded = await openStore({ dataDir: dir })
      await seedDemo(seeded.db)
      await seeded.close()
      const env = { ...process.env, DATABASE_URL: '', DATA_DIR: dir, PUBLIC_URL: 'https://laddpunkt.example', ZAPTEC_PASSWORD: 'pw-from-env', LADDPUNKT_MODE: 'demo' }
      const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'bff/cli.ts', ...args], { env, timeout: 60_000 })
      const setup = await cli('zaptec', 'setup', '--site', 'demo', '--webhooks', '--api', '--zaptec-user', 'owner@demo.test', '--auth', 'oauth')
      expect(setup.stdout).toContain('Authentication URL:      https://laddpunkt.example/webhooks/zaptec/oauth/token')
      expect(setup.stdout).toMatch(/Authentication payload: {2}grant_type=password&username=lp-[a-z0-9-]+&password=\S+/)
      expect(setup.stdout).toContain('Session start URL:       https://laddpunkt.example/webhooks/zaptec/session-start')
      expect(setup.stdout).toContain('Session end URL:         https://laddpunkt.example/webhooks/zaptec/session-end')
      expect(setup.stdout).not.toContain('pw-from-env')
      const added = await cli('charger', 'add', 'ZAPTEC-9', '--site', 'demo', '--gateway', 'zaptec', '--zaptec-charger', '0d6b9c1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e')
      expect(added.stdout).toContain('Zaptec charger:  0d6b9c1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e')
      const check = await openStore({ dataDir: dir })
      try {
        expect(await check.db.select().from(zaptecChargers).where(eq(zaptecChargers.chargerId, 'ZAPTEC-9'))).toHaveLength(1)
      } finally {
        await check.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
