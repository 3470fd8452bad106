import { Hono } from 'hono'
import { z } from 'zod'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { tokenMatches } from '../secrets'
import { provisionCharger } from '../chargers/provision'
import { setUpZaptecInstallation } from '../charging/zaptec/installations'
import { addTerminal } from '../terminals/provision'
import { json } from './validation'

const newCharger = z.object({
  id: z.string().min(1).max(48),
  siteId: z.string().min(1).max(64),
  connectors: z.number().int().min(1).max(8),
  maxPowerW: z.number().int().min(1000).max(1_000_000).optional(),
  plug: z.string().min(1).max(20).optional(),
  label: z.string().max(80).optional(),
  gateway: z.enum(['ocpp', 'zaptec']).optional(),
  zaptecChargerId: z.string().min(1).max(64).optional(),
})

const zaptecSetup = z.object({
  siteId: z.string().min(1).max(64),
  webhooks: z.boolean(),
  api: z.boolean(),
  webhookAuth: z.enum(['basic', 'oauth']).optional(),
  zaptecInstallationId: z.string().min(1).max(64).optional(),
  apiUsername: z.string().min(1).max(254).optional(),
  apiPassword: z.string().min(1).max(200).optional(),
})

const newTerminal = z.object({
  id: z.string().min(1).max(64),
  chargerId: z.string().min(1).max(48),
  /** Checked by addTerminal, whose words (--provider is payter or ccv) the command line shows. */
  provider: z.string().min(1).max(16),
  connectorIds: z.array(z.number().int().min(1).max(64)).min(1).max(8).optional(),
  /** Checked by addTerminal too. */
  language: z.string().min(2).max(8).optional(),
})

/** Operator commands for the command line, guarded by the admin token the server writes at start. */
export function adminRoutes(d: AppContext) {
  return new Hono()
    .use(async (c, next) => {
      const header = c.req.header('authorization') ?? ''
      const token = header.toLowerCase().startsWith('bearer ') ? header.slice(7) : ''
      if (!d.adminTokenHash || !token || !tokenMatches(token, d.adminTokenHash)) {
        throw new AppError(401, 'unauthorized', 'Admin token missing or wrong.')
      }
      await next()
    })
    .post('/chargers', json(newCharger), async (c) => c.json(await provisionCharger(d.db, c.req.valid('json'), d.publicUrl), 201))
    .post('/payment-terminals', json(newTerminal), async (c) => c.json(await addTerminal(d.db, c.req.valid('json')), 201))
    .post('/zaptec-installations', json(zaptecSetup), async (c) => c.json(await setUpZaptecInstallation(d.db, c.req.valid('json'), d.publicUrl), 201))
}
