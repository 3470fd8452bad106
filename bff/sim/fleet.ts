/**
 * The simulated chargers of the embedded demo, connected over real OCPP WebSockets to our own
 * central system. A charger that cannot connect (the server may still be starting) is retried a few
 * times and logged; it never takes the process down.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type pino from 'pino'
import { demoChargerPassword, demoChargers } from '../store/seed'
import { SimChargePoint } from './charge-point'

export interface SimChargerConfig {
  id: string
  password: string
  connectors: number
  maxPowerW: number
  dc: boolean
}

export interface SimFleet {
  chargePoints: Map<string, SimChargePoint>
  close(): Promise<void>
}

const connectAttempts = 5
const firstRetryDelayMs = 250

/** The demo seed's chargers DEMO-1 … DEMO-4 with their public demo passwords. */
export function demoFleetConfig(): SimChargerConfig[] {
  return demoChargers.map((c) => ({
    id: c.id,
    password: demoChargerPassword(c.id),
    connectors: 2,
    maxPowerW: c.maxPowerW,
    dc: c.dc,
  }))
}

export async function startSimFleet(opts: {
  endpoint: string
  chargers: SimChargerConfig[]
  /** A simulated car is plugged in this long after a remote start, as a driver would (default 4 s). */
  autoPlugDelayMs?: number | null
  /** The simulated car is unplugged this long after charging ends (default 5 s), so a session reaches its receipt. */
  autoUnplugDelayMs?: number | null
  timeScale?: number
  logger: pino.Logger
}): Promise<SimFleet> {
  const log = opts.logger.child({ component: 'sim-fleet' })
  const closing = new AbortController()
  const chargePoints = new Map<string, SimChargePoint>()

  const connect = async (cp: SimChargePoint, first: boolean): Promise<void> => {
    for (let attempt = 1; attempt <= connectAttempts && !closing.signal.aborted; attempt++) {
      try {
        await (first ? cp.connect() : cp.reconnect())
        log.info({ chargerId: cp.id }, 'simulated charger connected')
        return
      } catch (error) {
        log.warn({ chargerId: cp.id, attempt, err: error }, 'simulated charger could not connect')
        await sleep(firstRetryDelayMs * 2 ** (attempt - 1), undefined, { signal: closing.signal }).catch(() => {})
      }
    }
    if (!closing.signal.aborted) log.error({ chargerId: cp.id }, 'simulated charger gave up connecting')
  }

  for (const charger of opts.chargers) {
    const cp = new SimChargePoint({
      endpoint: opts.endpoint,
      ...charger,
      autoPlugDelayMs: opts.autoPlugDelayMs === undefined ? 4_000 : opts.autoPlugDelayMs,
      autoUnplugDelayMs: opts.autoUnplugDelayMs === undefined ? 5_000 : opts.autoUnplugDelayMs,
      timeScale: opts.timeScale,
      logger: opts.logger,
    })
    // A real charger whose connection drops dials in again by itself.
    cp.on('disconnected', () => void connect(cp, false))
    chargePoints.set(charger.id, cp)
  }
  await Promise.all([...chargePoints.values()].map((cp) => connect(cp, true)))

  return {
    chargePoints,
    close: async () => {
      closing.abort()
      await Promise.all([...chargePoints.values()].map((cp) => cp.close().catch(() => {})))
    },
  }
}
