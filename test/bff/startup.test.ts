/**
 * The real entry points as an operator runs them: `bff/index.ts` and the provisioning CLI, as
 * child processes on the embedded database in a temporary data directory.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { RPCClient } from 'ocpp-rpc'
import { until } from '../support/system'

const root = join(import.meta.dirname, '..', '..')
// Each case starts real processes (tsx compiles on the way): slow on a busy machine, not a benchmark.
vi.setConfig({ testTimeout: 120_000 })
const children: ChildProcess[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function run(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    // The embedded demo: these cases run without SMTP or Stripe (production refuses that, see production.test.ts).
    env: { ...process.env, LOG_LEVEL: 'error', DATABASE_URL: '', LADDPUNKT_MODE: 'demo', ...env },
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)))
  return { child, exited, out: () => out, err: () => err }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'laddpunkt-'))
  dirs.push(dir)
  return dir
}

describe('starting the BFF', () => {
  it('stops with one clear line on a bad port or database URL', async () => {
    const bad: Record<string, string>[] = [{ PORT: 'eighty' }, { DATABASE_URL: 'mysql://nope' }, { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }]
    for (const env of bad) {
      const proc = run('bff/index.ts', [], { DATA_DIR: tempDir(), SIM_CHARGERS: '0', ...env })
      expect(await proc.exited).toBe(1)
      const lines = proc.err().trim().split('\n').filter((l) => !l.includes('nodedir'))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^laddpunkt: (Bad configuration: (PORT|DATABASE_URL)|Cannot open the database)/)
    }
  })

  it('refuses a port that is taken with one clear line', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const { port } = blocker.address() as { port: number }
    const proc = run('bff/index.ts', [], { DATA_DIR: tempDir(), SIM_CHARGERS: '0', PORT: String(port), HOST: '127.0.0.1' })
    expect(await proc.exited).toBe(1)
    expect(proc.err()).toContain(`Port ${port} is already in use`)
    blocker.close()
  })
})

describe('npm run cli -- charger add', () => {
  it('goes through the running server while it holds the embedded database, and the new charger can connect', async () => {
    const dataDir = tempDir()
    const port = await freePort()
    const env = { DATA_DIR: dataDir, SIM_CHARGERS: '0', PORT: String(port), HOST: '127.0.0.1' }
    const server = run('bff/index.ts', [], env)
    await until('server ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok, 30_000)

    const cli = run('bff/cli.ts', ['charger', 'add', 'ACME-42', '--site', 'demo', '--connectors', '2'], env)
    expect(await cli.exited).toBe(0)
    expect(cli.out()).toContain(`ws://localhost:${port}/ocpp/ACME-42`)
    const password = cli.out().match(/Password:\s+(\S+)/)![1]

    const charger = await (await fetch(`http://127.0.0.1:${port}/api/chargers/ACME-42`)).json()
    expect(charger.connectors.map((c: { evseId: string }) => c.evseId)).toEqual(['SE*LDP*EACME42*1', 'SE*LDP*EACME42*2'])
    const options = { endpoint: `ws://127.0.0.1:${port}/ocpp`, identity: 'ACME-42', password, protocols: ['ocpp1.6'], reconnect: false }
    const client = new RPCClient(options as ConstructorParameters<typeof RPCClient>[0])
    await client.connect()
    const boot = (await client.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'X' })) as { status: string }
    expect(boot.status).toBe('Accepted')
    await client.close()

    const again = run('bff/cli.ts', ['charger', 'add', 'ACME-42', '--site', 'demo'], env)
    expect(await again.exited).toBe(1)
    expect(again.err()).toContain('already exists')
    expect(server.child.exitCode).toBeNull()
  })

  it('opens the database itself when no server runs, and explains bad arguments', async () => {
    const dataDir = tempDir()
    const env = { DATA_DIR: dataDir, PUBLIC_URL: 'https://charge.example.com' }
    // The first server start seeds the demo site; then it is stopped.
    const port = await freePort()
    const server = run('bff/index.ts', [], { ...env, SIM_CHARGERS: '0', PORT: String(port), HOST: '127.0.0.1' })
    await until('server ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok, 30_000)
    server.child.kill('SIGTERM')
    await server.exited

    const cli = run('bff/cli.ts', ['charger', 'add', 'ACME-7', '--site', 'demo', '--connectors', '1'], env)
    expect(await cli.exited).toBe(0)
    expect(cli.out()).toContain('wss://charge.example.com/ocpp/ACME-7')

    const usage = run('bff/cli.ts', ['charger', 'add'], env)
    expect(await usage.exited).toBe(1)
    expect(usage.err()).toContain('Usage:')
    const noSite = run('bff/cli.ts', ['charger', 'add', 'ACME-8', '--site', 'nowhere'], env)
    expect(await noSite.exited).toBe(1)
    expect(noSite.err()).toContain('No site "nowhere"')
  })
})
