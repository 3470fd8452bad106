/**
 * Setting up a site's Zaptec installation and its chargers: what Zaptec's portal asks for, made here
 * and shown once (docs.zaptec.com "Webhook authentication": Authentication URL and payload, Session
 * start and Session end URLs; without an Authentication URL the payload's username and password are
 * sent as HTTP Basic, and the payload is then written `username=…&password=…`).
 */
import { asc, eq } from 'drizzle-orm'
import type { Db } from '../../store/db'
import { sites } from '../../store/schema'
import { hashPassword, newToken } from '../../secrets'
import { AppError } from '../../errors'
import { CredentialSealer } from './credentials'
import { zaptecChargers, zaptecInstallations } from './schema'

export interface ZaptecSetupInput {
  siteId: string
  /** Zaptec asks us at session start (web-hook authorization). */
  webhooks: boolean
  /** We use the owner's Zaptec account for live state and remote stop. */
  api: boolean
  webhookAuth?: 'basic' | 'oauth'
  zaptecInstallationId?: string
  apiUsername?: string
  apiPassword?: string
}

/** What to enter in Zaptec's portal (installation → Authentication → Web hook authentication). */
export interface ZaptecPortalSettings {
  /** Empty for HTTP Basic. */
  authenticationUrl: string | null
  authenticationPayload: string
  sessionStartUrl: string
  sessionEndUrl: string
  username: string
  /** Shown once: only its hash is kept. */
  password: string
}

export interface ZaptecInstallationView {
  id: string
  siteId: string
  zaptecInstallationId: string | null
  webhooks: boolean
  api: boolean
  webhookAuth: 'basic' | 'oauth'
  webhookUsername: string | null
  apiUsername: string | null
  chargers: { chargerId: string; zaptecChargerId: string }[]
}

const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/** The URLs are ours: mounted at /webhooks/zaptec (routes.ts). */
export function portalUrls(publicUrl: string) {
  const base = `${publicUrl.replace(/\/+$/, '')}/webhooks/zaptec`
  return { authenticationUrl: `${base}/oauth/token`, sessionStartUrl: `${base}/session-start`, sessionEndUrl: `${base}/session-end` }
}

/**
 * Creates the site's Zaptec installation, or changes it. Web hooks get a new username and password
 * each time (the old ones stop working); the API password is kept sealed, never shown again.
 */
export async function setUpZaptecInstallation(
  db: Db,
  input: ZaptecSetupInput,
  publicUrl: string,
  sealer = new CredentialSealer(db),
): Promise<{ installation: ZaptecInstallationView; portal: ZaptecPortalSettings | null }> {
  if (!input.webhooks && !input.api) throw new AppError(400, 'zaptec_mode_required', 'Choose web hooks, the API, or both.')
  if (input.zaptecInstallationId && !guid.test(input.zaptecInstallationId)) {
    throw new AppError(400, 'invalid_zaptec_installation', 'A Zaptec installation id is a GUID, as the Zaptec portal shows it.')
  }
  const [site] = await db.select().from(sites).where(eq(sites.id, input.siteId))
  if (!site) throw new AppError(404, 'site_not_found', `No site "${input.siteId}".`)
  const [existing] = await db.select().from(zaptecInstallations).where(eq(zaptecInstallations.siteId, site.id)).orderBy(asc(zaptecInstallations.createdAt)).limit(1)
  if (input.api && !input.apiUsername && !existing?.apiUsername) {
    throw new AppError(400, 'zaptec_account_required', 'The API needs the Zaptec account (email and password) of the installation\'s owner or service user.')
  }
  if (input.api && input.apiUsername && !input.apiPassword) throw new AppError(400, 'zaptec_password_required', 'Enter the Zaptec account\'s password.')
  if ((input.apiUsername?.length ?? 0) > 254 || (input.apiPassword?.length ?? 0) > 200) throw new AppError(400, 'invalid_zaptec_account', 'The Zaptec account is too long.')

  const webhookAuth = input.webhookAuth ?? existing?.webhookAuth ?? 'basic'
  const username = input.webhooks ? `lp-${newToken(9).toLowerCase().replace(/[^a-z0-9]/g, 'x')}` : null
  const password = input.webhooks ? newToken(24) : null
  const values = {
    siteId: site.id,
    zaptecInstallationId: input.zaptecInstallationId ?? existing?.zaptecInstallationId ?? null,
    webhooks: input.webhooks,
    api: input.api,
    webhookAuth,
    webhookUsername: username,
    webhookPasswordHash: password ? await hashPassword(password) : null,
    apiUsername: input.apiUsername ?? (input.api ? existing?.apiUsername : null) ?? null,
    apiPasswordSealed: input.apiPassword ? await sealer.seal(input.apiPassword) : input.api ? (existing?.apiPasswordSealed ?? null) : null,
    updatedAt: new Date(),
  }
  const id = existing?.id ?? `zi-${newToken(9)}`
  if (existing) await db.update(zaptecInstallations).set(values).where(eq(zaptecInstallations.id, id))
  else await db.insert(zaptecInstallations).values({ id, ...values })

  const installation = (await zaptecInstallationOfSite(db, site.id))!
  if (!username || !password) return { installation, portal: null }
  const urls = portalUrls(publicUrl)
  const credentials = new URLSearchParams({ username, password })
  return {
    installation,
    portal: {
      authenticationUrl: webhookAuth === 'oauth' ? urls.authenticationUrl : null,
      authenticationPayload: webhookAuth === 'oauth' ? `grant_type=password&${credentials}` : credentials.toString(),
      sessionStartUrl: urls.sessionStartUrl,
      sessionEndUrl: urls.sessionEndUrl,
      username,
      password,
    },
  }
}

export async function zaptecInstallationOfSite(db: Db, siteId: string): Promise<ZaptecInstallationView | null> {
  const [row] = await db.select().from(zaptecInstallations).where(eq(zaptecInstallations.siteId, siteId)).orderBy(asc(zaptecInstallations.createdAt)).limit(1)
  if (!row) return null
  const list = await db.select().from(zaptecChargers).where(eq(zaptecChargers.installationId, row.id)).orderBy(asc(zaptecChargers.chargerId))
  return {
    id: row.id,
    siteId: row.siteId,
    zaptecInstallationId: row.zaptecInstallationId,
    webhooks: row.webhooks,
    api: row.api,
    webhookAuth: row.webhookAuth,
    webhookUsername: row.webhookUsername,
    apiUsername: row.apiUsername,
    chargers: list.map((c) => ({ chargerId: c.chargerId, zaptecChargerId: c.zaptecChargerId })),
  }
}

/**
 * Binds one of our chargers (already inserted in `db`, a transaction) to a Zaptec charger of the site's
 * installation. Used by charger provisioning for `gateway: 'zaptec'`.
 */
export async function bindZaptecCharger(db: Db, input: { chargerId: string; siteId: string; zaptecChargerId: string; deviceId?: string }): Promise<void> {
  if (!guid.test(input.zaptecChargerId)) throw new AppError(400, 'invalid_zaptec_charger', 'A Zaptec charger id is a GUID, as the Zaptec portal shows it.')
  const [installation] = await db.select().from(zaptecInstallations).where(eq(zaptecInstallations.siteId, input.siteId)).orderBy(asc(zaptecInstallations.createdAt)).limit(1)
  if (!installation) {
    throw new AppError(409, 'zaptec_not_set_up', `Site "${input.siteId}" has no Zaptec installation yet: set it up first (npm run cli -- zaptec setup --site ${input.siteId} …).`)
  }
  const [taken] = await db.select().from(zaptecChargers).where(eq(zaptecChargers.zaptecChargerId, input.zaptecChargerId.toLowerCase()))
  if (taken) throw new AppError(409, 'zaptec_charger_taken', `Zaptec charger ${input.zaptecChargerId} is already charger "${taken.chargerId}".`)
  await db.insert(zaptecChargers).values({ chargerId: input.chargerId, installationId: installation.id, zaptecChargerId: input.zaptecChargerId.toLowerCase(), deviceId: input.deviceId ?? null })
}
