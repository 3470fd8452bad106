/**
 * A client for Zaptec's cloud API (ZapCloud), as docs.zaptec.com describes it:
 * - OAuth 2.0 password grant: POST {base}/oauth/token, form-encoded grant_type=password&username&password,
 *   answering { access_token, token_type: "Bearer", expires_in } (about an hour); refreshed before it runs out.
 * - State: GET /api/chargers/{id}/state → [{ ChargerId, StateId, Timestamp, ValueAsString }], the state
 *   observations of the State Observation Reference (-2 IsOnline, 513 TotalChargePower W, 553
 *   TotalChargePowerSession kWh, 710 ChargerOperationMode 1/2/3/5).
 * - Commands: POST /api/chargers/{id}/sendCommand/{commandId}; 10001 is "deauthorize and stop"; a
 *   command the charger refuses answers HTTP 528 ("Charger Command Validation Update").
 * - Authorising a charger that waits for authorisation: POST /api/chargers/{id}/authorizecharge (what
 *   integrations use; Zaptec's portal does the same, it acts under native authentication only).
 * - Completed sessions: GET /api/chargehistory?ChargerId&From → { Data: [{ Id, ChargerId, StartDateTime,
 *   EndDateTime, Energy (kWh) … }] }.
 * Zaptec asks integrations to throttle themselves and back off on HTTP 429 (API usage guidelines);
 * one token bucket per account is shared by every client in this process.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export type CommandResult = 'Accepted' | 'Rejected'

/** Observation ids we read (docs.zaptec.com "State Observation Reference"). */
export const observation = { isOnline: -2, totalChargePower: 513, sessionEnergy: 553, operatingMode: 710 } as const
/** Observation 710 ChargerOperationMode. */
export const operatingModes = { disconnected: 1, waiting: 2, charging: 3, finished: 5 } as const
/** Command ids of POST sendCommand/{commandId}. */
export const commands = { stopPause: 506, resume: 507, deauthorizeAndStop: 10001 } as const
/** Zaptec's answer to a command the charger will not carry out. */
export const commandRejectedStatus = 528

export interface ChargerState {
  online: boolean | null
  operatingMode: number | null
  powerW: number | null
  /** Observation 553 in Wh. */
  sessionEnergyWh: number | null
  /** Newest observation timestamp (Zaptec's clock), else ours. */
  at: Date
}

export interface HistorySession {
  id: string
  chargerId: string
  startedAt: Date | null
  endedAt: Date | null
  energyWh: number
}

/** One call to Zaptec, for the call log. Never carries a password or token. */
export interface ApiCall {
  kind: string
  chargerId?: string
  status: number | null
  durationMs: number
  data: Record<string, unknown>
}

export class ZaptecApiError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
  ) {
    super(message)
  }
}

/** The account's credentials were refused (HTTP 400 from the token endpoint): retrying will not help. */
export class ZaptecAuthError extends ZaptecApiError {}

/**
 * `rate` requests a second, at most `burst` at once. Waiters are served in order. With the default
 * burst of 1 requests are evenly spaced, so no one second ever holds more than `rate` of them.
 */
export class TokenBucket {
  private tokens: number
  private last = performance.now()
  private queue: Promise<void> = Promise.resolve()

  constructor(
    private readonly rate: number,
    private readonly burst = 1,
  ) {
    this.tokens = burst
  }

  take(): Promise<void> {
    const turn = this.queue.then(() => this.wait())
    this.queue = turn
    return turn
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = performance.now()
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate)
      this.last = now
      if (this.tokens >= 1) {
        this.tokens -= 1
        return
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000))
    }
  }
}

const buckets = new Map<string, TokenBucket>()

/** The process-wide bucket of one Zaptec account. */
export function accountBucket(baseUrl: string, username: string, rate: number): TokenBucket {
  const key = `${baseUrl}\n${username.toLowerCase()}\n${rate}`
  let bucket = buckets.get(key)
  if (!bucket) buckets.set(key, (bucket = new TokenBucket(rate)))
  return bucket
}

export interface ZaptecApiOptions {
  /** https://api.zaptec.com, or the fake cloud's URL. */
  baseUrl: string
  username: string
  password: string
  /** Zaptec's limit is about 10 requests a second per account; 8 leaves room for network jitter. */
  requestsPerSecond?: number
  /** Tries after the first, on network errors, timeouts, 5xx and 429. */
  retries?: number
  retryBaseMs?: number
  retryMaxMs?: number
  timeoutMs?: number
  onCall?: (call: ApiCall) => void
}

export class ZaptecApi {
  readonly baseUrl: string
  private readonly bucket: TokenBucket
  private readonly retries: number
  private readonly retryBaseMs: number
  private readonly retryMaxMs: number
  private readonly timeoutMs: number
  private token: { value: string; refreshAt: number } | null = null
  private tokenRequest: Promise<string> | null = null

  constructor(private readonly o: ZaptecApiOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '')
    this.bucket = accountBucket(this.baseUrl, o.username, o.requestsPerSecond ?? 8)
    this.retries = o.retries ?? 4
    this.retryBaseMs = o.retryBaseMs ?? 300
    this.retryMaxMs = o.retryMaxMs ?? 10_000
    this.timeoutMs = o.timeoutMs ?? 10_000
  }

  async state(zaptecChargerId: string): Promise<ChargerState> {
    const body = await this.json('GET', `/api/chargers/${encodeURIComponent(zaptecChargerId)}/state`, 'state', zaptecChargerId)
    return parseState(body)
  }

  /** Lets a charger that waits for authorisation (mode 2) charge. */
  async authorizeCharge(zaptecChargerId: string): Promise<CommandResult> {
    return this.command(`/api/chargers/${encodeURIComponent(zaptecChargerId)}/authorizecharge`, 'authorize_charge', zaptecChargerId)
  }

  async sendCommand(zaptecChargerId: string, commandId: number): Promise<CommandResult> {
    return this.command(`/api/chargers/${encodeURIComponent(zaptecChargerId)}/sendCommand/${commandId}`, `command_${commandId}`, zaptecChargerId)
  }

  /** Completed sessions of a charger since `from`. */
  async chargeHistory(zaptecChargerId: string, from: Date): Promise<HistorySession[]> {
    const query = new URLSearchParams({ ChargerId: zaptecChargerId, From: from.toISOString(), PageSize: '20' })
    const body = await this.json('GET', `/api/chargehistory?${query}`, 'charge_history', zaptecChargerId)
    const data = (body as { Data?: unknown })?.Data
    if (!Array.isArray(data)) throw new ZaptecApiError(200, 'chargehistory answered without Data')
    return data.flatMap((row: Record<string, unknown>) => {
      const energy = Number(row.Energy)
      if (typeof row.Id !== 'string' || !Number.isFinite(energy) || energy < 0) return []
      return [{ id: row.Id, chargerId: String(row.ChargerId ?? ''), startedAt: zaptecDate(row.StartDateTime), endedAt: zaptecDate(row.EndDateTime), energyWh: Math.round(energy * 1000) }]
    })
  }

  private async command(path: string, kind: string, chargerId: string): Promise<CommandResult> {
    const response = await this.request('POST', path, kind, chargerId, [commandRejectedStatus])
    await response.body?.cancel()
    return response.status === commandRejectedStatus ? 'Rejected' : 'Accepted'
  }

  private async json(method: string, path: string, kind: string, chargerId?: string): Promise<unknown> {
    const response = await this.request(method, path, kind, chargerId, [])
    try {
      return await response.json()
    } catch {
      throw new ZaptecApiError(response.status, `${kind}: the answer is not JSON`)
    }
  }

  /**
   * One API call with the account's token, inside the rate limit, retried with exponential backoff and
   * jitter on network errors, timeouts, 5xx and 429 (Retry-After honoured); a 401 fetches a new token once.
   * Statuses in `final` are answers, not errors.
   */
  private async request(method: string, path: string, kind: string, chargerId: string | undefined, final: number[]): Promise<Response> {
    let renewed = false
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken()
      await this.bucket.take()
      const started = performance.now()
      let response: Response | null = null
      let failure: string | null = null
      try {
        response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: AbortSignal.timeout(this.timeoutMs),
        })
      } catch (error) {
        failure = (error as Error).name === 'TimeoutError' ? 'timeout' : (error as Error).message
      }
      const status = response?.status ?? null
      this.o.onCall?.({ kind, chargerId, status, durationMs: Math.round(performance.now() - started), data: { method, attempt, ...(failure ? { error: failure } : {}) } })
      if (response && (response.ok || final.includes(response.status))) return response
      if (response?.status === 401 && !renewed) {
        renewed = true
        this.token = null
        await response.body?.cancel()
        attempt--
        continue
      }
      const retryable = response === null || response.status === 429 || response.status >= 500
      const retryAfter = response?.headers.get('retry-after')
      await response?.body?.cancel()
      if (!retryable || attempt >= this.retries) {
        throw new ZaptecApiError(status, `${method} ${path.split('?')[0]}: ${failure ?? `HTTP ${status}`}`)
      }
      await sleep(this.backoff(attempt, retryAfter))
    }
  }

  private backoff(attempt: number, retryAfter: string | null | undefined): number {
    const seconds = retryAfter && /^\d{1,4}$/.test(retryAfter) ? Number(retryAfter) : null
    const exponential = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt)
    // Full jitter: many clients backing off together do not come back together.
    const delay = exponential / 2 + Math.random() * (exponential / 2)
    return seconds === null ? delay : Math.min(this.retryMaxMs, Math.max(delay, seconds * 1000))
  }

  private accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.refreshAt) return Promise.resolve(this.token.value)
    this.tokenRequest ??= this.fetchToken().finally(() => {
      this.tokenRequest = null
    })
    return this.tokenRequest
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'password', username: this.o.username, password: this.o.password })
    for (let attempt = 0; ; attempt++) {
      await this.bucket.take()
      const started = performance.now()
      let response: Response | null = null
      let failure: string | null = null
      try {
        response = await fetch(`${this.baseUrl}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: form,
          signal: AbortSignal.timeout(this.timeoutMs),
        })
      } catch (error) {
        failure = (error as Error).name === 'TimeoutError' ? 'timeout' : (error as Error).message
      }
      this.o.onCall?.({ kind: 'token', status: response?.status ?? null, durationMs: Math.round(performance.now() - started), data: { attempt, ...(failure ? { error: failure } : {}) } })
      if (response?.ok) {
        const body = (await response.json().catch(() => null)) as { access_token?: unknown; expires_in?: unknown } | null
        if (typeof body?.access_token !== 'string' || !body.access_token) throw new ZaptecApiError(response.status, 'The token answer has no access_token')
        const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600) * 1000
        // Renewed ahead of time: a tenth of its life, at least a minute, never less than half of it.
        const margin = Math.min(lifetimeMs / 2, Math.max(60_000, lifetimeMs / 10))
        this.token = { value: body.access_token, refreshAt: Date.now() + lifetimeMs - margin }
        return body.access_token
      }
      if (response && response.status >= 400 && response.status < 500 && response.status !== 429) {
        const body = (await response.json().catch(() => null)) as { error_description?: unknown } | null
        throw new ZaptecAuthError(response.status, `Zaptec refused the account's credentials${typeof body?.error_description === 'string' ? `: ${body.error_description.slice(0, 200)}` : ''}`)
      }
      const retryAfter = response?.headers.get('retry-after')
      await response?.body?.cancel()
      if (attempt >= this.retries) throw new ZaptecApiError(response?.status ?? null, `token: ${failure ?? `HTTP ${response?.status}`}`)
      await sleep(this.backoff(attempt, retryAfter))
    }
  }
}

/** Zaptec's timestamps may come without a zone ("2023-06-09T13:35:24.583"): they are UTC. */
export function zaptecDate(value: unknown): Date | null {
  if (typeof value !== 'string' || value.length > 40) return null
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`
  const date = new Date(text)
  return Number.isNaN(date.getTime()) ? null : date
}

export function parseState(body: unknown): ChargerState {
  if (!Array.isArray(body)) throw new ZaptecApiError(200, 'state answered with no list of observations')
  const byId = new Map<number, { value: string | null; at: Date | null }>()
  let newest: Date | null = null
  for (const item of body.slice(0, 2000) as Record<string, unknown>[]) {
    const id = Number(item?.StateId)
    if (!Number.isInteger(id)) continue
    const at = zaptecDate(item.Timestamp)
    byId.set(id, { value: typeof item.ValueAsString === 'string' ? item.ValueAsString : null, at })
    if (at && (!newest || at > newest)) newest = at
  }
  const number = (id: number) => {
    const raw = byId.get(id)?.value
    const n = raw === null || raw === undefined || raw === '' ? NaN : Number(raw)
    return Number.isFinite(n) ? n : null
  }
  const online = number(observation.isOnline)
  const mode = number(observation.operatingMode)
  const power = number(observation.totalChargePower)
  const energy = number(observation.sessionEnergy)
  return {
    online: online === null ? null : online === 1,
    operatingMode: mode === null ? null : Math.round(mode),
    powerW: power === null ? null : Math.max(0, Math.round(power)),
    sessionEnergyWh: energy === null ? null : Math.max(0, Math.round(energy * 1000)),
    at: newest ?? new Date(),
  }
}
