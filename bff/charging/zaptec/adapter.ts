/**
 * Chargers behind Zaptec's cloud. An installation uses one or both of:
 *
 * - Web-hook authorization (docs.zaptec.com "Web hook authorization"): when a car is connected,
 *   Zaptec POSTs our Session start web hook; charging starts only if we approve, answering a unique
 *   `sessionId` — ours. When the car disconnects, Zaptec POSTs Session end with the final session data
 *   (Zaptec's completed-session record: SessionId, Energy in kWh, StartDateTime, EndDateTime …).
 *   We approve when one of our sessions waits on that charger (startCharging was called and its
 *   window is open), or when the presented token (an RFID tag) is accepted by the session side.
 * - Zaptec's API (api.ts): live state by polling, stop with command 10001 (deauthorize and stop);
 *   on an installation without web hooks (native authentication), a waiting car is let in with
 *   authorizecharge.
 *
 * Every listener call happens after what it relies on is stored, one charger at a time and in order.
 */
import { PerCharger } from '../per-charger'
import { EventEmitter } from 'node:events'
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm'
import type pino from 'pino'
import type { Db } from '../../store/db'
import { chargers, type ConnectorStatus } from '../../store/schema'
import { hashToken, newToken, tokenMatches, verifyPassword } from '../../secrets'
import type { ChargerGateway, ChargerListener, RemoteResult, StopCause } from '../gateway'
import { commands, operatingModes, ZaptecApi, zaptecDate, type ApiCall, type ChargerState, type ZaptecApiOptions } from './api'
import { CredentialSealer } from './credentials'
import { zaptecCalls, zaptecChargers, zaptecInstallations, zaptecSessions, zaptecWebhookTokens } from './schema'
import type { Leases } from '../../cluster/leases'

export type Installation = typeof zaptecInstallations.$inferSelect
type SessionRow = typeof zaptecSessions.$inferSelect
type ChargerRow = typeof zaptecChargers.$inferSelect

/** A Zaptec charger has one connector. */
const connectorId = 1
const stopCommand = `command_${commands.deauthorizeAndStop}`

export interface ZaptecGatewayOptions {
  db: Db
  listener: ChargerListener
  logger: pino.Logger
  /** Several processes poll in turn: the one holding the poll's lease; the others read what it saw. */
  leases?: Leases
  clock?: () => Date
  /** Zaptec's API (default https://api.zaptec.com); the fake cloud's address in the demo and tests. */
  apiBaseUrl?: string
  /** The "plug in now" window: how long a session waits for its car (the session side's start timeout). */
  waitSeconds?: number
  /** How often chargers with a session are polled (API installations); 0: never (tests call poll()). */
  pollSeconds?: number
  /** How often the other chargers of API installations are polled, for online and connector status. */
  idlePollSeconds?: number
  /** After the API shows the car gone, how long a web-hook installation's session end may take before we settle from the API. */
  sessionEndGraceSeconds?: number
  /** Lifetime of the bearer tokens our token URL issues to Zaptec. */
  tokenSeconds?: number
  /** A repeated session start this soon after an approval gets the same session (Zaptec retrying a lost answer). */
  startRepeatSeconds?: number
  /** Per Zaptec account (default 8: Zaptec's limit is about 10 a second). */
  requestsPerSecond?: number
  api?: Pick<ZaptecApiOptions, 'retries' | 'retryBaseMs' | 'retryMaxMs' | 'timeoutMs'>
}

export type SessionStartResult = { approved: true; sessionId: string } | { approved: false; reason: string }

/** Session start as Zaptec sends it (keys compared without regard to case; see routes.ts). */
export interface SessionStartCall {
  chargerId: string
  installationId?: string
  /** The RFID tag or other token the driver presented, when there was one. */
  authenticationCode?: string
  at?: string
}

/** Session end: Zaptec's completed-session record of the charger. */
export interface SessionEndCall {
  chargerId: string
  /** The session id we answered Session start with. */
  sessionId?: string
  /** Zaptec's own id of the charge session, where it sends one beside ours. */
  id?: string
  /** kWh. */
  energy: number
  startDateTime?: string
  endDateTime?: string
  stoppedByRfid?: boolean
}

/** A session now waits for its car on this charger (the embedded demo's simulated driver plugs in on it). */
export interface WaitingEvent {
  chargerId: string
  zaptecChargerId: string
  sessionId: string
}

export class ZaptecGateway extends EventEmitter<{ waiting: [WaitingEvent] }> implements ChargerGateway {
  readonly log: pino.Logger
  private readonly db: Db
  private readonly listener: ChargerListener
  private readonly clock: () => Date
  private readonly apiBaseUrl: string
  private readonly waitMs: number
  private readonly pollMs: number
  private readonly idlePollMs: number
  private readonly graceMs: number
  private readonly tokenSeconds: number
  private readonly startRepeatMs: number
  private readonly requestsPerSecond: number
  private readonly apiOptions: ZaptecGatewayOptions['api']
  private readonly leases: Leases | undefined
  private readonly sealer: CredentialSealer
  private readonly chains = new PerCharger()
  private readonly clients = new Map<string, { key: string; api: ZaptecApi }>()
  /** Webhook credentials already verified, keyed by username: one scrypt per password, not per call. */
  private readonly verified = new Map<string, { passwordHash: string; digest: string }>()
  /** What isOnline answers without a query: our charger id → online, for every Zaptec charger. */
  private readonly online = new Map<string, boolean>()
  private readonly lastPolled = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null
  private polling: Promise<void> | null = null
  private closed = false

  constructor(o: ZaptecGatewayOptions) {
    super()
    this.db = o.db
    this.listener = o.listener
    this.log = o.logger.child({ component: 'zaptec' })
    this.clock = o.clock ?? (() => new Date())
    this.apiBaseUrl = (o.apiBaseUrl ?? 'https://api.zaptec.com').replace(/\/+$/, '')
    this.waitMs = (o.waitSeconds ?? 120) * 1000
    this.pollMs = (o.pollSeconds ?? 5) * 1000
    this.idlePollMs = (o.idlePollSeconds ?? 60) * 1000
    this.graceMs = (o.sessionEndGraceSeconds ?? 120) * 1000
    this.tokenSeconds = o.tokenSeconds ?? 900
    this.startRepeatMs = (o.startRepeatSeconds ?? 120) * 1000
    this.requestsPerSecond = o.requestsPerSecond ?? 8
    this.apiOptions = o.api
    this.leases = o.leases
    this.sealer = new CredentialSealer(o.db)
  }

  /** Loads the chargers, tells the session side what a crash kept from it, and starts polling. */
  async start(): Promise<void> {
    await this.refreshChargers()
    await this.recover()
    if (this.pollMs > 0) {
      this.timer = setInterval(() => void this.pollInTurn().catch((error) => this.log.error({ err: error }, 'Zaptec poll failed')), this.pollMs)
      this.timer.unref()
    }
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    await this.polling?.catch(() => {})
    await this.chains.settled()
  }

  /** Chargers of web-hook-only installations cannot be observed: they count as online. */
  isOnline(chargerId: string): boolean {
    return this.online.get(chargerId) ?? false
  }

  /**
   * Records that the session waits for its car on this charger. With web hooks that is all: Zaptec
   * asks us when the car arrives. API-only installations: if the car already waits, authorise it now.
   */
  async startCharging(chargerId: string, request: { sessionId: string; connectorId: number; token: string }): Promise<RemoteResult> {
    const target = await this.target(chargerId)
    if (!target) return 'Rejected'
    const now = this.clock()
    return this.serial(chargerId, async () => {
      const [existing] = await this.db.select().from(zaptecSessions).where(eq(zaptecSessions.sessionId, request.sessionId))
      if (existing) return existing.state === 'cancelled' || existing.state === 'expired' ? 'Rejected' : 'Accepted'
      if (!target.installation.webhooks && this.online.get(chargerId) === false) return 'Rejected'
      await this.db.insert(zaptecSessions).values({
        sessionId: request.sessionId,
        chargerId,
        connectorId: request.connectorId,
        token: request.token,
        state: 'waiting',
        waitUntil: new Date(now.getTime() + this.waitMs),
      })
      this.emit('waiting', { chargerId, zaptecChargerId: target.charger.zaptecChargerId, sessionId: request.sessionId })
      if (!target.installation.webhooks && target.installation.api) {
        // The car may be there already; if the API does not answer now, the next poll lets it in.
        await this.observe(target, { force: false }).catch((error) => this.log.warn({ err: error, chargerId }, 'Zaptec state read at start failed'))
      }
      return 'Accepted'
    })
  }

  /**
   * Deauthorize-and-stop (10001) through the API. A session still waiting for its car is simply
   * withdrawn. Installations without the API cannot stop remotely: the driver unplugs.
   */
  async stopCharging(chargerId: string, sessionId: string): Promise<RemoteResult> {
    const target = await this.target(chargerId)
    if (!target) return 'Rejected'
    return this.serial(chargerId, async () => {
      const [row] = await this.db.select().from(zaptecSessions).where(and(eq(zaptecSessions.sessionId, sessionId), eq(zaptecSessions.chargerId, chargerId)))
      if (!row) return 'Rejected'
      if (row.state === 'ended' || row.state === 'stopping') return 'Accepted'
      if (row.state === 'waiting') {
        await this.setSession(row.sessionId, { state: 'cancelled' })
        return 'Accepted'
      }
      if (row.state !== 'charging' || !target.installation.api) return 'Rejected'
      const api = await this.apiOf(target.installation)
      const result = await this.withCallLog(target.installation.id, chargerId, sessionId, stopCommand, () => api.sendCommand(target.charger.zaptecChargerId, commands.deauthorizeAndStop))
      if (result === 'Accepted') await this.setSession(row.sessionId, { state: 'stopping', stopRequestedAt: this.clock() })
      return result
    })
  }

  /** API installations: read the state now and report the connector. Others: the last state we know. */
  async askStatus(chargerId: string): Promise<void> {
    const target = await this.target(chargerId)
    if (!target) return
    await this.serial(chargerId, async () => {
      if (target.installation.api) await this.observe(target, { force: true })
      // Web hooks only: what the last web hook showed, if any.
      else if (target.charger.operatingMode !== null) await this.tellStatus(chargerId, statusOf(target.charger.operatingMode, null))
    })
  }

  /** This process polls while it holds the lease; otherwise its isOnline answers follow what the poller stored. */
  private async pollInTurn(): Promise<void> {
    if (!this.leases || (await this.leases.take('zaptec-poll', this.pollMs * 4))) await this.poll()
    else await this.refreshChargers()
  }

  /** One round of polling: chargers with a session every time, the others every idle interval. */
  poll(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.polling ??= this.pollRound().finally(() => {
      this.polling = null
    })
    return this.polling
  }

  /** Tells the session side again about stops it never acknowledged. Safe to run any time. */
  async recover(): Promise<void> {
    const untold = await this.db.select().from(zaptecSessions).where(and(eq(zaptecSessions.state, 'ended'), eq(zaptecSessions.stopTold, false)))
    for (const row of untold) await this.serial(row.chargerId, () => this.tellStopped(row.sessionId))
  }

  // ——— web hooks ———

  /** Our OAuth token URL: a form-encoded password grant with the installation's web-hook credentials. */
  async issueToken(username: string, password: string): Promise<{ accessToken: string; expiresIn: number } | null> {
    const installation = await this.checkCredentials(username, password)
    if (!installation) return null
    const now = this.clock()
    const accessToken = newToken(32)
    await this.db.delete(zaptecWebhookTokens).where(lt(zaptecWebhookTokens.expiresAt, now))
    await this.db.insert(zaptecWebhookTokens).values({ tokenHash: hashToken(accessToken), installationId: installation.id, expiresAt: new Date(now.getTime() + this.tokenSeconds * 1000) })
    await this.logCall({ installationId: installation.id, direction: 'in', kind: 'token', status: 200, data: { username } })
    return { accessToken, expiresIn: this.tokenSeconds }
  }

  /** The installation a web hook's Authorization header (Basic, or Bearer from our token URL) names. */
  async authenticate(header: string | undefined): Promise<Installation | null> {
    if (!header || header.length > 4096) return null
    const [scheme, value] = header.trim().split(/\s+/, 2)
    if (!value) return null
    if (scheme.toLowerCase() === 'bearer') {
      const [row] = await this.db.select().from(zaptecWebhookTokens).where(eq(zaptecWebhookTokens.tokenHash, hashToken(value)))
      if (!row || row.expiresAt <= this.clock()) return null
      const [installation] = await this.db.select().from(zaptecInstallations).where(eq(zaptecInstallations.id, row.installationId))
      return installation?.webhooks ? installation : null
    }
    if (scheme.toLowerCase() !== 'basic') return null
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 1) return null
    return this.checkCredentials(decoded.slice(0, colon), decoded.slice(colon + 1))
  }

  /** Session start: approve (our session id) or deny. */
  async sessionStart(installation: Installation, call: SessionStartCall): Promise<SessionStartResult> {
    const started = performance.now()
    const charger = await this.chargerOf(installation, call.chargerId)
    if (!charger) {
      await this.logCall({ installationId: installation.id, direction: 'in', kind: 'session_start', status: 404, data: { zaptecChargerId: call.chargerId, decision: 'unknown_charger' } })
      return { approved: false, reason: 'unknown_charger' }
    }
    const result = await this.serial(charger.chargerId, () => this.decideStart(installation, charger, call))
    await this.logCall({
      installationId: installation.id,
      chargerId: charger.chargerId,
      sessionId: result.approved ? result.sessionId : null,
      direction: 'in',
      kind: 'session_start',
      status: result.approved ? 200 : 403,
      durationMs: Math.round(performance.now() - started),
      data: { decision: result.approved ? 'approved' : result.reason, token: call.authenticationCode ? 'presented' : 'none' },
    })
    return result
  }

  /** Session end: the final energy settles the session. Repeats and unknown sessions are answered, not errors. */
  async sessionEnd(installation: Installation, call: SessionEndCall): Promise<{ known: boolean; sessionId: string | null }> {
    const charger = await this.chargerOf(installation, call.chargerId)
    if (!charger) {
      await this.logCall({ installationId: installation.id, direction: 'in', kind: 'session_end', status: 404, data: { zaptecChargerId: call.chargerId } })
      return { known: false, sessionId: null }
    }
    const outcome = await this.serial(charger.chargerId, async () => {
      const row = await this.sessionOfEnd(charger.chargerId, call)
      if (!row) return { known: false, sessionId: null, repeat: false }
      const repeat = row.state === 'ended'
      if (!repeat) {
        const energyWh = Math.round(call.energy * 1000)
        await this.setSession(row.sessionId, {
          state: 'ended',
          energyWh,
          zaptecSessionId: call.id ?? row.zaptecSessionId,
          startedAt: row.startedAt ?? zaptecDate(call.startDateTime),
          stoppedAt: zaptecDate(call.endDateTime) ?? this.clock(),
          stopCause: causeOf(row),
        })
      }
      if (!repeat || !row.stopTold) await this.tellStopped(row.sessionId)
      // Zaptec calls Session end when the vehicle disconnects.
      await this.setMode(charger, operatingModes.disconnected)
      await this.tellStatus(charger.chargerId, 'Available')
      return { known: true, sessionId: row.sessionId, repeat }
    })
    await this.logCall({
      installationId: installation.id,
      chargerId: charger.chargerId,
      sessionId: outcome.sessionId,
      direction: 'in',
      kind: 'session_end',
      status: 200,
      data: { energyKWh: call.energy, known: outcome.known, repeat: outcome.repeat, zaptecSessionId: call.id ?? null },
    })
    return { known: outcome.known, sessionId: outcome.sessionId }
  }

  // ——— internals ———

  private async decideStart(installation: Installation, charger: ChargerRow, call: SessionStartCall): Promise<SessionStartResult> {
    const now = this.clock()
    const chargerId = charger.chargerId
    const startedAt = zaptecDate(call.at) ?? now
    await this.setMode(charger, operatingModes.waiting)
    await this.tellStatus(chargerId, 'Preparing')

    // Zaptec repeating a start whose answer it lost: the same session again.
    const [recent] = await this.db
      .select()
      .from(zaptecSessions)
      .where(and(eq(zaptecSessions.chargerId, chargerId), inArray(zaptecSessions.state, ['charging', 'stopping']), sql`${zaptecSessions.approvedAt} > ${new Date(now.getTime() - this.startRepeatMs)}`))
      .limit(1)
    if (recent && (!call.authenticationCode || call.authenticationCode === recent.token)) return { approved: true, sessionId: recent.sessionId }

    await this.db
      .update(zaptecSessions)
      .set({ state: 'expired', updatedAt: now })
      .where(and(eq(zaptecSessions.chargerId, chargerId), eq(zaptecSessions.state, 'waiting'), lt(zaptecSessions.waitUntil, now)))
    const [waiting] = await this.db
      .select()
      .from(zaptecSessions)
      .where(and(eq(zaptecSessions.chargerId, chargerId), eq(zaptecSessions.state, 'waiting')))
      .orderBy(asc(zaptecSessions.createdAt))
      .limit(1)
    if (waiting) {
      const sessionId = await this.listener.chargingStarted({ chargerId, connectorId: waiting.connectorId, token: waiting.token, sessionId: waiting.sessionId, startedAt, receivedAt: now })
      if (!sessionId) {
        await this.setSession(waiting.sessionId, { state: 'cancelled' })
        return { approved: false, reason: 'session_refused' }
      }
      await this.setSession(waiting.sessionId, { state: 'charging', approvedAt: now, startedAt })
      await this.setMode(charger, operatingModes.charging)
      await this.tellStatus(chargerId, 'Charging')
      return { approved: true, sessionId }
    }

    const token = call.authenticationCode?.trim()
    if (!token) return { approved: false, reason: 'no_session_waiting' }
    const verdict = await this.listener.authorize({ chargerId, connectorId, token })
    if (verdict !== 'accepted') return { approved: false, reason: `token_${verdict}` }
    const sessionId = await this.listener.chargingStarted({ chargerId, connectorId, token, sessionId: null, startedAt, receivedAt: now })
    if (!sessionId) return { approved: false, reason: 'session_refused' }
    await this.db
      .insert(zaptecSessions)
      .values({ sessionId, chargerId, connectorId, token, state: 'charging', approvedAt: now, startedAt })
      .onConflictDoUpdate({ target: zaptecSessions.sessionId, set: { state: 'charging', approvedAt: now, updatedAt: now } })
    await this.setMode(charger, operatingModes.charging)
    await this.tellStatus(chargerId, 'Charging')
    return { approved: true, sessionId }
  }

  /** The session a Session end is about: by our id, by Zaptec's id, else the charger's running one. */
  private async sessionOfEnd(chargerId: string, call: SessionEndCall): Promise<SessionRow | null> {
    if (call.sessionId) {
      const [row] = await this.db.select().from(zaptecSessions).where(and(eq(zaptecSessions.sessionId, call.sessionId), eq(zaptecSessions.chargerId, chargerId)))
      if (row) return row
    }
    if (call.id) {
      const [row] = await this.db.select().from(zaptecSessions).where(and(eq(zaptecSessions.zaptecSessionId, call.id), eq(zaptecSessions.chargerId, chargerId)))
      if (row) return row
    }
    const [running] = await this.db
      .select()
      .from(zaptecSessions)
      .where(and(eq(zaptecSessions.chargerId, chargerId), inArray(zaptecSessions.state, ['charging', 'stopping'])))
      .orderBy(asc(zaptecSessions.approvedAt))
      .limit(1)
    return running ?? null
  }

  private async pollRound(): Promise<void> {
    await this.refreshChargers()
    const now = this.clock()
    await this.db
      .update(zaptecSessions)
      .set({ state: 'expired', updatedAt: now })
      .where(and(eq(zaptecSessions.state, 'waiting'), lt(zaptecSessions.waitUntil, now)))
    const active = await this.db
      .select({ chargerId: zaptecSessions.chargerId })
      .from(zaptecSessions)
      .where(inArray(zaptecSessions.state, ['waiting', 'charging', 'stopping']))
    const busy = new Set(active.map((r) => r.chargerId))
    const targets = await this.apiTargets()
    const due = targets.filter((t) => busy.has(t.charger.chargerId) || Date.now() - (this.lastPolled.get(t.charger.chargerId) ?? 0) >= this.idlePollMs)
    // Chargers of one account share its rate limit; polling them side by side only queues at the bucket.
    await Promise.all(
      due.map((t) =>
        this.serial(t.charger.chargerId, () => this.observe(t, { force: false })).catch((error) =>
          this.log.warn({ err: error, chargerId: t.charger.chargerId }, 'Zaptec state poll failed'),
        ),
      ),
    )
  }

  /** Reads a charger's state through the API and tells the session side what changed. Runs in the charger's chain. */
  private async observe(target: Target, o: { force: boolean }): Promise<void> {
    const { installation } = target
    const chargerId = target.charger.chargerId
    const api = await this.apiOf(installation)
    let state: ChargerState
    try {
      state = await api.state(target.charger.zaptecChargerId)
    } catch (error) {
      await this.logCall({ installationId: installation.id, chargerId, direction: 'out', kind: 'state', status: (error as { status?: number }).status ?? null, data: { error: (error as Error).message } })
      throw error
    }
    this.lastPolled.set(chargerId, Date.now())
    const [before] = await this.db.select().from(zaptecChargers).where(eq(zaptecChargers.chargerId, chargerId))
    await this.db
      .update(zaptecChargers)
      .set({ online: state.online ?? before?.online ?? null, operatingMode: state.operatingMode ?? before?.operatingMode ?? null, stateAt: state.at })
      .where(eq(zaptecChargers.chargerId, chargerId))
    if (state.online !== null) {
      this.online.set(chargerId, state.online || installation.webhooks)
      if (state.online !== before?.online) await this.tell('chargerConnection', () => this.listener.chargerConnection({ chargerId, online: state.online!, lastSeenAt: before?.stateAt ?? null }))
    }
    const modeChanged = state.operatingMode !== before?.operatingMode
    if (modeChanged) {
      await this.logCall({ installationId: installation.id, chargerId, direction: 'out', kind: 'state', status: 200, data: { operatingMode: state.operatingMode, previous: before?.operatingMode ?? null } })
    }

    const rows = await this.db
      .select()
      .from(zaptecSessions)
      .where(and(eq(zaptecSessions.chargerId, chargerId), inArray(zaptecSessions.state, ['waiting', 'charging', 'stopping'])))
      .orderBy(asc(zaptecSessions.createdAt))
    const running = rows.find((r) => r.state !== 'waiting') ?? null
    if ((modeChanged || o.force) && state.operatingMode !== null) await this.tellStatus(chargerId, statusOf(state.operatingMode, running))

    if (running) {
      await this.setSession(running.sessionId, {
        energyWh: state.sessionEnergyWh ?? running.energyWh,
        powerW: state.powerW ?? running.powerW,
        disconnectedAt: state.operatingMode === operatingModes.disconnected ? (running.disconnectedAt ?? this.clock()) : null,
      })
      if (state.operatingMode === operatingModes.charging || state.operatingMode === operatingModes.finished) {
        await this.tell('meterReading', () =>
          this.listener.meterReading({ sessionId: running.sessionId, at: state.at, energyWh: state.sessionEnergyWh, powerW: state.powerW, socPercent: null }),
        )
      }
      await this.maybeConclude(target, running, state)
      return
    }

    const waiting = rows.find((r) => r.state === 'waiting')
    if (!waiting || installation.webhooks) return
    // Native authentication: we let the waiting car in, then see it charge.
    if (state.operatingMode === operatingModes.waiting && !waiting.authorizedAt) {
      const result = await this.withCallLog(installation.id, chargerId, waiting.sessionId, 'authorize_charge', () => api.authorizeCharge(target.charger.zaptecChargerId))
      if (result === 'Accepted') await this.setSession(waiting.sessionId, { authorizedAt: this.clock() })
    } else if (state.operatingMode === operatingModes.charging) {
      const now = this.clock()
      const sessionId = await this.listener.chargingStarted({ chargerId, connectorId: waiting.connectorId, token: waiting.token, sessionId: waiting.sessionId, startedAt: state.at, receivedAt: now })
      if (!sessionId) {
        await this.setSession(waiting.sessionId, { state: 'cancelled' })
        await this.withCallLog(installation.id, chargerId, waiting.sessionId, stopCommand, () => api.sendCommand(target.charger.zaptecChargerId, commands.deauthorizeAndStop))
        return
      }
      await this.setSession(waiting.sessionId, { state: 'charging', approvedAt: now, startedAt: state.at, energyWh: state.sessionEnergyWh, powerW: state.powerW })
    }
  }

  /**
   * When the API shows charging over: after our stop (mode 5 or 1), or the car gone (mode 1). With web
   * hooks the Session end is the source of truth; we settle from the API only when it is overdue.
   */
  private async maybeConclude(target: Target, row: SessionRow, state: ChargerState): Promise<void> {
    const mode = state.operatingMode
    const stoppedByUs = row.state === 'stopping' && (mode === operatingModes.finished || mode === operatingModes.disconnected)
    const gone = mode === operatingModes.disconnected
    if (!stoppedByUs && !gone) return
    if (target.installation.webhooks && !stoppedByUs) {
      const since = row.disconnectedAt ?? this.clock()
      if (this.clock().getTime() - since.getTime() < this.graceMs) return
      this.log.warn({ chargerId: row.chargerId, sessionId: row.sessionId }, 'Zaptec session end overdue: settling from the API')
    }
    const final = await this.finalFromHistory(target, row)
    await this.setSession(row.sessionId, {
      state: 'ended',
      energyWh: final?.energyWh ?? state.sessionEnergyWh ?? row.energyWh ?? 0,
      stoppedAt: final?.endedAt ?? state.at,
      zaptecSessionId: final?.id ?? row.zaptecSessionId,
      stopCause: causeOf(row),
    })
    await this.tellStopped(row.sessionId)
  }

  /** The completed session in Zaptec's charge history, when it is there yet. */
  private async finalFromHistory(target: Target, row: SessionRow) {
    const since = new Date((row.startedAt ?? row.createdAt).getTime() - 60_000)
    try {
      const api = await this.apiOf(target.installation)
      const history = await api.chargeHistory(target.charger.zaptecChargerId, since)
      const started = (row.startedAt ?? row.createdAt).getTime()
      const ours = history.filter((h) => h.endedAt && h.startedAt && h.endedAt.getTime() >= started && Math.abs(h.startedAt.getTime() - started) < 10 * 60_000)
      return ours.sort((a, b) => b.endedAt!.getTime() - a.endedAt!.getTime())[0] ?? null
    } catch (error) {
      this.log.warn({ err: error, sessionId: row.sessionId }, 'Zaptec charge history unavailable: settling with the last state')
      return null
    }
  }

  private async tellStopped(sessionId: string): Promise<void> {
    const [row] = await this.db.select().from(zaptecSessions).where(eq(zaptecSessions.sessionId, sessionId))
    if (!row || row.state !== 'ended') return
    try {
      await this.listener.chargingStopped({
        sessionId,
        chargerId: row.chargerId,
        connectorId: row.connectorId,
        energyWh: row.energyWh ?? 0,
        stoppedAt: row.stoppedAt,
        receivedAt: row.updatedAt,
        cause: (row.stopCause as StopCause | null) ?? 'unplugged',
      })
      await this.db.update(zaptecSessions).set({ stopTold: true }).where(eq(zaptecSessions.sessionId, sessionId))
    } catch (error) {
      this.log.error({ err: error, sessionId }, 'session side did not take the stop: told again at the next recovery')
    }
  }

  private async tellStatus(chargerId: string, status: ConnectorStatus): Promise<void> {
    await this.tell('connectorStatus', () => this.listener.connectorStatus({ chargerId, connectorId, status, errorCode: null }))
  }

  /** Listener failures are logged, never passed on: Zaptec still gets its answer. */
  private async tell(event: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call()
    } catch (error) {
      this.log.error({ err: error, event }, 'charger listener failed')
    }
  }

  /** Web hooks tell us the car came and went; the API, when there is one, says the rest. */
  private async setMode(charger: ChargerRow, mode: number): Promise<void> {
    await this.db.update(zaptecChargers).set({ operatingMode: mode, stateAt: this.clock() }).where(eq(zaptecChargers.chargerId, charger.chargerId))
  }

  private async setSession(sessionId: string, change: Partial<SessionRow>): Promise<void> {
    await this.db.update(zaptecSessions).set({ ...change, updatedAt: this.clock() }).where(eq(zaptecSessions.sessionId, sessionId))
  }

  private async checkCredentials(username: string, password: string): Promise<Installation | null> {
    if (!username || username.length > 100 || password.length > 200) return null
    const [installation] = await this.db.select().from(zaptecInstallations).where(eq(zaptecInstallations.webhookUsername, username))
    if (!installation?.webhooks || !installation.webhookPasswordHash) return null
    const known = this.verified.get(username)
    if (known?.passwordHash === installation.webhookPasswordHash && tokenMatches(password, known.digest)) return installation
    if (!(await verifyPassword(password, installation.webhookPasswordHash))) return null
    this.verified.set(username, { passwordHash: installation.webhookPasswordHash, digest: hashToken(password) })
    return installation
  }

  private async chargerOf(installation: Installation, zaptecChargerId: string): Promise<ChargerRow | null> {
    const [row] = await this.db
      .select()
      .from(zaptecChargers)
      .where(and(eq(sql`lower(${zaptecChargers.zaptecChargerId})`, zaptecChargerId.toLowerCase()), eq(zaptecChargers.installationId, installation.id)))
    return row ?? null
  }

  private async target(chargerId: string): Promise<Target | null> {
    const [row] = await this.db
      .select({ charger: zaptecChargers, installation: zaptecInstallations })
      .from(zaptecChargers)
      .innerJoin(zaptecInstallations, eq(zaptecInstallations.id, zaptecChargers.installationId))
      .where(eq(zaptecChargers.chargerId, chargerId))
    return row ?? null
  }

  private async apiTargets(): Promise<Target[]> {
    return this.db
      .select({ charger: zaptecChargers, installation: zaptecInstallations })
      .from(zaptecChargers)
      .innerJoin(zaptecInstallations, eq(zaptecInstallations.id, zaptecChargers.installationId))
      .where(eq(zaptecInstallations.api, true))
  }

  /** isOnline's answers: web-hook chargers count as online, API chargers as the API last showed. */
  private async refreshChargers(): Promise<void> {
    const rows = await this.db
      .select({ chargerId: zaptecChargers.chargerId, online: zaptecChargers.online, webhooks: zaptecInstallations.webhooks, api: zaptecInstallations.api })
      .from(zaptecChargers)
      .innerJoin(zaptecInstallations, eq(zaptecInstallations.id, zaptecChargers.installationId))
      .innerJoin(chargers, eq(chargers.id, zaptecChargers.chargerId))
    this.online.clear()
    for (const r of rows) this.online.set(r.chargerId, r.webhooks || (r.api && r.online === true))
  }

  private async apiOf(installation: Installation): Promise<ZaptecApi> {
    if (!installation.api || !installation.apiUsername || !installation.apiPasswordSealed) {
      throw new Error(`Zaptec installation ${installation.id} has no API account`)
    }
    const key = `${installation.apiUsername}\n${installation.apiPasswordSealed}`
    const known = this.clients.get(installation.id)
    if (known?.key === key) return known.api
    const api = new ZaptecApi({
      baseUrl: this.apiBaseUrl,
      username: installation.apiUsername,
      password: await this.sealer.open(installation.apiPasswordSealed),
      requestsPerSecond: this.requestsPerSecond,
      ...this.apiOptions,
      onCall: (call) => void this.apiCallLogged(installation.id, call),
    })
    this.clients.set(installation.id, { key, api })
    return api
  }

  /** State polls are many: only the failed ones go to the call log (changes are logged by observe). */
  private async apiCallLogged(installationId: string, call: ApiCall): Promise<void> {
    if (call.kind === 'state' && call.status === 200) return
    if (call.kind.startsWith('command_') || call.kind === 'authorize_charge') return // logged with their session by withCallLog
    await this.logCall({ installationId, direction: 'out', kind: call.kind, status: call.status, durationMs: call.durationMs, data: call.data })
  }

  /** Commands are logged with the session they were for. */
  private async withCallLog<T>(installationId: string, chargerId: string, sessionId: string, kind: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      const result = await call()
      await this.logCall({ installationId, chargerId, sessionId, direction: 'out', kind, status: result === 'Rejected' ? 528 : 200, durationMs: Math.round(performance.now() - started), data: { result } })
      return result
    } catch (error) {
      await this.logCall({ installationId, chargerId, sessionId, direction: 'out', kind, status: (error as { status?: number }).status ?? null, durationMs: Math.round(performance.now() - started), data: { error: (error as Error).message } })
      throw error
    }
  }

  private async logCall(entry: Omit<typeof zaptecCalls.$inferInsert, 'id' | 'at'>): Promise<void> {
    try {
      await this.db.insert(zaptecCalls).values({ ...entry, at: this.clock() })
    } catch (error) {
      this.log.warn({ err: error }, 'Zaptec call log write failed')
    }
  }

  private serial<T>(chargerId: string, work: () => Promise<T>): Promise<T> {
    return this.chains.run(chargerId, work)
  }
}

interface Target {
  charger: ChargerRow
  installation: Installation
}

/** Charging ended by our stop command, else by the car leaving (Zaptec ends a session at disconnect). */
function causeOf(row: SessionRow): StopCause {
  return row.stopRequestedAt ? 'remote' : 'unplugged'
}

/** Observation 710 in OCPP connector words; a car that finished on its own is SuspendedEV. */
function statusOf(mode: number | null, running: SessionRow | null): ConnectorStatus {
  switch (mode) {
    case operatingModes.disconnected:
      return 'Available'
    case operatingModes.waiting:
      return 'Preparing'
    case operatingModes.charging:
      return 'Charging'
    case operatingModes.finished:
      return running && running.state === 'charging' ? 'SuspendedEV' : 'Finishing'
    default:
      return 'Unknown'
  }
}

