/** A site's Zaptec installation, for its owner. */
import type { ZaptecInstallationView, ZaptecPortalSettings } from '../../bff/charging/zaptec/installations'
import { api } from './client'
import { call } from './http'

export type { ZaptecInstallationView, ZaptecPortalSettings }

export interface ZaptecSetup {
  webhooks: boolean
  api: boolean
  webhookAuth: 'basic' | 'oauth'
  zaptecInstallationId?: string
  /** Left out: the stored account stays. */
  apiUsername?: string
  apiPassword?: string
}

const zaptec = api.sites[':id'].zaptec
const site = (id: string) => ({ param: { id: encodeURIComponent(id) } })

export const fetchZaptec = (siteId: string) => call(zaptec.$get(site(siteId)))

/** The portal settings come back once: the web-hook password is kept only as a hash. */
export const saveZaptec = (siteId: string, body: ZaptecSetup) => call(zaptec.$put({ ...site(siteId), json: body }))
