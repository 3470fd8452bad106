/**
 * POST /webhooks/payter/:serial?token=… — CPS calls this once the terminal has read a card (the
 * web hook given with each start). The body is bounded by the app and only checked for shape: the
 * token in the URL says the call is for a start we made, and the card is read back from CPS
 * (GET card), so a forged or replayed body cannot start or stop anything. 4xx on bad input.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { zValidator } from '@hono/zod-validator'
import { validationError } from '../../routes/validation'
import type { PayterTerminals } from './adapter'

const serial = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'not a serial number')
const body = z.object({ serialNumber: serial.optional(), state: z.string().max(40).optional() }).passthrough()

export function payterWebhookRoutes(payter: PayterTerminals) {
  return new Hono()
    .post(
      '/:serial',
      zValidator('param', z.object({ serial }), validationError),
      zValidator('query', z.object({ token: z.string().min(1).max(100) }), validationError),
      zValidator('json', body, validationError),
      async (c) => {
        const { serial: id } = c.req.valid('param')
        if (!payter.cloud.verifyCallback(id, c.req.valid('query').token)) {
          return c.json({ error: { code: 'unauthorized', message: 'Unknown web hook token.' } }, 401)
        }
        const outcome = await payter.cardReadCallback(id)
        return c.json({ received: true, outcome })
      },
    )
}
