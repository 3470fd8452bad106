/** Payment terminals on chargers, put together for startSystem: the desk, each provider's adapter, their web hooks, their books. */
import { Hono } from 'hono'
import type { Logger } from 'pino'
import type { Db } from '../store/db'
import type { HoldKeeper } from '../payments/provider'
import type { Sessions } from '../sessions/service'
import type { LiveBus } from '../live'
import type { Leases } from '../cluster/leases'
import { TerminalDesk } from './desk'
import { PayterTerminals } from './payter/adapter'
import { payterWebhookRoutes } from './payter/routes'
import { CcvTerminals } from './ccv/adapter'
import { ccvWebhookRoutes } from './ccv/routes'
import { TerminalBooks } from './books'

export interface TerminalsConfig {
  /** Payter's Cloud Payment Service: https://cps.mypayter.com, or the local fake. */
  payter?: { apiUrl: string; apiKey: string }
  /** CCV's Payment API: https://api.psp.ccv.eu, or the local fake. */
  ccv?: { apiUrl: string; apiKey: string }
}

export interface Terminals {
  desk: TerminalDesk
  payter: PayterTerminals | null
  ccv: CcvTerminals | null
  /** The terminal providers' books, for support's reconciliation. */
  books: TerminalBooks
  routes: Hono
  close(): void
}

export async function startTerminals(o: {
  config: TerminalsConfig
  db: Db
  sessions: Sessions
  live: LiveBus
  logger: Logger
  publicUrl: string
  holdKeepers: Record<string, HoldKeeper>
  /** How often card reads (Payter) and transactions (CCV) whose web hook was lost are polled; 0: never (tests call poll()). */
  pollSeconds: number
  leases: Leases
}): Promise<Terminals> {
  const desk = new TerminalDesk({ db: o.db, sessions: o.sessions, live: o.live, logger: o.logger, publicUrl: o.publicUrl, leases: o.leases })
  const routes = new Hono()
  const payter = o.config.payter
    ? new PayterTerminals({ db: o.db, desk, logger: o.logger, baseUrl: o.config.payter.apiUrl, apiKey: o.config.payter.apiKey, publicUrl: o.publicUrl })
    : null
  const ccv = o.config.ccv ? new CcvTerminals({ db: o.db, desk, logger: o.logger, baseUrl: o.config.ccv.apiUrl, apiKey: o.config.ccv.apiKey, publicUrl: o.publicUrl }) : null
  if (payter) {
    o.holdKeepers.payter = desk.keeper('payter')
    routes.route('/payter', payterWebhookRoutes(payter))
    await payter.start(o.pollSeconds)
  }
  if (ccv) {
    o.holdKeepers.ccv = desk.keeper('ccv')
    routes.route('/ccv', ccvWebhookRoutes(ccv))
    await ccv.start(o.pollSeconds)
  }
  await desk.resume()
  // Cancels owed for holds that started nothing (a failed cancel, a restart): tried now and then swept.
  await desk.sweepCancels({ all: true }).catch((error) => o.logger.warn({ err: error }, 'terminal cancel sweep failed'))
  desk.startSweeping(o.pollSeconds)
  return {
    desk,
    payter,
    ccv,
    books: new TerminalBooks({ db: o.db, payter: payter?.cloud ?? null, ccv: ccv?.cloud ?? null }),
    routes,
    close() {
      payter?.close()
      ccv?.close()
      desk.close()
    },
  }
}
