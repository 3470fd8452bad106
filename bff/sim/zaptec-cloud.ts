/**
 * A local stand-in for Zaptec's cloud, written from Zaptec's public documentation (docs.zaptec.com:
 * integration guide, web-hook authorization and authentication, API authentication, API usage
 * guidelines, state observation reference, charger command validation) and used by the tests and the
 * embedded demo. It plays both sides Zaptec plays:
 *
 * - The API our adapter calls: POST /oauth/token (password grant, tokens of `tokenSeconds`), GET
 *   /api/chargers/{id}/state (observations -2, 513, 553, 710), POST /api/chargers/{id}/sendCommand/{id}
 *   (10001 deauthorize and stop; 528 when a command is refused), POST /api/chargers/{id}/authorizecharge
 *   (lets a car waiting under native authentication charge), GET /api/chargehistory. More than
 *   `rateLimit` requests a second from one account answer 429, as Zaptec's API does.
 * - The web hooks it calls on us: when a car connects to a charger of a web-hook installation, Session
 *   start (Basic with the payload's username and password, or first the Authentication URL with the
 *   payload form-encoded, then Bearer); charging only if we answer a sessionId. When the car
 *   disconnects, Session end with the completed session (SessionId, Energy kWh, StartDateTime,
 *   EndDateTime …). Deliveries that fail (5xx, timeout, no answer) are tried again with backoff.
 *
 * Fault knobs for tests: failures of the next API calls, refused commands, lost or duplicated
 * session ends, charger offline.
 */
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { serve } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import type pino from 'pino'

export interface FakeZaptecCharger {
  /** Zaptec's charger id, a GUID. */
  id: string
  /** Serial, ZAP000123. */
  deviceId: string
  /** Power while charging (default 11 kW). */
  powerW?: number
}

export interface FakeZaptecWebhooks {
  sessionStartUrl: string
  sessionEndUrl: string
  /** When set, Zaptec fetches an OAuth token here first. */
  authenticationUrl?: string
  /** What the portal's "Authentication payload" holds: `grant_type=password&username=…&password=…`, or `username=…&password=…` for Basic. */
  authenticationPayload: string
}

export interface FakeZaptecInstallation {
  id: string
  /** native: Zaptec's own authorisation (the API authorises); webhooks: Zaptec asks the web hooks. */
  authentication: 'native' | 'webhooks'
  webhooks?: FakeZaptecWebhooks
  chargers: FakeZaptecCharger[]
}

export interface FakeZaptecOptions {
  accounts: { username: string; password: string }[]
  installations: FakeZaptecInstallation[]
  port?: number
  host?: string
  logger?: pino.Logger
  tokenSeconds?: number
  /** Requests a second one account may make before 429 (default 10). */
  rateLimit?: number
  /** Web-hook deliveries: tries after the first, first wait, and the timeout of each (defaults 3, 500 ms, 10 s). */
  webhookRetries?: number
  webhookRetryBaseMs?: number
  webhookTimeoutMs?: number
  /** Energy advances this often (default 250 ms), `timeScale` times faster than real time. */
  tickMs?: number
  timeScale?: number
  /** After a stop command the simulated driver unplugs this much later (null: never by itself). */
  autoUnplugAfterStopMs?: number | null
}

type Mode = 1 | 2 | 3 | 5

interface ChargeSession {
  id: string
  /** The session id our web hook answered with. */
  externalId: string | null
  startedAt: Date
  endedAt: Date | null
  energyKWh: number
  authenticationCode: string
  externallyEnded: boolean
}

interface ChargerSim {
  config: FakeZaptecCharger
  installation: FakeZaptecInstallation
  online: boolean
  mode: Mode
  powerW: number
  session: ChargeSession | null
  history: ChargeSession[]
  /** When the state last changed (the observations' timestamp). */
  at: Date
  /** Energy is counted up to here. */
  settledAt: number
}

export interface WebhookDelivery {
  kind: 'token' | 'session_start' | 'session_end'
  url: string
  attempt: number
  status: number | null
  auth: 'basic' | 'bearer' | 'none'
  body: Record<string, unknown> | null
  answer: unknown
}

export interface ApiRequest {
  at: number
  account: string | null
  method: string
  path: string
  status: number
}

export class FakeZaptecCloud {
  url = ''
  /** Every API request, in order: tests count them per second. */
  readonly requests: ApiRequest[] = []
  /** Every web-hook delivery attempt, in order. */
  readonly deliveries: WebhookDelivery[] = []
  readonly faults = {
    /** Statuses the next API requests answer instead (429, 500, 503 …), one each. */
    apiFailures: [] as number[],
    /** Commands answer 528. */
    rejectCommands: false,
    /** The next session ends are not delivered at all (a lost web hook). */
    loseSessionEnds: 0,
    /** The next session ends are delivered twice. */
    duplicateSessionEnds: 0,
  }
  private readonly chargers = new Map<string, ChargerSim>()
  private readonly tokens = new Map<string, { username: string; expiresAt: number }>()
  private readonly hookTokens = new Map<string, { token: string; expiresAt: number }>()
  private readonly pending = new Set<Promise<unknown>>()
  private server: Server | null = null
  private ticker: NodeJS.Timeout | null = null
  private readonly rateLimit: number

  constructor(private readonly o: FakeZaptecOptions) {
    this.rateLimit = o.rateLimit ?? 10
    for (const installation of o.installations) {
      for (const config of installation.chargers) {
        this.chargers.set(config.id.toLowerCase(), { config, installation, online: true, mode: 1, powerW: 0, session: null, history: [], at: new Date(), settledAt: Date.now() })
      }
    }
  }

  async start(): Promise<this> {
    const app = this.app()
    this.server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: this.o.port ?? 0, hostname: this.o.host ?? '127.0.0.1' }, () => resolve(s as Server)) as Server
      s.once('error', reject)
    })
    this.url = `http://${this.o.host ?? '127.0.0.1'}:${(this.server.address() as AddressInfo).port}`
    this.ticker = setInterval(() => this.tick(), this.o.tickMs ?? 250)
    this.ticker.unref()
    return this
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker)
    await Promise.allSettled([...this.pending])
    this.server?.closeAllConnections?.()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  /** The charger as the API would show it: mode (710), power W (513), session energy kWh (553). */
  charger(id: string) {
    const c = this.sim(id)
    return { mode: c.mode, powerW: c.powerW, energyKWh: c.session?.energyKWh ?? 0, online: c.online, sessionId: c.session?.externalId ?? null, history: [...c.history] }
  }

  /** The most requests one account made within any one second. */
  peakRequestsPerSecond(account: string): number {
    const times = this.requests.filter((r) => r.account === account).map((r) => r.at)
    let peak = 0
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 1000) j++
      peak = Math.max(peak, i - j + 1)
    }
    return peak
  }

  /**
   * A car is connected. Web-hook installations: Zaptec asks Session start, and the car charges if it
   * gets a session id back. Native authentication: the charger waits (mode 2) until authorised.
   */
  async plugIn(chargerId: string, o: { authenticationCode?: string } = {}): Promise<{ approved: boolean; sessionId: string | null }> {
    const c = this.sim(chargerId)
    if (c.mode !== 1) throw new Error(`Charger ${chargerId} already has a car`)
    this.settle(c)
    c.mode = 2
    c.session = { id: randomUUID(), externalId: null, startedAt: new Date(), endedAt: null, energyKWh: 0, authenticationCode: o.authenticationCode ?? '', externallyEnded: false }
    if (c.installation.authentication !== 'webhooks') return { approved: false, sessionId: null }
    const answer = await this.deliver(c, 'session_start', c.installation.webhooks!.sessionStartUrl, {
      ChargerId: c.config.id,
      DeviceId: c.config.deviceId,
      InstallationId: c.installation.id,
      AuthenticationCode: c.session.authenticationCode,
      Timestamp: c.session.startedAt.toISOString(),
    })
    const sessionId = answer && typeof (answer as { sessionId?: unknown }).sessionId === 'string' ? (answer as { sessionId: string }).sessionId : null
    if (!sessionId || c.mode !== 2 || !c.session) return { approved: false, sessionId: null }
    c.session.externalId = sessionId
    this.charge(c)
    return { approved: true, sessionId }
  }

  /** The car is disconnected: the session is complete; web-hook installations get Session end. */
  async unplug(chargerId: string): Promise<void> {
    const c = this.sim(chargerId)
    this.settle(c)
    const session = c.session
    c.mode = 1
    c.powerW = 0
    c.session = null
    c.at = new Date()
    if (!session) return
    session.endedAt = new Date()
    c.history.push(session)
    if (c.installation.authentication !== 'webhooks' || !session.externalId) return
    if (this.faults.loseSessionEnds > 0) {
      this.faults.loseSessionEnds--
      return
    }
    const copies = this.faults.duplicateSessionEnds > 0 ? 2 : 1
    if (copies === 2) this.faults.duplicateSessionEnds--
    for (let i = 0; i < copies; i++) await this.deliver(c, 'session_end', c.installation.webhooks!.sessionEndUrl, completedSession(c, session))
  }

  /** The car is full: charging ends by itself, the session goes on until it is unplugged. */
  finish(chargerId: string): void {
    const c = this.sim(chargerId)
    this.settle(c)
    if (c.mode === 3) {
      c.mode = 5
      c.powerW = 0
      c.at = new Date()
    }
  }

  /** Points an installation's web hooks elsewhere, as an owner does in Zaptec's portal. */
  setWebhooks(installationId: string, webhooks: FakeZaptecWebhooks): void {
    const installation = this.o.installations.find((i) => i.id === installationId)
    if (!installation) throw new Error(`No Zaptec installation ${installationId}`)
    installation.webhooks = webhooks
    this.hookTokens.delete(installationId)
  }

  /** Every API token stops working (as after a password change): clients must log in again. */
  revokeTokens(): void {
    this.tokens.clear()
  }

  setOnline(chargerId: string, online: boolean): void {
    this.sim(chargerId).online = online
  }

  private sim(id: string): ChargerSim {
    const c = this.chargers.get(id.toLowerCase())
    if (!c) throw new Error(`No Zaptec charger ${id}`)
    return c
  }

  private charge(c: ChargerSim) {
    this.settle(c)
    c.mode = 3
    c.powerW = c.config.powerW ?? 11_000
    c.at = new Date()
  }

  private tick() {
    for (const c of this.chargers.values()) this.settle(c)
  }

  /** Energy delivered since the last look. */
  private settle(c: ChargerSim) {
    const now = Date.now()
    if (c.mode === 3 && c.session) {
      const hours = ((now - c.settledAt) / 3_600_000) * (this.o.timeScale ?? 1)
      c.session.energyKWh += (c.powerW / 1000) * Math.max(0, hours)
    }
    c.settledAt = now
  }

  // ——— web hooks, as Zaptec calls them ———

  private async deliver(c: ChargerSim, kind: 'session_start' | 'session_end', url: string, body: Record<string, unknown>): Promise<unknown> {
    const run = this.deliverWithRetries(c, kind, url, body)
    this.pending.add(run)
    try {
      return await run
    } finally {
      this.pending.delete(run)
    }
  }

  private async deliverWithRetries(c: ChargerSim, kind: 'session_start' | 'session_end', url: string, body: Record<string, unknown>): Promise<unknown> {
    const retries = this.o.webhookRetries ?? 3
    let renewed = false
    for (let attempt = 0; attempt <= retries; attempt++) {
      const auth = await this.hookAuthorization(c.installation, renewed)
      let status: number | null = null
      let answer: unknown = null
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...(auth.header ? { authorization: auth.header } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.o.webhookTimeoutMs ?? 10_000),
        })
        status = response.status
        answer = await response.json().catch(() => null)
      } catch {
        status = null
      }
      this.deliveries.push({ kind, url, attempt, status, auth: auth.kind, body, answer })
      if (status === 401 && auth.kind === 'bearer' && !renewed) {
        renewed = true
        attempt--
        continue
      }
      if (status !== null && status < 500) return status < 300 ? answer : null
      if (attempt < retries) await sleep((this.o.webhookRetryBaseMs ?? 500) * 2 ** attempt)
    }
    this.o.logger?.warn({ kind, url }, 'fake Zaptec gave up delivering a web hook')
    return null
  }

  /** Basic from the payload, or a bearer token from the Authentication URL (fetched once, kept until it runs out). */
  private async hookAuthorization(installation: FakeZaptecInstallation, renew: boolean): Promise<{ kind: 'basic' | 'bearer' | 'none'; header?: string }> {
    const hooks = installation.webhooks!
    const payload = new URLSearchParams(hooks.authenticationPayload)
    if (!hooks.authenticationUrl) {
      const username = payload.get('username')
      if (!username) return { kind: 'none' }
      return { kind: 'basic', header: `Basic ${Buffer.from(`${username}:${payload.get('password') ?? ''}`).toString('base64')}` }
    }
    const cached = this.hookTokens.get(installation.id)
    if (cached && !renew && cached.expiresAt > Date.now()) return { kind: 'bearer', header: `Bearer ${cached.token}` }
    let status: number | null = null
    let answer: unknown = null
    try {
      const response = await fetch(hooks.authenticationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: hooks.authenticationPayload,
        signal: AbortSignal.timeout(this.o.webhookTimeoutMs ?? 10_000),
      })
      status = response.status
      answer = await response.json().catch(() => null)
    } catch {
      status = null
    }
    this.deliveries.push({ kind: 'token', url: hooks.authenticationUrl, attempt: 0, status, auth: 'none', body: null, answer })
    const token = (answer as { access_token?: unknown } | null)?.access_token
    if (status !== 200 || typeof token !== 'string') return { kind: 'bearer' }
    const expiresIn = Number((answer as { expires_in?: unknown }).expires_in) || 3600
    this.hookTokens.set(installation.id, { token, expiresAt: Date.now() + expiresIn * 1000 - 5_000 })
    return { kind: 'bearer', header: `Bearer ${token}` }
  }

  // ——— the API ———

  private app() {
    const app = new Hono<{ Variables: { account: string } }>()
    app.post('/oauth/token', async (c) => {
      const form = new URLSearchParams(await c.req.text())
      const username = form.get('username') ?? ''
      const limited = this.limit(c, username, 'POST', '/oauth/token')
      if (limited) return limited
      const account = this.o.accounts.find((a) => a.username.toLowerCase() === username.toLowerCase() && a.password === form.get('password'))
      if (form.get('grant_type') !== 'password' || !account) {
        return this.answer(c, username, { error: 'invalid_grant', error_description: 'The user name or password is incorrect.' }, 400)
      }
      const token = randomUUID().replaceAll('-', '')
      const seconds = this.o.tokenSeconds ?? 3600
      this.tokens.set(token, { username: account.username, expiresAt: Date.now() + seconds * 1000 })
      return this.answer(c, username, { access_token: token, token_type: 'Bearer', expires_in: seconds, scope: 'read write offline_access' }, 200)
    })
    app.use('/api/*', async (c, next) => {
      const header = c.req.header('authorization') ?? ''
      const known = this.tokens.get(header.replace(/^Bearer\s+/i, ''))
      if (!known || known.expiresAt <= Date.now()) return this.answer(c, null, { Message: 'Authorization has been denied for this request.' }, 401)
      const limited = this.limit(c, known.username, c.req.method, c.req.path)
      if (limited) return limited
      const failure = this.faults.apiFailures.shift()
      if (failure) {
        if (failure === 429) c.header('retry-after', '0')
        return this.answer(c, known.username, { Message: 'Simulated failure' }, failure)
      }
      c.set('account', known.username)
      await next()
    })
    app.get('/api/chargers/:id/state', (c) => {
      const sim = this.chargers.get(c.req.param('id').toLowerCase())
      if (!sim) return this.answer(c, c.var.account, { Message: 'Not found' }, 404)
      this.settle(sim)
      const stamp = sim.at.toISOString().replace('Z', '')
      const state = [
        [-2, sim.online ? '1' : '0'],
        [513, sim.powerW.toFixed(3)],
        [553, (sim.session?.energyKWh ?? 0).toFixed(3)],
        [710, String(sim.mode)],
      ].map(([StateId, ValueAsString]) => ({ ChargerId: sim.config.id, StateId, Timestamp: stamp, ValueAsString }))
      return this.answer(c, c.var.account, state, 200)
    })
    app.post('/api/chargers/:id/sendCommand/:command', (c) => {
      const sim = this.chargers.get(c.req.param('id').toLowerCase())
      if (!sim) return this.answer(c, c.var.account, { Message: 'Not found' }, 404)
      const command = Number(c.req.param('command'))
      if (![506, 507, 10001].includes(command)) return this.answer(c, c.var.account, { Message: 'Unknown command' }, 400)
      if (this.faults.rejectCommands || !sim.online) return this.answer(c, c.var.account, { Message: 'Command rejected' }, 528)
      this.settle(sim)
      if (command === 10001) {
        // Deauthorize and stop: charging ends, the car stays connected until the driver unplugs.
        if (sim.session) sim.session.externallyEnded = true
        if (sim.mode === 3 || sim.mode === 2) {
          sim.mode = 5
          sim.powerW = 0
          sim.at = new Date()
        }
        const delay = this.o.autoUnplugAfterStopMs
        if (delay != null && sim.session) setTimeout(() => void this.unplug(sim.config.id).catch(() => {}), delay).unref()
      } else if (command === 506) {
        if (sim.mode !== 3) return this.answer(c, c.var.account, { Message: 'Command rejected' }, 528)
        sim.mode = 5
        sim.powerW = 0
      } else {
        if (sim.mode !== 5 || !sim.session || sim.session.externallyEnded) return this.answer(c, c.var.account, { Message: 'Command rejected' }, 528)
        this.charge(sim)
      }
      return this.answer(c, c.var.account, null, 200)
    })
    app.post('/api/chargers/:id/authorizecharge', (c) => {
      const sim = this.chargers.get(c.req.param('id').toLowerCase())
      if (!sim) return this.answer(c, c.var.account, { Message: 'Not found' }, 404)
      if (this.faults.rejectCommands || !sim.online) return this.answer(c, c.var.account, { Message: 'Command rejected' }, 528)
      // Acts under native authentication only; a car must be waiting.
      if (sim.installation.authentication === 'native' && sim.mode === 2 && sim.session) this.charge(sim)
      return this.answer(c, c.var.account, null, 200)
    })
    app.get('/api/chargehistory', (c) => {
      const chargerId = (c.req.query('ChargerId') ?? '').toLowerCase()
      const from = new Date(c.req.query('From') ?? 0)
      const rows = [...this.chargers.values()]
        .filter((sim) => !chargerId || sim.config.id.toLowerCase() === chargerId)
        .flatMap((sim) => sim.history.filter((s) => s.endedAt && s.endedAt >= from).map((s) => ({ ...completedSession(sim, s), Id: s.id })))
      return this.answer(c, c.var.account, { Pages: 1, Data: rows }, 200)
    })
    app.notFound((c) => this.answer(c, null, { Message: 'No HTTP resource was found that matches the request URI.' }, 404))
    return app
  }

  /** 429 past the account's requests per second (the request is still counted: Zaptec sees it). */
  private limit(c: Context, account: string, method: string, path: string): Response | null {
    const now = Date.now()
    const recent = this.requests.filter((r) => r.account === account && now - r.at < 1000).length
    if (recent < this.rateLimit) return null
    c.header('retry-after', '1')
    this.requests.push({ at: now, account, method, path, status: 429 })
    return c.json({ Message: 'Too many requests' }, 429)
  }

  private answer(c: Context, account: string | null, body: unknown, status: number): Response {
    this.requests.push({ at: Date.now(), account, method: c.req.method, path: c.req.path, status })
    if (body === null) return c.body(null, status as 200)
    return c.json(body, status as 200)
  }
}

/** Zaptec's completed-session record, as the charger commits it and Session end carries it. */
function completedSession(c: ChargerSim, s: ChargeSession): Record<string, unknown> {
  return {
    ChargerId: c.config.id,
    DeviceId: c.config.deviceId,
    InstallationId: c.installation.id,
    SessionId: s.externalId ?? s.id,
    Id: s.id,
    Energy: Math.round(s.energyKWh * 1000) / 1000,
    StartDateTime: s.startedAt.toISOString(),
    EndDateTime: (s.endedAt ?? new Date()).toISOString(),
    ReliableClock: true,
    StoppedByRFID: false,
    AuthenticationCode: s.authenticationCode,
    ExternallyEnded: s.externallyEnded,
  }
}

export async function startFakeZaptecCloud(o: FakeZaptecOptions): Promise<FakeZaptecCloud> {
  return new FakeZaptecCloud(o).start()
}
