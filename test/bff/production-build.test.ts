/**
 * The production command: `npm run build:server` makes plain JavaScript, and `node build/index.js`
 * runs it with no TypeScript loader, in production mode, importing only packages production installs.
 */
import { afterAll, describe, expect, it, vi } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Polls until `check` gives a value (this file imports none of our code: it tests the built output). */
async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

vi.setConfig({ testTimeout: 120_000 })
const root = join(import.meta.dirname, '..', '..')
let server: ChildProcess | undefined
const dataDir = mkdtempSync(join(tmpdir(), 'laddpunkt-build-'))
afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await new Promise((r) => server!.once('exit', r))
  }
  rmSync(dataDir, { recursive: true, force: true })
})

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const { port } = probe.address() as { port: number }
  await new Promise((r) => probe.close(r))
  return port
}

describe('the production build', () => {
  it('bundles our code and imports only runtime dependencies', () => {
    const built = spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, encoding: 'utf8' })
    expect(built.status, built.stderr).toBe(0)
    const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    for (const entry of ['index.js', 'cli.js']) {
      const code = readFileSync(join(root, 'build', entry), 'utf8')
      expect(code).not.toMatch(/from "\.{1,2}\//) // nothing of ours left outside the bundle
      const packages = [...code.matchAll(/^import\s(?:[^;]*?\sfrom\s*)?"([^"]+)";$/gm), ...code.matchAll(/\bimport\("([^"]+)"\)/g)].map((m) => m[1])
      expect(packages).toContain('drizzle-orm')
      const foreign = packages
        .filter((p) => !p.startsWith('node:') && !builtinModules.includes(p))
        .map((p) => (p.startsWith('@') ? p.split('/').slice(0, 2).join('/') : p.split('/')[0]))
        .filter((name) => !(name in dependencies))
      expect(foreign, entry).toEqual([])
    }
  })

  it('runs with plain node in production mode', async () => {
    const port = await freePort()
    server = spawn(process.execPath, ['build/index.js'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        SMTP_URL: 'smtp://127.0.0.1:1',
        STRIPE_SECRET_KEY: 'sk_test_build',
        STRIPE_PUBLISHABLE_KEY: 'pk_test_build',
        STRIPE_WEBHOOK_SECRET: 'whsec_build',
        TRUST_PROXY: '1',
      },
    })
    let log = ''
    server.stdout!.on('data', (d) => (log += d))
    server.stderr!.on('data', (d) => (log += d))
    await until('ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok, 60_000)
    expect((await fetch(`http://127.0.0.1:${port}/api/dev/outbox`)).status).toBe(404)
    const config = await (await fetch(`http://127.0.0.1:${port}/api/config`)).json()
    expect(config.payments).toMatchObject({ provider: 'stripe' })
    await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { 'x-forwarded-for': '198.51.100.7' } })
    const line = await until('the access log line', () =>
      log.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.path === '/healthz'),
    )
    expect(line).toMatchObject({ ip: '198.51.100.7', status: 200, requestId: expect.any(String) })
    expect(log).toContain('(production, payments: stripe, storage: pglite)')
  })
})
