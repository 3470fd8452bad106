/**
 * POST /webhooks/ccv/:terminalId?token=… — CCV calls the webhookUrl of a payment or token request
 * when it moves. CCV's documentation asks integrators to verify the status themselves: the body
 * only names the transaction (its reference), which is then read back from CCV. The URL's token
 * says the request is one we made. Bodies are small and checked; 4xx on bad input.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { zValidator } from '@hono/zod-validator'
import { validationError } from '../../routes/validation'
import type { CcvTerminals } from './adapter'

const terminalId = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'not a terminal id')
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
  )
}
