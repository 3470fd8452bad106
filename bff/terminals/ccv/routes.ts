/**
 * POST /webhooks/ccv/:terminalId?token=… — CCV calls the webhookUrl of a payment or token request
 * when it moves. CCV's documentation asks integrators to verify the status themselves: the body
 * only names the transaction (its reference), which is then read back from CCV. The URL's token
 * says the request is one we made. Bodies are small and checked; 4xx on bad input.
 *
 * POST /webhooks/ccv/:terminalId/press?token=… — the integrator's app on the IM30 (whose screen we
 * drive) says the driver pressed start (at a connector) or stop. The app is provisioned with the
 * same terminal token; CCV's API has no such call, it is ours.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { zValidator } from '@hono/zod-validator'
import { validationError } from '../../routes/validation'
import type { CcvTerminals } from './adapter'

const terminalId = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'not a terminal id')
const press = z.object({ button: z.enum(['start', 'stop']), connectorId: z.number().int().min(1).max(99).optional() }).strict()
const body = z.object({ reference: z.string().trim().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'not a reference') }).passthrough()

export function ccvWebhookRoutes(ccv: CcvTerminals) {
  return new Hono().post(
    '/:terminalId',
    zValidator('param', z.object({ terminalId }), validationError),
    zValidator('query', z.object({ token: z.string().min(1).max(100) }), validationError),
    zValidator('json', body, validationError),
    async (c) => {
      const { terminalId: id } = c.req.valid('param')
      if (!ccv.cloud.verifyWebhook(id, c.req.valid('query').token)) {
        return c.json({ error: { code: 'unauthorized', message: 'Unknown webhook token.' } }, 401)
      }
      const outcome = await ccv.transactionChanged(id, c.req.valid('json').reference)
      return c.json({ received: true, outcome })
    },
  ).post(
    '/:terminalId/press',
    zValidator('param', z.object({ terminalId }), validationError),
    zValidator('query', z.object({ token: z.string().min(1).max(100) }), validationError),
    zValidator('json', press, validationError),
    async (c) => {
      const { terminalId: id } = c.req.valid('param')
      if (!ccv.cloud.verifyWebhook(id, c.req.valid('query').token)) {
        return c.json({ error: { code: 'unauthorized', message: 'Unknown terminal token.' } }, 401)
      }
      const { button, connectorId } = c.req.valid('json')
      if (button === 'start') await ccv.requestStart(id, connectorId)
      else await ccv.requestStop(id)
      return c.json({ received: true })
    },
  )
}
