/**
 * The real thing killed: `bff/index.ts` as a child process on the embedded database, SIGKILLed in
 * the middle of a paid session and started again on the same data directory. The simulated
 * charger keeps charging through the outage, as a real one does.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SimChargePoint } from '../../bff/sim/charge-point'
import { demoChargerPassword } from '../../bff/store/seed'
import { http, until } from '../support/system'
import { openStore } from '../../bff/store/db'
import { simulatedIdempotency, simulatedPayments } from '../../bff/store/schema'

// Starting the BFF twice per case (tsx compiles on the way) is slow on a busy machine.
vi.setConfig({ testTimeout: 180_000 })

const root = join(import.meta.dirname, '..', '..')
const visa = { number: '4242424242424242', expMonth: 12, expYear: 2034, cvc: '123' }
let server: ChildProcess | undefined
let cp: SimChargePoint | undefined
let dataDir = ''

afterEach(async () => {
  await cp?.close()
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGKILL')
    await new Promise((r) => server!.once('exit', r))
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const { port } = probe.address() as { port: number }
  await new Promise((r) => probe.close(r))
  return port
}

async function startServer(port: number) {
  server = spawn(process.execPath, ['--import', 'tsx', 'bff/index.ts'], {
    cwd: root,
    env: { ...process.env, LADDPUNKT_MODE: 'demo', DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', SIM_CHARGERS: '0', LOG_LEVEL: 'error' },
    stdio: 'ignore',
  })
  await until('the BFF is ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok, 60_000)
}

async function crash() {
  const exited = new Promise((r) => server!.once('exit', r))
  server!.kill('SIGKILL')
  await exited
}

async function reconnect(port: number) {
  await until('the charger is back', async () => {
    if (!cp!.isConnected()) await cp!.reconnect().catch(() => {})
    const charger = await (await fetch(`http://127.0.0.1:${port}/api/chargers/DEMO-1`)).json()
    return charger.online
  }, 30_000)
}

async function paidSession(base: string) {
  const created = await http(base, 'POST', '/api/sessions', {
    body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })
  expect(created.status).toBe(201)
  const { session, payment, stopToken } = created.body
  await http(base, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
  return { id: session.id as string, token: stopToken as string }
}

const snapshot = async (base: string, id: string, token: string) => (await http(base, 'GET', `/api/sessions/${id}`, { token })).body

async function finish(base: string, id: string, token: string) {
  await until('energy', async () => (await snapshot(base, id, token)).energyWh > 700, 30_000)
  await http(base, 'POST', `/api/sessions/${id}/stop`, { token })
  await until('settling', async () => (await snapshot(base, id, token)).state === 'settling', 30_000)
  await cp!.unplug(1)
  return until('completed', async () => {
    const s = await snapshot(base, id, token)
    return s.state === 'completed' ? s : null
  }, 30_000)
}

describe('SIGKILL in the middle of a paid session', () => {
  it.each([
    ['after RemoteStart, before the car was plugged in', 'starting'],
    ['mid-charging', 'charging'],
    ['the moment the car is unplugged (settling, capture under way)', 'unplugged'],
  ])('%s: the session ends completed, captured once', async (_, at) => {
    dataDir = mkdtempSync(join(tmpdir(), 'laddpunkt-kill-'))
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    await startServer(port)
    cp = new SimChargePoint({
      endpoint: `ws://127.0.0.1:${port}/ocpp`,
      id: 'DEMO-1',
      password: demoChargerPassword('DEMO-1'),
      connectors: 2,
      maxPowerW: 11_000,
      meterIntervalMs: 40,
      autoPlugDelayMs: null,
      timeScale: 600,
    })
    await cp.connect()
    const { id, token } = await paidSession(base)
    expect((await http(base, 'POST', `/api/sessions/${id}/authorize`, { token })).body.session.state).toBe('starting')
    if (at !== 'starting') {
      await cp.plugIn(1)
      await until('charging', async () => (await snapshot(base, id, token)).state === 'charging')
    }
    if (at === 'unplugged') {
      await until('energy', async () => (await snapshot(base, id, token)).energyWh > 700, 30_000)
      await http(base, 'POST', `/api/sessions/${id}/stop`, { token })
      await until('settling', async () => (await snapshot(base, id, token)).state === 'settling', 30_000)
      await cp.unplug(1)
    }

    await crash()
    if (at === 'starting') await cp.plugIn(1) // the car arrives while the BFF is down
    await startServer(port)
    await reconnect(port)

    const done =
      at === 'unplugged'
        ? await until('completed', async () => {
            const s = await snapshot(base, id, token)
            return s.state === 'completed' ? s : null
          }, 30_000)
        : await finish(base, id, token)
    expect(done.hold.status).toBe('captured')
    expect(done.hold.captured).toBe(Math.min(done.cost.total, done.hold.amount))
    expect(done.hold.captured + done.hold.released).toBe(done.hold.amount)
    expect(done.energyWh).toBeGreaterThan(700)
    const receipt = await http(base, 'GET', new URL(done.receipt.url).pathname + new URL(done.receipt.url).search)
    expect(receipt.body.total).toBe(done.hold.captured)

    // The provider's side, read from the data directory once the BFF is gone: one capture executed, of
    // that amount. The simulated provider stores one row per executed call (a refused call rolls back,
    // a replayed key adds none), so its capture rows are the captures it carried out, whatever their keys.
    await crash()
    const store = await openStore({ dataDir })
    try {
      const [ledger] = await store.db.select().from(simulatedPayments)
      expect(ledger).toMatchObject({ status: 'succeeded', amountCaptured: done.hold.captured })
      const calls = await store.db.select({ request: simulatedIdempotency.request }).from(simulatedIdempotency)
      const executedCaptures = calls.map((c) => JSON.parse(c.request)).filter((r) => r.op === 'capture' && r.id === ledger.id)
      expect(executedCaptures).toEqual([{ op: 'capture', id: ledger.id, amount: done.hold.captured }])
    } finally {
      await store.close()
    }
  })
})
