/**
 * Session benchmarks (issue 3): start latency (authorize -> charging, BFF time with a car already
 * plugged in), snapshot latency, and SSE fan-out delay to 1,000 live viewers of one session.
 * Everything on loopback. The chargers are the load generator's plain OCPP-J sockets in a child
 * process (they answer a remote start with StartTransaction at once); the HTTP and SSE clients run
 * in this process, so their share of the two cores is in the numbers: upper bounds.
 */
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { startTestSystem, until, type TestSystem } from '../support/system'
import { chargers, connectors } from '../../bff/store/schema'
import { hashPassword } from '../../bff/secrets'
import { evseIdFor } from '../../bff/store/seed'
import { benchPassword, holdChargers } from './ocpp-load'

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

const visa = { number: '4242424242424242', expMonth: 12, expYear: 2034, cvc: '123' }

async function addChargers(sys: TestSystem, count: number): Promise<string[]> {
  const passwordHash = await hashPassword(benchPassword)
  const ids = Array.from({ length: count }, (_, i) => `BENCH-${i + 1}`)
  await sys.store.db.insert(chargers).values(ids.map((id) => ({ id, siteId: 'demo', tariffId: 1, passwordHash })))
  await sys.store.db.insert(connectors).values(ids.map((id) => ({ chargerId: id, connectorId: 1, evseId: evseIdFor(id, 1), plug: 'Type2', maxPowerW: 11_000 })))
  return ids
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: new URL(url).origin, ...headers },
    body: JSON.stringify(body),
  })
  return (await response.json()) as any
}

/** A paid session created and its card confirmed: ready for authorize. */
async function preparedSession(sys: TestSystem, chargerId: string) {
  const created = await post(`${sys.url}/api/sessions`, { chargerId, connectorId: 1, method: 'card' }, { 'idempotency-key': randomUUID() })
  await post(`${sys.url}/api/payments/simulated/confirm`, { clientSecret: created.payment.clientSecret, card: visa })
  return { id: created.session.id as string, token: created.stopToken as string }
}

export async function benchSessions(opts: { sessions: number; viewers: number }) {
  const sys = await startTestSystem({ meterIntervalSeconds: 60 })
  const ids = await addChargers(sys, opts.sessions)
  const chargersHeld = await holdChargers({ endpoint: `ws://127.0.0.1:${sys.port}/ocpp`, ids, password: benchPassword, idle: true })

  // 1. Start: every driver presses Start within one second; authorize -> charging, and the press's own answer.
  const startMs: number[] = []
  const pressMs: number[] = []
  const prepared: { id: string; token: string }[] = []
  for (const id of ids) prepared.push(await preparedSession(sys, id))
  const spacingMs = 1000 / prepared.length
  await Promise.all(
    prepared.map(async (session, i) => {
      await new Promise((r) => setTimeout(r, i * spacingMs))
      const charging = new Promise<void>((resolve) => {
        const stop = sys.live.subscribe(`session:${session.id}`, async () => {
          if ((await sys.sessions.get(session.id)).state === 'charging') {
            stop()
            resolve()
          }
        })
      })
      const t0 = performance.now()
      const response = await fetch(`${sys.url}/api/sessions/${session.id}/authorize`, { method: 'POST', headers: { authorization: `Bearer ${session.token}`, origin: sys.url } })
      await response.arrayBuffer()
      pressMs.push(performance.now() - t0)
      await charging
      startMs.push(performance.now() - t0)
    }),
  )

  // 2. Snapshot: GET /api/sessions/:id
  const snapshotMs: number[] = []
  for (let i = 0; i < 2000; i++) {
    const s = prepared[i % prepared.length]
    const t0 = performance.now()
    const response = await fetch(`${sys.url}/api/sessions/${s.id}`, { headers: { authorization: `Bearer ${s.token}` } })
    await response.arrayBuffer()
    snapshotMs.push(performance.now() - t0)
  }

  // 3. SSE fan-out: one session, many viewers; delay from the BFF's publish to each viewer's read.
  const watched = prepared[0]
  const publishedAt = new Map<number, number>()
  const fanoutMs: number[] = []
  const controller = new AbortController()
  let connected = 0
  const readers = Array.from({ length: opts.viewers }, async () => {
    const ticketed = await fetch(`${sys.url}/api/sessions/${watched.id}/events-ticket`, { method: 'POST', headers: { authorization: `Bearer ${watched.token}`, origin: sys.url } })
    const { ticket } = (await ticketed.json()) as { ticket: string }
    const response = await fetch(`${sys.url}/api/sessions/${watched.id}/events?ticket=${encodeURIComponent(ticket)}`, { signal: controller.signal })
    connected++
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const id = buffer.slice(0, end).match(/^id: (\d+)$/m)
          buffer = buffer.slice(end + 2)
          const sent = id ? publishedAt.get(Number(id[1])) : undefined
          if (sent !== undefined) fanoutMs.push(performance.now() - sent)
        }
      }
    } catch {
      // aborted at the end
    }
  })
  await until('viewers connected', () => connected === opts.viewers, 60_000)
  await new Promise((r) => setTimeout(r, 500))
  const updates = 10
  for (let i = 0; i < updates; i++) {
    const before = await sys.sessions.get(watched.id)
    publishedAt.set(before.version + 1, performance.now())
    await sys.sessions.meterReading({ sessionId: before.id, at: new Date(), energyWh: 1000 * (i + 1), powerW: 11_000, socPercent: null })
    await until('all viewers got the update', () => fanoutMs.length >= opts.viewers * (i + 1), 30_000)
  }
  controller.abort()
  await Promise.allSettled(readers)

  chargersHeld.disconnect()
  await sys.close()
  return {
    sessions: startMs.length,
    pressP50Ms: percentile(pressMs, 50),
    pressP99Ms: percentile(pressMs, 99),
    startP50Ms: percentile(startMs, 50),
    startP99Ms: percentile(startMs, 99),
    snapshotP50Ms: percentile(snapshotMs, 50),
    snapshotP99Ms: percentile(snapshotMs, 99),
    viewers: opts.viewers,
    fanoutP50Ms: percentile(fanoutMs, 50),
    fanoutP99Ms: percentile(fanoutMs, 99),
  }
}
