import pino from 'pino'
import { startSystem, type System, type SystemOptions } from '../../bff/system'
import { SimulatedPayments } from '../../bff/payments/simulated'
import { SimChargePoint, type SimChargePointOptions } from '../../bff/sim/charge-point'
import { demoChargerPassword, demoChargers } from '../../bff/store/seed'
import type { Store } from '../../bff/store/db'
import { openDemoStore } from './store'

export const silent = pino({ level: 'silent' })

/** A clock tests can move forward; it runs with real time in between. */
export function testClock() {
  let offset = 0
  const now = () => new Date(Date.now() + offset)
  return { now, advance: (ms: number) => void (offset += ms) }
}

export interface TestSystem extends System {
  store: Store
  payments: SimulatedPayments
  /** Starts a fresh BFF on the same database and port, as after a crash and restart. */
  restart(): Promise<TestSystem>
}

type Options = Partial<Omit<SystemOptions, 'store' | 'payments'>> & { store?: Store; payments?: SimulatedPayments }

/**
 * The whole BFF on a loopback port with the demo seed and simulated payments, in demo mode (the
 * development outbox and the simulated card form are there; `demo: false` for production); the sweep
 * is driven by the test.
 */
export async function startTestSystem(options: Options = {}): Promise<TestSystem> {
  const store = options.store ?? (await openDemoStore())
  const payments = options.payments ?? new SimulatedPayments({ db: store.db, env: 'test', clock: options.clock })
  const system = await startSystem({
    demo: true,
    sweepSeconds: 0,
    meterIntervalSeconds: 1,
    startTimeoutSeconds: 60,
    limits: {
      sessionsPerMinute: 10_000,
      stopByCardPerMinute: 10_000,
      codesPerClientPerHour: 10_000,
      codesPerAddressPerHour: 10_000,
      wrongCodesPerClientPerHour: 10_000,
      ...options.limits,
    },
    logger: silent,
    ...options,
    store,
    payments,
  })
  return {
    ...system,
    store,
    payments,
    close: async () => {
      await system.close()
      if (!options.store) await store.close()
    },
    restart: async () => {
      await system.close()
      return startTestSystem({ ...options, store, payments, port: system.port })
    },
  }
}

/** A simulated demo charger connected to the system. */
export async function connectCharger(system: { port: number }, id = 'DEMO-1', options: Partial<SimChargePointOptions> = {}) {
  const demo = demoChargers.find((c) => c.id === id)!
  const cp = new SimChargePoint({
    endpoint: `ws://127.0.0.1:${system.port}/ocpp`,
    id,
    password: demoChargerPassword(id),
    connectors: 2,
    maxPowerW: demo.maxPowerW,
    dc: demo.dc,
    meterIntervalMs: 40,
    autoPlugDelayMs: null,
    timeScale: 600,
    ...options,
  })
  await cp.connect()
  return cp
}

/** Waits until `check` returns a truthy value (polling), or fails with `what`. */
export async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** JSON over real HTTP. */
export async function http(base: string, method: string, path: string, opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(base + path, {
    method,
    headers: {
      origin: base,
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  })
  const text = await response.text()
  let json: any = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = text
  }
  return { status: response.status, body: json, headers: response.headers }
}

/**
 * The whole BFF with the real Stripe provider, its `stripe` client pointed at a local fake of
 * Stripe's API, and DEMO-1 connected.
 */
export async function startWithStripe(options: Omit<Options, 'store' | 'payments'> = {}, webhookSecret = 'whsec_test_secret') {
  const { startFakeStripe } = await import('./fake-stripe')
  const { StripePayments } = await import('../../bff/payments/stripe')
  const fake = await startFakeStripe()
  const store = await openDemoStore()
  const payments = new StripePayments({ secretKey: 'sk_test_fake', publishableKey: 'pk_test_fake', webhookSecret, stripe: fake.client() })
  // TestSystem types its provider as the simulated one; these tests are about the Stripe one.
  const sys = await startTestSystem({ ...options, store, payments: payments as never })
  const cp = await connectCharger(sys)
  return { fake, store, sys, cp }
}
