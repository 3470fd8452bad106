/**
 * The fault campaign (issue 9): many sessions at once through campaign charge points against the
 * real BFF (child process) with payments at the fake Stripe, or at the fakes of Payter's and CCV's
 * clouds for the sessions started by a card on a terminal, every session with its planned fault.
 * Sessions whose fault is a SIGKILL of the BFF run last, among themselves, so that a kill does not
 * blur the other rows. Returns every session's result and the one table.
 */
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeStripe } from '../support/fake-stripe'
import { startFakePayter } from '../../bff/sim/payter-cloud'
import { startFakeCcv } from '../../bff/sim/ccv-cloud'
import { CampaignChargePoint } from './charge-point'
import { finalBoundMs, serverSettings, startBff, webhookSecret, type Bff, type ChargerLogin } from './bff'
import { assignKinds, faultKinds, planFor, type FaultKind, type Plan, type Via } from './faults'
import { moneyErrors, runSession, type MoneyError, type SessionResult, type World } from './session'

export interface CampaignOptions {
  sessions: number
  db: 'pglite' | 'postgres'
  seed: number
  /** Charge points charging at once. */
  concurrency: number
  postgresUrl?: string
  kinds?: readonly FaultKind[]
  /**
   * Run the SIGKILL sessions after all others, among themselves (default), so a kill does not blur
   * the other rows; the short version runs everything at once to be quick.
   */
  killsApart?: boolean
  /** Progress lines (default: none). */
  log?: (line: string) => void
}

export interface CampaignReport {
  results: SessionResult[]
  table: string
  /** Sum of all money-error counts: must be 0. */
  moneyErrorCount: number
  reportFile: string
  boundMs: number
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const log = o.log ?? (() => {})
  const plans = assignKinds(o.sessions, o.seed, o.kinds).map((kind, i) => planFor(i, kind, o.seed))
  const apart = o.killsApart ?? true
  const killers = apart ? plans.filter((p) => p.kind === 'bff_kill') : []
  const others = apart ? plans.filter((p) => p.kind !== 'bff_kill') : plans
  const fake = await startFakeStripe()
  const payter = await startFakePayter({ apiKey: 'payter-campaign-key' })
  const ccv = await startFakeCcv({ apiKey: 'ccv-campaign-key' })
  // Spares replace a charger whose session got stuck, so one stuck session does not block the rest.
  const chargerCount = o.concurrency + Math.ceil(o.concurrency / 2) + 4
  const bff = await startBff({
    db: o.db,
    postgresUrl: o.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/test',
    chargers: chargerCount,
    stripePort: fake.port,
    payter: { url: payter.url, apiKey: payter.apiKey },
    ccv: { url: ccv.url, apiKey: ccv.apiKey },
  })
  fake.sendWebhooks(`${bff.base}/webhooks/stripe`, webhookSecret)
  const boundMs = finalBoundMs()
  const world: World = { fake, payter, ccv, bff, boundMs, energySpeed: 10 }
  log(`BFF on ${bff.base} (${o.db}), log ${bff.logFile}; ${plans.length} sessions, ${o.concurrency} at once, seed ${o.seed}; bound ${boundMs / 1000} s`)

  const results: SessionResult[] = []
  const spare = [...bff.chargers]
  const points: CampaignChargePoint[] = []
  const started = Date.now()
  try {
    await runPool(world, others, o.concurrency, spare, points, results, log, started, plans.length)
    // Few at once: every kill hits all sessions in flight, and each should meet its own kill point.
    await runPool(world, killers, Math.min(o.concurrency, 4), spare, points, results, log, started, plans.length)
  } finally {
    await Promise.all(points.map((cp) => cp.close()))
    await bff.stop()
    await fake.close()
    await payter.close()
    await ccv.close()
  }

  results.sort((a, b) => a.plan.index - b.plan.index)
  const bad = results.filter((r) => r.errors.length > 0 || r.refused)
  const events = await bff.events(bad.map((r) => r.sessionId).filter((id): id is string => !!id))
  const reportFile = join(tmpdir(), `laddpunkt-campaign-${o.db}-seed${o.seed}-${Date.now()}.json`)
  writeFileSync(
    reportFile,
    JSON.stringify(
      {
        options: { ...o, log: undefined },
        serverSettings,
        boundMs,
        bffLog: bff.logFile,
        outages: bff.outages,
        sessions: results.map((r) => ({
          ...r,
          events: r.sessionId ? events.get(r.sessionId) : undefined,
        })),
      },
      null,
      1,
    ),
  )
  const moneyErrorCount = results.reduce((n, r) => n + r.errors.length, 0)
  return { results, table: table(results), moneyErrorCount, reportFile, boundMs }
}

async function runPool(
  world: World,
  plans: Plan[],
  concurrency: number,
  spare: ChargerLogin[],
  points: CampaignChargePoint[],
  results: SessionResult[],
  log: (line: string) => void,
  started: number,
  total: number,
) {
  let next = 0
  const connect = async () => {
    const login = spare.shift()
    if (!login) return null
    const cp = new CampaignChargePoint({ endpoint: `ws://127.0.0.1:${world.bff.port}/ocpp`, id: login.id, password: login.password, connectors: 1 })
    points.push(cp)
    try {
      await cp.connect()
      return cp
    } catch (error) {
      log(`${login.id} could not connect: ${(error as Error).message}`)
      return null
    }
  }
  const worker = async () => {
    let cp = await connect()
    if (!cp) return
    while (next < plans.length) {
      const plan = plans[next++]
      const result = await runSession(world, cp, plan)
      results.push(result)
      const flag = result.errors.length ? ` MONEY ERRORS: ${result.errors.map((e) => e.error).join(', ')}` : result.refused ? ` refused ${result.refused}` : ''
      const state = `${result.state ?? '-'}${result.failureReason ? ` (${result.failureReason})` : ''}`
      const via = plan.via === 'app' ? '' : ` via ${plan.via}`
      log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${String(results.length).padStart(4)}/${total} #${plan.index} ${plan.kind}${plan.variant ? `(${plan.variant})` : ''}${via} on ${cp.id}: ${state}${flag}`)
      // A charger whose session did not end (or that was refused as busy) is set aside.
      if (!result.final || result.refused) {
        const fresh = await connect()
        if (fresh) cp = fresh
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, plans.length) }, worker))
  // Plans no worker could take (no charger could connect) count as not run, never as passed.
  for (const plan of plans.slice(next)) results.push(notRun(plan, 'not run: no charger could connect'))
}

function notRun(plan: Plan, why: string): SessionResult {
  return {
    plan, chargerId: '', sessionId: null, paymentId: null, refused: why, state: null, failureReason: null, final: false, deliveredWh: 0,
    expectedCharge: 0, captured: 0, shown: null, receiptTotal: null, executed: null, errors: [], trace: [], sawOutage: false,
  }
}

const short: Record<MoneyError, string> = {
  captured_twice: 'captured twice',
  above_hold: 'above hold',
  hold_not_released: 'hold kept',
  not_final: 'not final',
  shown_not_captured: 'shown≠captured',
  overcharged: 'overcharged',
}

/**
 * One row per fault kind: sessions and outcomes, then the money-error counts (all must be 0); then
 * the same by how the sessions started (phone, Payter terminal, CCV terminal), and the terminal
 * sessions alone by fault kind.
 */
export function table(results: SessionResult[]): string {
  const terminal = results.filter((r) => r.plan.via !== 'app')
  return [
    grid('fault', faultKinds.map((k) => [k, results.filter((r) => r.plan.kind === k)]), results),
    grid('started by', (['app', 'payter', 'ccv'] as Via[]).map((v) => [v, results.filter((r) => r.plan.via === v)]), results),
    grid('terminal sessions', faultKinds.map((k) => [k, terminal.filter((r) => r.plan.kind === k)]), terminal),
  ].join('\n\n')
}

function grid(title: string, groups: [string, SessionResult[]][], all: SessionResult[]): string {
  const columns = [title, 'sessions', 'completed', 'failed', 'cancelled', 'refused', ...moneyErrors.map((e) => short[e])]
  const row = (name: string, list: SessionResult[]) => [
    name,
    list.length,
    list.filter((r) => r.state === 'completed' && r.final).length,
    list.filter((r) => r.state === 'failed').length,
    list.filter((r) => r.state === 'cancelled').length,
    list.filter((r) => r.refused).length,
    ...moneyErrors.map((e) => list.filter((r) => r.errors.some((x) => x.error === e)).length),
  ]
  const rows = groups.map(([name, list]) => row(name, list)).filter((r) => Number(r[1]) > 0)
  rows.push(row('total', all))
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells: (string | number)[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' │ ')
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─')
  return [line(columns), rule, ...rows.slice(0, -1).map(line), rule, line(rows[rows.length - 1])].join('\n')
}

export type { Bff }
