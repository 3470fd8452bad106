/**
 * The embedded demo's Zaptec charger: ZAPTEC-1 at the demo site, behind a local fake of Zaptec's
 * cloud (zaptec-cloud.ts). Its installation uses both web-hook authorization (HTTP Basic) and the API,
 * as a housing co-operative with a Zaptec Pro installation would: Zaptec asks us when a car connects,
 * and we read live energy and stop through the API. Credentials here are public on purpose, for the
 * demo only, like the demo OCPP chargers' passwords.
 */
import { eq } from 'drizzle-orm'
import type pino from 'pino'
import type { Db } from '../store/db'
import { chargers, connectors, tariffs } from '../store/schema'
import { demoSiteId, evseIdFor } from '../store/seed'
import { hashPassword } from '../secrets'
import { CredentialSealer } from '../charging/zaptec/credentials'
import { portalUrls } from '../charging/zaptec/installations'
import { zaptecChargers, zaptecInstallations } from '../charging/zaptec/schema'
import type { ZaptecGateway } from '../charging/zaptec/adapter'
import { FakeZaptecCloud } from './zaptec-cloud'

export const demoZaptec = {
  chargerId: 'ZAPTEC-1',
  installationId: 'zi-demo',
  zaptecInstallationId: '3d6f3a52-0b1e-4c2a-9a57-5c1f0e7b2d11',
  zaptecChargerId: '8a4e2f10-6c3b-4d5e-9f70-1b2c3d4e5f60',
  deviceId: 'ZAP000001',
  webhookUsername: 'lp-demo-zaptec',
  webhookPassword: 'demo-zaptec-webhook-password',
  apiUsername: 'owner@demo.zaptec.test',
  apiPassword: 'demo-zaptec-api-password',
} as const

/** Adds ZAPTEC-1 and its installation to the demo site, once. Returns whether it seeded. */
export async function seedZaptecDemo(db: Db): Promise<boolean> {
  const [existing] = await db.select({ id: chargers.id }).from(chargers).where(eq(chargers.id, demoZaptec.chargerId))
  if (existing) return false
  const [tariff] = await db.select().from(tariffs).where(eq(tariffs.siteId, demoSiteId)).limit(1)
  if (!tariff) return false
  const webhookPasswordHash = await hashPassword(demoZaptec.webhookPassword)
  const apiPasswordSealed = await new CredentialSealer(db).seal(demoZaptec.apiPassword)
  await db.transaction(async (tx) => {
    await tx.insert(zaptecInstallations).values({
      id: demoZaptec.installationId,
      siteId: demoSiteId,
      zaptecInstallationId: demoZaptec.zaptecInstallationId,
      webhooks: true,
      api: true,
      webhookAuth: 'basic',
      webhookUsername: demoZaptec.webhookUsername,
      webhookPasswordHash,
      apiUsername: demoZaptec.apiUsername,
      apiPasswordSealed,
    })
    await tx.insert(chargers).values({ id: demoZaptec.chargerId, siteId: demoSiteId, tariffId: tariff.id, label: 'Zaptec Pro', gateway: 'zaptec', vendor: 'Zaptec', model: 'Zaptec Pro' })
    await tx.insert(connectors).values({ chargerId: demoZaptec.chargerId, connectorId: 1, evseId: evseIdFor(demoZaptec.chargerId, 1), plug: 'Type2', maxPowerW: 22_000 })
    await tx.insert(zaptecChargers).values({ chargerId: demoZaptec.chargerId, installationId: demoZaptec.installationId, zaptecChargerId: demoZaptec.zaptecChargerId, deviceId: demoZaptec.deviceId })
  })
  return true
}

/**
 * Starts the fake Zaptec cloud for the demo. Give its `url` to the ZaptecGateway (apiBaseUrl); once our
 * server listens, `connect(publicUrl, gateway)` points the installation's web hooks at it and lets a
 * simulated driver plug in a few seconds after a session starts waiting, and unplug after a stop.
 */
export async function startZaptecDemo(o: { logger: pino.Logger; plugInDelayMs?: number; unplugAfterStopMs?: number; timeScale?: number }) {
  const cloud = await new FakeZaptecCloud({
    accounts: [{ username: demoZaptec.apiUsername, password: demoZaptec.apiPassword }],
    installations: [{ id: demoZaptec.zaptecInstallationId, authentication: 'webhooks', chargers: [{ id: demoZaptec.zaptecChargerId, deviceId: demoZaptec.deviceId, powerW: 11_000 }] }],
    logger: o.logger,
    autoUnplugAfterStopMs: o.unplugAfterStopMs ?? 5_000,
    timeScale: o.timeScale,
  }).start()
  return {
    cloud,
    url: cloud.url,
    connect(publicUrl: string, gateway: ZaptecGateway) {
      const urls = portalUrls(publicUrl)
      cloud.setWebhooks(demoZaptec.zaptecInstallationId, {
        sessionStartUrl: urls.sessionStartUrl,
        sessionEndUrl: urls.sessionEndUrl,
        authenticationPayload: new URLSearchParams({ username: demoZaptec.webhookUsername, password: demoZaptec.webhookPassword }).toString(),
      })
      gateway.on('waiting', (e) => {
        if (e.zaptecChargerId !== demoZaptec.zaptecChargerId) return
        setTimeout(() => {
          if (cloud.charger(e.zaptecChargerId).mode !== 1) return
          cloud.plugIn(e.zaptecChargerId).catch((error: Error) => o.logger.warn({ err: error }, 'simulated Zaptec car could not plug in'))
        }, o.plugInDelayMs ?? 4_000).unref()
      })
    },
    close: () => cloud.close(),
  }
}
