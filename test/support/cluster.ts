/**
 * Several real BFF processes (`bff/index.ts`, production mode) on one PostgreSQL database, and a
 * TCP load balancer in front of them as an operator would run: a new connection goes to the first
 * process that accepts it, in the order given (or round-robin), and one that is gone is skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { openStore } from '../../bff/store/db'
import { seedDemo } from '../../bff/store/seed'
import { until } from './system'
import { createDatabase } from './store'

const root = join(import.meta.dirname, '..', '..')
export const adminUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'

export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const { port } = probe.address() as { port: number }
  await new Promise((r) => probe.close(r))
  return port
}

/** A new database with the demo seed; `drop()` removes it. */
export async function demoDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const database = await createDatabase(adminUrl, prefix)
  const store = await openStore({ databaseUrl: database.url })
  await seedDemo(store.db)
  await store.close()
  return database
}

export interface BffProcess {
  name: string
  port: number
  url: string
  child: ChildProcess
  /** SIGKILL: no goodbye, no cleanup. */
  kill(): Promise<void>
  stop(): Promise<void>
}

/** Starts `bff/index.ts` as its own process; resolves once /readyz answers. */
export async function startBff(name: string, env: Record<string, string>): Promise<BffProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'bff/index.ts'], {
    cwd: root,
    env: { ...process.env, LADDPUNKT_MODE: 'production', NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', SIM_CHARGERS: '0', LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  // A test runner that goes away takes its servers with it.
  const orphanGuard = () => child.kill('SIGKILL')
  process.once('exit', orphanGuard)
  child.once('exit', () => process.off('exit', orphanGuard))
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  const url = `http://127.0.0.1:${port}`
  try {
    await until(`${name} is ready`, async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${stderr}`)
      return (await fetch(`${url}/readyz`).catch(() => null))?.ok
    }, 90_000)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())))
  return {
    name,
    port,
    url,
    child,
    async kill() {
      child.kill('SIGKILL')
      await exited
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

export interface Balancer {
  port: number
  /** Where each connection went, in order. */
  routed: number[]
  close(): Promise<void>
}

/** A TCP load balancer: `first` prefers the backends in order (failover), `round-robin` spreads new connections. */
export async function startBalancer(backends: () => number[], mode: 'first' | 'round-robin' = 'first'): Promise<Balancer> {
  const routed: number[] = []
  const sockets = new Set<Socket>()
  let next = 0
  const server: Server = createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    client.pause()
    const ports = backends()
    const order = mode === 'first' ? ports : ports.map((_, i) => ports[(next + i) % ports.length])
    next++
    const tryAt = (i: number) => {
      if (i >= order.length) return client.destroy()
      const upstream = connect(order[i], '127.0.0.1')
      let connected = false
      upstream.once('connect', () => {
        connected = true
        routed.push(order[i])
        sockets.add(upstream)
        upstream.on('close', () => {
          sockets.delete(upstream)
          client.destroy()
        })
        client.on('close', () => upstream.destroy())
        client.pipe(upstream)
        upstream.pipe(client)
        client.resume()
      })
      upstream.on('error', () => {
        upstream.destroy()
        if (!connected) tryAt(i + 1) // refused: that process is gone, try the next
      })
    }
    tryAt(0)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as { port: number }).port,
    routed,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}
