/**
 * One campaign session: a driver over real HTTP (as the PWA does: create, confirm the card at the
 * fake Stripe, authorize, stop with the stop token, follow the session, open the receipt) or with a
 * card at the charger's terminal (Payter: tap; CCV: press start, present the card; stop by the same
 * card, or by unplugging; the receipt by the QR code on the terminal's screen), a car at a campaign
 * charge point, and the plan's fault. Then the verdict: what the provider executed held against what
 * the charger delivered and what the driver is shown.
 */
import { randomUUID } from 'node:crypto'
import type { CampaignChargePoint, Fate, Transaction } from './charge-point'
import type { FakeStripe, Executed } from '../support/fake-stripe'
import type { FakePayter, TestCard } from '../../bff/sim/payter-cloud'
import type { CcvTestCard, FakeCcv } from '../../bff/sim/ccv-cloud'
import { CcvCloud } from '../../bff/terminals/ccv/client'
import { terminalTexts } from '../../bff/terminals/texts'
import { terminalOf, type Bff } from './bff'
import { random, type Plan } from './faults'

export const moneyErrors = ['captured_twice', 'above_hold', 'hold_not_released', 'not_final', 'shown_not_captured', 'overcharged'] as const
export type MoneyError = (typeof moneyErrors)[number]

export interface World {
  fake: FakeStripe
  payter: FakePayter
  ccv: FakeCcv
  bff: Bff
  /** How long after the charger and driver are done a session must be final. */
  boundMs: number
  /** Cars draw energy this many times faster than real time, so short sessions cost more than the provider's minimum. */
  energySpeed: number
}

export interface SessionResult {
  plan: Plan
  chargerId: string
  sessionId: string | null
  paymentId: string | null
  /**
   * Set when the session could not be run: the BFF refused to create it (e.g. 409 connector_busy:
   * the previous session there is stuck), or the campaign itself failed (a bug of ours, not a pass).
   */
  refused: string | null
  state: string | null
  /** Why the BFF says it failed or was cancelled (e.g. charger_offline, start_timeout). */
  failureReason: string | null
  final: boolean
  deliveredWh: number
  expectedCharge: number
  captured: number
  shown: number | null
  receiptTotal: number | null
  executed: Executed | null
  errors: { error: MoneyError; detail: string }[]
  trace: string[]
  /** The session overlapped a BFF outage (a SIGKILL). */
  sawOutage: boolean
}

const finalStates = ['completed', 'failed', 'cancelled']
const card = { brand: 'visa', last4: '4242', fingerprint: 'fp_campaign_visa' }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** JSON over HTTP as a browser behind a proxy sends it; network errors (a killed BFF) are retried. */
async function api(base: string, ip: string, method: string, path: string, o: { body?: unknown; token?: string; key?: string; patienceMs?: number; retry?: boolean } = {}) {
  const deadline = Date.now() + (o.patienceMs ?? 120_000)
  for (;;) {
    try {
      const response = await fetch(base + path, {
        method,
        headers: {
          origin: base,
          'x-forwarded-for': ip,
          ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(o.key ? { 'idempotency-key': o.key } : {}),
        },
        body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
        signal: AbortSignal.timeout(30_000),
      })
      const text = await response.text()
      let body: any = text
      try {
        body = text ? JSON.parse(text) : null
      } catch {}
      // A retry with the same idempotency key is what a client does after a 5xx or a 429.
      if ((response.status >= 500 || response.status === 429) && Date.now() < deadline && (method === 'GET' || o.key || o.retry || path.endsWith('/stop'))) {
        await sleep(response.status === 429 ? 1000 : 500)
        continue
      }
      return { status: response.status, body }
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(300)
    }
  }
}

export async function runSession(world: World, cp: CampaignChargePoint, plan: Plan): Promise<SessionResult> {
  const { fake, bff } = world
  const base = bff.base
  const r = random(plan.index * 7919 + 17)
  const ip = `10.${(plan.index >> 16) & 255}.${(plan.index >> 8) & 255}.${plan.index & 255}`
  const began = Date.now()
  const trace: string[] = []
  const note = (line: string) => trace.push(`${((Date.now() - began) / 1000).toFixed(2).padStart(7)}s ${line}`)
  const firstTx = cp.transactions.length
  const result: SessionResult = {
    plan,
    chargerId: cp.id,
    sessionId: null,
    paymentId: null,
    refused: null,
    state: null,
    failureReason: null,
    final: false,
    deliveredWh: 0,
    expectedCharge: 0,
    captured: 0,
    shown: null,
    receiptTotal: null,
    executed: null,
    errors: [],
    trace,
    sawOutage: false,
  }

  // ——— the charger, as this session finds it ———
  cp.trace = (line) => note(`[cp] ${line}`)
  cp.statusTimestamps = plan.statusTimestamps
  cp.statusOnReconnect = plan.statusOnReconnect
  cp.authorizeRemoteStarts = plan.authorizeRemote
  cp.meterInKwh = plan.meterInKwh
  cp.energySpeed = world.energySpeed
  cp.restampStartResend = plan.kind === 'restamped_start'
  cp.rejectRemoteStart = plan.kind === 'rejected_start'
  cp.clockOffsetMs = plan.clockOffsetMs ?? 0
  if (plan.clockResetTo) cp.setClock(new Date(plan.clockResetTo))
  if (plan.meterStartWh !== undefined) cp.setRegister(1, plan.meterStartWh)
  cp.forgetPendingStart(1)
  let phase: 'start' | 'charging' | 'stopped' | 'unplug' = 'start'
  let lostOnce = false
  const once = (fate: Fate) => (lostOnce ? undefined : ((lostOnce = true), fate))
  cp.fault = ({ action, payload, attempt }) => {
    switch (plan.kind) {
      case 'lost_unplug':
        return action === 'StatusNotification' && payload.status === 'Available' && phase === 'unplug' ? once({ drop: true }) : undefined
      case 'lost_stop_answer':
        return action === 'StopTransaction' && attempt === 0 ? { loseAnswer: true } : undefined
      case 'restamped_start':
        return action === 'StartTransaction' && attempt === 0 ? { loseAnswer: true } : undefined
      case 'duplicated':
        return { duplicate: true }
      case 'delayed': {
        const [lo, hi] = plan.delayMs!
        if (plan.variant === 'slow_link' || (plan.variant === 'sporadic' && r.chance(0.2))) return { delayMs: r.int(lo, hi) }
        if (plan.variant === 'late_unplug' && action === 'StatusNotification' && payload.status === 'Available' && phase === 'unplug') return { delayMs: r.int(lo, hi) }
        return undefined
      }
      case 'reordered':
        if (plan.variant === 'unplug_before_stop' && action === 'StopTransaction' && attempt === 0) return { delayMs: 2500 }
        if (plan.variant === 'finishing_after_available' && action === 'StatusNotification' && payload.status === 'Finishing') return { delayMs: 2500 }
        return undefined
      default:
        return undefined
    }
  }
  let remoteStopsLost = 0
  cp.loseIncoming = (action) => plan.kind === 'lost_remote_stop' && action === 'RemoteStopTransaction' && remoteStopsLost++ === 0
  let killed = false
  const kill = async (at: string) => {
    if (killed) return // one kill per session: the BFF resends its RemoteStart after the restart
    killed = true
    note(`SIGKILL the BFF (${at})`)
    await bff.kill()
    note('BFF back')
  }
  let wentOffline = false
  cp.beforeAnswer = async (action) => {
    if (action === 'RemoteStartTransaction' && plan.killAt === 'remote_start' && !killed) {
      void kill('RemoteStart in flight')
      await sleep(300) // the answer goes out to a dead server
    }
    if (action === 'RemoteStartTransaction' && plan.kind === 'offline_start' && !wentOffline) {
      wentOffline = true
      setTimeout(() => {
        cp.goOffline()
        setTimeout(() => void cp.goOnline().catch(() => {}), plan.offlineMs)
      }, 50)
    }
  }

  try {
    await (plan.via === 'app' ? drive() : driveTerminal(plan.via))
  } catch (error) {
    note(`campaign error: ${(error as Error).stack ?? error}`)
    result.refused ??= `campaign error: ${(error as Error).message}`
  } finally {
    cp.fault = null
    cp.loseIncoming = null
    cp.beforeAnswer = null
    cp.trace = null
  }
  return result

  async function drive() {
    // ——— the driver starts ———
    const key = randomUUID()
    const create = () =>
      api(base, ip, 'POST', '/api/sessions', {
        key,
        body: { chargerId: cp.id, connectorId: 1, method: 'card', ...(plan.capAmount ? { capAmount: plan.capAmount } : {}) },
      })
    let created = await create()
    // A driver tries again while the charger reconnects (e.g. after the BFF restarted).
    for (let tries = 0; created.status === 409 && created.body?.error?.code === 'charger_offline' && tries < 30; tries++) {
      await sleep(1000)
      created = await create()
    }
    note(`POST /api/sessions → ${created.status} ${created.status === 201 ? created.body.session.id : JSON.stringify(created.body)}`)
    if (created.status !== 201) {
      result.refused = `${created.status} ${created.body?.error?.code ?? ''}`.trim()
      return
    }
    const id: string = created.body.session.id
    const token: string = created.body.stopToken
    const paymentId = String(created.body.payment.clientSecret).split('_secret_')[0]
    result.sessionId = id
    result.paymentId = paymentId
    const get = () => api(base, ip, 'GET', `/api/sessions/${id}`, { token })

    if (plan.killAt === 'pending') await kill('pending, before the card was confirmed')
    fake.confirm(paymentId, { card })
    note(`card confirmed at the provider (${paymentId})`)
    if (plan.kind.startsWith('stripe_')) {
      const kind = plan.kind === 'stripe_5xx' ? '5xx' : plan.kind === 'stripe_timeout' ? 'hang' : 'lost_answer'
      const op = plan.variant === 'cancel' ? 'cancel' : 'capture'
      fake.injectFault(paymentId, { op, kind, count: kind === '5xx' ? 5 : 3, ms: kind === 'hang' ? 2500 : 800 })
    }
    const authorized = await api(base, ip, 'POST', `/api/sessions/${id}/authorize`, { token, key: `${key}-authorize` })
    note(`POST authorize → ${authorized.status} ${authorized.body?.session?.state ?? JSON.stringify(authorized.body)}`)
    if (plan.killAt === 'starting') await kill('starting, RemoteStart sent')

    if (plan.kind === 'driver_cancel') {
      await sleep(plan.plugDelayMs)
      const cancelled = await api(base, ip, 'POST', `/api/sessions/${id}/cancel`, { token })
      note(`POST cancel → ${cancelled.status} ${cancelled.body?.session?.state ?? JSON.stringify(cancelled.body)}`)
    } else if (plan.kind !== 'no_car' && plan.kind !== 'rejected_start' && authorized.body?.session?.state === 'starting') {
      await sleep(plan.plugDelayMs)
      note(`car plugged in (${plan.powerW / 1000} kW × ${world.energySpeed} time-lapse)`)
      await cp.plugIn(1, plan.powerW)
      await charge(async () => {
        const answer = await api(base, ip, 'POST', `/api/sessions/${id}/stop`, { token })
        note(`POST stop → ${answer.status} ${answer.body?.session?.state ?? JSON.stringify(answer.body)}`)
      }, paymentId)
    }

    // ——— the charger and the car are done: the server has its bound to finish ———
    await cp.flushed(120_000)
    if (!cp.isOnline()) await cp.goOnline().catch(() => {})
    const physicalEnd = Date.now()
    note('charger done (queue delivered, car gone)')
    let snapshot: any = null
    let deadline = physicalEnd + world.boundMs
    for (;;) {
      // time the BFF was down does not count against it
      deadline = physicalEnd + world.boundMs + outageMs(bff, began, deadline)
      const answer = await get().catch(() => null)
      if (answer?.status === 200) snapshot = answer.body
      if (snapshot && finalStates.includes(snapshot.state)) {
        // a final session's hold is settled within the same bound (a release may still be under way)
        const pi = fake.peek(paymentId)
        if (pi?.status !== 'requires_capture' || Date.now() > deadline) break
      }
      if (Date.now() > deadline) break
      await sleep(1000)
    }
    result.sawOutage = bff.outages.some((o) => o.to >= began && o.from <= Date.now())
    result.state = snapshot?.state ?? null
    result.failureReason = snapshot?.failureReason ?? null
    result.final = !!snapshot && finalStates.includes(snapshot.state)
    note(`session ${result.state}${result.failureReason ? ` (${result.failureReason})` : ''}${result.final ? '' : ' — NOT FINAL at the bound'}: hold ${JSON.stringify(snapshot?.hold)} cost ${snapshot?.cost?.total} charge ${JSON.stringify(snapshot?.charge ?? null)}`)
    let receipt: any = null
    if (snapshot?.receipt?.url) {
      const url = new URL(snapshot.receipt.url)
      const answer = await api(base, ip, 'GET', url.pathname + url.search)
      if (answer.status === 200) receipt = answer.body
      note(`receipt ${snapshot.receipt.number}: total ${receipt?.total} captured ${receipt?.payment?.captured}`)
    }
    judge(snapshot, receipt, paymentId)
  }

  /**
   * A session started by a card at the charger's terminal. Payter: the driver taps (the terminal
   * scans all the time); CCV: the driver presses start on the IM30 and presents the card, and to stop
   * presses stop and presents it again. The receipt is what the QR code on the terminal opens.
   */
  async function driveTerminal(provider: 'payter' | 'ccv') {
    const terminalId = terminalOf(cp.id, provider)
    const cards = campaignCards(plan.index)
    const holdsBefore = new Set(holdsAt(world, provider, terminalId).map((h) => h.id))
    const shownBefore = screensOf(world, provider, terminalId).length
    const faults = provider === 'payter' ? world.payter.faultsFor(terminalId) : world.ccv.faultsFor(terminalId)
    for (const k of Object.keys(faults)) delete faults[k as keyof typeof faults]
    const lose = provider === 'payter' ? 'loseCallbacks' : 'loseWebhooks'
    const duplicate = provider === 'payter' ? 'duplicateCallbacks' : 'duplicateWebhooks'
    const callbackFault = (at: 'start' | 'stop') => {
      if (plan.variant !== at) return
      if (plan.kind.endsWith('_lost_callback')) Object.assign(faults, { [lose]: 1 })
      if (plan.kind.endsWith('_duplicated_callback')) Object.assign(faults, { [duplicate]: 1 })
    }
    if (plan.kind.endsWith('_cloud_fault')) {
      const payter = provider === 'payter'
      Object.assign(
        faults,
        plan.variant === '5xx_before' ? { [payter ? 'commitFailsBefore' : 'captureFailsBefore']: 3 }
        : plan.variant === '5xx_after' ? { [payter ? 'commitFailsAfter' : 'captureFailsAfter']: 1 }
        : plan.variant === 'timeout' ? { [payter ? 'commitHangs' : 'captureHangs']: 1, hangMs: 17_000 }
        : { [payter ? 'cancelFailsBefore' : 'reversalFailsBefore']: 3 },
      )
    }
    const tariff = (await api(base, ip, 'GET', `/api/chargers/${encodeURIComponent(cp.id)}`)).body?.tariff

    /** The driver presents a card: on Payter once the terminal scans, on CCV after pressing the button. */
    const present = async (card: { payter: TestCard; ccv: CcvTestCard }, button: 'start' | 'stop') => {
      if (provider === 'payter') {
        if (!(await waitFor(() => world.payter.terminals.get(terminalId)?.state === 'READING', 30_000))) return false
        const tapped = await world.payter.tap(terminalId, card.payter)
        note(`card ${card.payter.last4} tapped on ${terminalId}: ${tapped ? 'read' : 'not scanning'}`)
        return tapped
      }
      // The button pressed again after a 5xx (the BFF restarting): a second start only asks the IM30 for the card again.
      const pressed = await api(base, ip, 'POST', `/webhooks/ccv/${terminalId}/press?token=${ccvToken(world, terminalId)}`, { body: { button, connectorId: 1 }, retry: true })
      note(`pressed ${button} on ${terminalId} → ${pressed.status}${pressed.status === 200 ? '' : ` ${JSON.stringify(pressed.body)}`}`)
      if (pressed.status !== 200) return false
      const wants = button === 'start' ? 'authorise' : 'token'
      if (!(await waitFor(() => world.ccv.waiting(terminalId) === wants, 15_000))) return false
      const tapped = await world.ccv.tap(terminalId, card.ccv)
      note(`card ${card.ccv.pan.slice(-4)} presented on ${terminalId}: ${tapped ? 'read' : 'nothing waited for it'}`)
      return tapped
    }
    const newHolds = () => holdsAt(world, provider, terminalId).filter((h) => !holdsBefore.has(h.id))

    // ——— the driver starts with a card ———
    if (plan.variant === 'declined_then_good') {
      await present(cards.declined, 'start')
      await waitFor(() => newHolds().length > 0, 15_000)
      note(`declined card: ${JSON.stringify(newHolds())}`)
    }
    callbackFault('start')
    const taken = () => newHolds().filter((h) => !h.declined)
    // A card read the BFF never heard of (it was down) is lost: the terminal shows its price again and the driver tries again.
    let hold = false
    for (let attempt = 0; attempt < 3 && !hold; attempt++) {
      if (attempt > 0) note('no hold: the driver presents the card again')
      if (await present(cards.good, 'start')) hold = await waitFor(() => taken().length > 0, 30_000)
    }
    const paymentId = taken()[0]?.id ?? null
    result.paymentId = paymentId
    note(`hold at ${provider}: ${JSON.stringify(newHolds())}`)
    if (!hold || !paymentId) {
      result.refused = 'the terminal took no card, or took no hold'
      return
    }
    if (plan.kind !== 'no_car' && plan.kind !== 'rejected_start') {
      await sleep(plan.plugDelayMs)
      note(`car plugged in (${plan.powerW / 1000} kW × ${world.energySpeed} time-lapse)`)
      await cp.plugIn(1, plan.powerW)
      await charge(async () => {
        if (plan.variant === 'other_card_then_same') {
          const shown = screensOf(world, provider, terminalId).length
          await present(cards.other, 'stop')
          // CCV shows "present the card" first, then the refusal; Payter the refusal alone.
          await waitFor(() => screensOf(world, provider, terminalId).length > shown + (provider === 'ccv' ? 1 : 0), 10_000)
          note(`other card refused: ${JSON.stringify(screensOf(world, provider, terminalId).at(-1)?.lines)}`)
        }
        callbackFault('stop')
        await present(cards.good, 'stop')
      }, paymentId)
    }

    // ——— the charger and the car are done: the server has its bound to finish ———
    await cp.flushed(120_000)
    if (!cp.isOnline()) await cp.goOnline().catch(() => {})
    const physicalEnd = Date.now()
    note('charger done (queue delivered, car gone)')
    let deadline = physicalEnd + world.boundMs
    let end: { lines: string[]; qrCode: string | null } | undefined
    for (;;) {
      deadline = physicalEnd + world.boundMs + outageMs(bff, began, deadline)
      end = screensOf(world, provider, terminalId).slice(shownBefore).find(isEndScreen)
      if (end && newHolds().every((h) => !h.open)) break
      if (Date.now() > deadline) break
      await sleep(1000)
    }
    result.sawOutage = bff.outages.some((o) => o.to >= began && o.from <= Date.now())
    result.final = !!end && newHolds().every((h) => !h.open)
    result.state = end?.qrCode ? 'completed' : end ? 'failed' : null
    note(`terminal ${terminalId} ${end ? `shows ${JSON.stringify(end)}` : 'shows no end of the session'} — holds ${JSON.stringify(newHolds())}`)
    let receipt: any = null
    if (end?.qrCode) {
      const url = new URL(end.qrCode)
      const number = url.pathname.split('/').pop()!
      const answer = await api(base, ip, 'GET', `/api/receipts/${number}${url.search}`)
      if (answer.status === 200) receipt = answer.body
      result.sessionId = receipt?.sessionId ?? null
      note(`receipt ${decodeURIComponent(number)} by the QR code: total ${receipt?.total} captured ${receipt?.payment?.captured}`)
    }
    judgeTerminal(newHolds(), end, receipt, tariff)
  }

  /** Money errors of a terminal session: what the terminal provider executed against the charger's energy and what the terminal and receipt show. */
  function judgeTerminal(holds: TerminalHold[], end: { lines: string[]; qrCode: string | null } | undefined, receipt: any, tariff: any) {
    const fail = (error: MoneyError, detail: string) => result.errors.push({ error, detail })
    const captures = holds.flatMap((h) => h.captures)
    result.executed = { captures, cancels: holds.filter((h) => h.cancelled).length, refunds: [] }
    result.captured = captures.reduce((a, b) => a + b, 0)
    const holdAmount = holds.find((h) => h.id === result.paymentId)?.amount ?? 0
    result.expectedCharge = expectedCharge(tariff, holdAmount)
    if (captures.length > 1) fail('captured_twice', `the terminal provider executed ${captures.length} commits/captures: ${captures.join(', ')} (${holds.map((h) => h.id).join(', ')})`)
    for (const h of holds) if (h.captures.reduce((a, b) => a + b, 0) > h.amount) fail('above_hold', `captured ${h.captures.join('+')} on a hold of ${h.amount} (${h.id})`)
    if (!result.final) fail('not_final', `the terminal showed ${end ? 'the end' : 'no end'} of the session, holds ${JSON.stringify(holds)}`)
    const open = holds.filter((h) => h.open)
    if (!result.final || open.length) fail('hold_not_released', `still held at the terminal provider: ${open.map((h) => `${h.id} (${h.amount})`).join(', ') || 'none'}`)
    if (result.captured > result.expectedCharge + 1) fail('overcharged', `captured ${result.captured}, expected ${result.expectedCharge} for ${result.deliveredWh} Wh delivered`)
    if (end) {
      // The terminal's total (its first line, in whatever language and grouping) and the receipt the QR code opens.
      const total = end.qrCode ? /(\d+)[.,](\d{2})/.exec((end.lines[0] ?? '').replace(/\s/g, '')) : null
      result.shown = end.qrCode ? (total ? Number(total[1]) * 100 + Number(total[2]) : null) : 0
      result.receiptTotal = receipt?.total ?? null
      const disagree: string[] = []
      if (result.shown !== result.captured) disagree.push(`terminal ${JSON.stringify(end.lines[0])}`)
      if (end.qrCode && !receipt) disagree.push('the QR code opens no receipt')
      if (receipt && receipt.total !== result.captured) disagree.push(`receipt ${receipt.total}`)
      if (receipt && receipt.payment?.captured !== result.captured) disagree.push(`receipt payment.captured ${receipt.payment?.captured}`)
      if (!end.qrCode && result.captured > 0) disagree.push('charged without a receipt')
      if (disagree.length) fail('shown_not_captured', `provider captured ${result.captured}; ${disagree.join(', ')}`)
    }
    for (const e of result.errors) note(`MONEY ERROR ${e.error}: ${e.detail}`)
  }

  /** From the car plugged in to the car gone, with the plan's fault on the way; `stop` is the driver's (app or card). */
  async function charge(stop: () => Promise<void>, paymentId: string) {
    const started = await waitFor(() => cp.transaction(1)?.transactionId != null || !!cp.transaction(1)?.stoppedAt, 30_000 + (plan.offlineMs ?? 0))
    const tx = cp.transaction(1)
    if (!started || !tx) {
      note('no transaction started at the charger: the driver unplugs')
      await cp.unplug(1)
      return
    }
    phase = 'charging'
    const chargeFor = async (ms: number) => {
      await waitFor(() => !!tx.stoppedAt, ms)
    }
    const half = Math.floor(plan.chargeMs / 2)
    await chargeFor(half)
    if (plan.killAt === 'charging') await kill('charging')
    if (plan.kind === 'expired_hold' && plan.variant === 'while_charging') {
      fake.expire(paymentId)
      note('the hold expired at the provider')
    }
    if (plan.kind === 'offline_mid' && plan.variant === 'charging_through') {
      cp.goOffline()
      await sleep(plan.offlineMs!)
      await cp.goOnline()
    }
    if (plan.kind === 'offline_unplug' && plan.variant === 'unplug_while_offline') {
      cp.goOffline()
      await sleep(500)
      phase = 'unplug'
      note('car unplugged while the charger is offline')
      await cp.unplug(1)
      await sleep(plan.offlineMs!)
      await cp.goOnline()
      return
    }
    await chargeFor(plan.chargeMs - half)
    if (plan.kind === 'expired_hold' && plan.variant === 'before_stop') {
      fake.expire(paymentId)
      note('the hold expired at the provider')
    }

    if (!tx.stoppedAt) {
      if (plan.kind === 'offline_mid' && plan.variant === 'driver_stops_while_offline') {
        cp.goOffline()
        await stop()
        await sleep(plan.offlineMs!)
        await cp.goOnline()
      } else if (plan.stopBy === 'driver') {
        await stop()
      } else {
        phase = 'unplug'
        note('the driver unplugs the car to stop')
        await cp.unplug(1)
      }
      if (plan.killAt === 'stopping') await kill('stopping')
      // The driver waits for the charger to stop, then gives up and unplugs.
      if (!(await waitFor(() => !!tx.stoppedAt, 10_000 + (plan.offlineMs ?? 0)))) {
        phase = 'unplug'
        note('the charger did not stop: the driver unplugs')
        await cp.unplug(1)
      }
    }
    phase = 'stopped'
    await waitFor(() => tx.stopReason !== null && !cp.flushing(tx), 60_000)
    if (plan.killAt === 'settling') await kill('settling, StopTransaction delivered')
    if (plan.kind === 'reordered' && plan.variant === 'late_meter_values' && tx.transactionId !== null) {
      // A sample from mid-session, delivered after the stop.
      const wh = Math.floor((tx.meterStartWh + (tx.meterStopWh ?? tx.meterStartWh)) / 2)
      await cp.send('MeterValues', {
        connectorId: 1,
        transactionId: tx.transactionId,
        meterValue: [{ timestamp: new Date(Date.parse(tx.stoppedAt!) - 2000).toISOString(), sampledValue: [{ value: String(wh), unit: 'Wh', measurand: 'Energy.Active.Import.Register' }] }],
      })
    }
    if (cp.status(1) !== 'Available') {
      if (plan.kind === 'offline_unplug' && plan.variant === 'after_stop') {
        cp.goOffline()
        await sleep(plan.unplugDelayMs)
        phase = 'unplug'
        note('car unplugged while the charger is offline')
        await cp.unplug(1)
        await sleep(plan.offlineMs!)
        await cp.goOnline()
      } else {
        await sleep(plan.unplugDelayMs)
        phase = 'unplug'
        note('car unplugged')
        await cp.unplug(1)
      }
    }
    if (plan.killAt === 'unplugged') await kill('unplugged, settling')
  }

  /**
   * What the charger delivered, at the session's tariff, capped by the hold; nothing under the
   * provider's minimum. The idle fee only for idle time that truly passed (stop to the car leaving,
   * in real time) beyond the grace; the campaign's tariffs have no price per minute of charging.
   */
  function expectedCharge(tariff: any, holdAmount: number): number {
    const txs: Transaction[] = cp.transactions.slice(firstTx)
    result.deliveredWh = txs.reduce((sum, t) => sum + ((t.meterStopWh ?? cp.registerWh(t.connectorId)) - t.meterStartWh), 0)
    const component = (type: string) => tariff?.components?.find((c: any) => c.type === type)
    const half = (numerator: number, denominator: number) => Math.floor((numerator * 2 + denominator) / (denominator * 2))
    const energy = half(result.deliveredWh * (component('energy')?.price ?? 0), 1000)
    const idle = component('idle')
    const idleSeconds = txs.reduce((sum, t) => sum + (t.stoppedRealMs && t.unpluggedRealMs ? Math.max(0, t.unpluggedRealMs - t.stoppedRealMs) / 1000 : 0), 0)
    const idleFee = idle ? Math.min(idle.capAmount ?? Infinity, half(Math.max(0, Math.ceil(idleSeconds) - idle.graceMinutes * 60) * idle.price, 60)) : 0
    if (component('time')?.price) throw new Error('the campaign cannot price charging time: use a tariff without a price per minute')
    const cost = energy + idleFee + (result.deliveredWh > 0 ? (component('session')?.price ?? 0) : 0)
    const minimum = tariff?.minimumCharge ?? 300
    return cost < minimum || result.deliveredWh === 0 ? 0 : Math.min(cost, holdAmount)
  }

  /** Money errors: the provider's books against the charger's energy and what the driver sees. */
  function judge(snapshot: any, receipt: any, paymentId: string) {
    const fail = (error: MoneyError, detail: string) => result.errors.push({ error, detail })
    // Every PaymentIntent of the session counts: a second one captured would be a second charge.
    const intents = [...new Set([paymentId, ...(result.sessionId ? fake.intentsOf(result.sessionId) : [])])]
    const all = intents.map((id) => fake.executed(id))
    const executed = { captures: all.flatMap((e) => e.captures), cancels: all.reduce((n, e) => n + e.cancels, 0), refunds: all.flatMap((e) => e.refunds) }
    const pi = fake.peek(paymentId)
    const held = intents.filter((id) => fake.peek(id)?.status === 'requires_capture')
    result.executed = executed
    result.captured = intents.reduce((sum, id) => sum + (fake.peek(id)?.amount_received ?? 0), 0)
    const holdAmount = pi?.amount ?? snapshot?.hold?.amount ?? 0
    result.expectedCharge = expectedCharge(snapshot?.tariff, holdAmount)

    if (executed.captures.length > 1) fail('captured_twice', `the provider executed ${executed.captures.length} captures: ${executed.captures.join(', ')} (PaymentIntents ${intents.join(', ')})`)
    const capturedSum = executed.captures.reduce((a, b) => a + b, 0)
    if (capturedSum > holdAmount || (snapshot && capturedSum > snapshot.hold.amount)) fail('above_hold', `captured ${capturedSum} on a hold of ${holdAmount}`)
    if (!result.final) fail('not_final', `state ${result.state ?? 'unknown'} after the bound`)
    if (!result.final || held.length > 0) fail('hold_not_released', `session ${result.state ?? 'unknown'}, PaymentIntent ${pi?.status}${held.length ? `, still held: ${held.join(', ')}` : ''}`)
    if (result.captured > result.expectedCharge + 1) {
      fail('overcharged', `captured ${result.captured}, expected ${result.expectedCharge} for ${result.deliveredWh} Wh delivered`)
    }
    if (result.final) {
      result.shown = snapshot.charge?.amount ?? (snapshot.state === 'completed' ? snapshot.cost.total : 0)
      result.receiptTotal = receipt?.total ?? null
      const disagree: string[] = []
      if (result.shown !== result.captured) disagree.push(`page ${result.shown}`)
      if (snapshot.hold.captured !== result.captured) disagree.push(`page hold.captured ${snapshot.hold.captured}`)
      if (snapshot.state === 'completed' && !receipt) disagree.push('no receipt')
      if (receipt && receipt.total !== result.captured) disagree.push(`receipt ${receipt.total}`)
      if (receipt && receipt.payment?.captured !== result.captured) disagree.push(`receipt payment.captured ${receipt.payment?.captured}`)
      if (disagree.length) fail('shown_not_captured', `provider captured ${result.captured}; ${disagree.join(', ')}`)
    }
    for (const e of result.errors) note(`MONEY ERROR ${e.error}: ${e.detail}`)
  }
}

/** A hold at a terminal provider as its fake's books have it: what it executed on it. */
interface TerminalHold {
  id: string
  amount: number
  /** Authorised and neither committed/captured nor cancelled/reversed. */
  open: boolean
  declined: boolean
  cancelled: boolean
  /** Every commit/capture the provider executed on it. */
  captures: number[]
}

function holdsAt(world: World, provider: 'payter' | 'ccv', terminalId: string): TerminalHold[] {
  if (provider === 'payter') {
    return [...world.payter.sessions.values()]
      .filter((s) => s.serial === terminalId)
      .map((s) => ({
        id: s.sessionId,
        amount: s.authorizedAmount,
        open: s.state === 'AUTHORIZED',
        declined: s.state === 'DECLINED',
        cancelled: world.payter.cancels.includes(s.sessionId),
        captures: world.payter.commits.filter((c) => c.sessionId === s.sessionId).map((c) => c.amount),
      }))
  }
  return [...world.ccv.transactions.values()]
    .filter((t) => t.type === 'authorise' && t.terminalId === terminalId && t.status !== 'pending')
    .map((t) => ({
      id: t.reference,
      amount: Math.round(t.amount * 100),
      open: t.status === 'success' && t.details.capturedAmount === undefined && !t.details.reversed,
      declined: t.status === 'failed',
      cancelled: world.ccv.reversals.includes(t.reference),
      captures: world.ccv.captures.filter((c) => c.reference === t.reference).map((c) => c.amount),
    }))
}

function screensOf(world: World, provider: 'payter' | 'ccv', terminalId: string) {
  return provider === 'payter' ? world.payter.screens(terminalId) : world.ccv.screens(terminalId)
}

/**
 * The terminal's last word on a session (the campaign's terminals speak Swedish, the default): the
 * total with the receipt QR code, or that the card was not charged (did not start, could not start).
 */
function isEndScreen(screen: { lines: string[]; qrCode: string | null }): boolean {
  return !!screen.qrCode || screen.lines.includes(terminalTexts.sv.notCharged)
}

/** The token the IM30's app is provisioned with (the same as in its webhook URLs). */
function ccvToken(world: World, terminalId: string): string {
  return new CcvCloud({ baseUrl: world.ccv.url, apiKey: world.ccv.apiKey, publicUrl: world.bff.base }).webhookToken(terminalId)
}

/** The session's own cards (the stop matches the card, so no two sessions share one), another one, and a declined one. */
function campaignCards(index: number): Record<'good' | 'other' | 'declined', { payter: TestCard; ccv: CcvTestCard }> {
  const digits = (n: number) => String(n).padStart(8, '0')
  const card = (n: number, declines = false) => ({
    payter: { cardId: `campaign-card-${n}`, brand: 'visa', last4: String(n % 10_000).padStart(4, '0'), declines },
    ccv: { pan: `4${digits(n)}000000${declines ? '3' : '1'}`, brand: 'visa', declines },
  })
  return { good: card(index * 3), other: card(index * 3 + 1), declined: card(index * 3 + 2, true) }
}

function outageMs(bff: Bff, from: number, to: number): number {
  return bff.outages.reduce((sum, o) => sum + Math.max(0, Math.min(o.to, to) - Math.max(o.from, from)), 0)
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}
