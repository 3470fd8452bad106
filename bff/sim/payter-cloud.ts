/**
 * A local fake of Payter's Cloud Payment Service, written from the same description as the adapter
 * (bff/terminals/payter/client.ts): terminals that show what we display (text, QR), scan once
 * started, read a "tapped" test card, call the start's web hook, authorise, commit once, cancel.
 * It records the commits it executed so tests count the money the provider actually took, and has
 * fault knobs, for every terminal or one terminal only: 5xx (before or after the commit went
 * through), answers that come too late (after the commit went through), lost answers to an
 * authorize, lost and duplicated web hooks. An authorize repeated under its idempotency key answers
 * with the session it made.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { randomUUID } from 'node:crypto'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

export interface TestCard {
  cardId: string
  brand: string
  last4: string
  /** Declined at authorisation (the fake's stand-in for insufficient funds). */
  declines?: boolean
}

/** Cards the demo page and tests tap. */
export const payterTestCards: TestCard[] = [
  { cardId: 'card-visa-0001', brand: 'visa', last4: '0001' },
  { cardId: 'card-mc-0002', brand: 'mastercard', last4: '0002' },
  { cardId: 'card-declined-0003', brand: 'visa', last4: '0003', declines: true },
]

interface FakeTerminal {
  state: 'IDLE' | 'READING' | 'CARD_READ' | 'AUTHORIZING'
  screen: { lines: string[]; qrCode: string | null }
  shown: { lines: string[]; qrCode: string | null }[]
  card: TestCard | null
  selection: string | null
  callbackUrl: string | null
}

interface FakeSession {
  sessionId: string
  serial: string
  state: 'AUTHORIZED' | 'DECLINED' | 'COMMITTED' | 'CANCELLED'
  authorizedAmount: number
  committedAmount: number
  currency: string
  card: TestCard
}

export interface PayterFaults {
  /** The next n commits answer 503 without committing. */
  commitFailsBefore: number
  /** The next n commits commit, then answer 503 (the answer is lost). */
  commitFailsAfter: number
  /** The next n cancels answer 503 without cancelling. */
  cancelFailsBefore?: number
  /** The next n cancels cancel, then answer 503 (the answer is lost). */
  cancelFailsAfter?: number
  /** The next n authorizations are made, then answer 503 (the answer is lost). */
  authorizeAnswerLost?: number
  /** The next n web hooks are not sent. */
  loseCallbacks: number
  /** The next n web hooks are sent twice. */
  duplicateCallbacks: number
  /** The next n commits commit, then answer only after `hangMs` (a caller's timeout comes first). */
  commitHangs?: number
  hangMs?: number
}

export interface FakePayter {
  url: string
  apiKey: string
  terminals: Map<string, FakeTerminal>
  sessions: Map<string, FakeSession>
  /** Every commit executed: what the provider took. */
  commits: { sessionId: string; amount: number }[]
  cancels: string[]
  faults: PayterFaults
  /** Fault knobs of one terminal only, used before the global ones. */
  faultsFor(serial: string): Partial<PayterFaults>
  /** The terminal's display. */
  screen(serial: string): { lines: string[]; qrCode: string | null }
  /** Everything the terminal displayed, oldest first. */
  screens(serial: string): { lines: string[]; qrCode: string | null }[]
  /** A driver taps a card (and, on a terminal serving several connectors, picked one). False when the terminal is not scanning. */
  tap(serial: string, card: TestCard, o?: { connectorId?: number }): Promise<boolean>
  close(): Promise<void>
}

export async function startFakePayter(o: { apiKey?: string; port?: number } = {}): Promise<FakePayter> {
  const apiKey = o.apiKey ?? 'payter-test-key'
  const terminals = new Map<string, FakeTerminal>()
  const sessions = new Map<string, FakeSession>()
  /** Sessions by the idempotency key of the authorize that made them. */
  const authorized = new Map<string, FakeSession>()
  const commits: FakePayter['commits'] = []
  const cancels: string[] = []
  const faults: PayterFaults = { commitFailsBefore: 0, commitFailsAfter: 0, loseCallbacks: 0, duplicateCallbacks: 0 }
  const own = new Map<string, Partial<PayterFaults>>()
  const faultsFor = (serial: string) => own.get(serial) ?? own.set(serial, {}).get(serial)!
  /** Takes one of a fault's count: the terminal's own first, then the global one. */
  const take = (serial: string, name: Exclude<keyof PayterFaults, 'hangMs'>) => {
    for (const f of [faultsFor(serial), faults]) {
      if ((f[name] ?? 0) > 0) {
        f[name] = f[name]! - 1
        return true
      }
    }
    return false
  }
  const terminal = (serial: string) => {
    let t = terminals.get(serial)
    if (!t) terminals.set(serial, (t = { state: 'IDLE', screen: { lines: [], qrCode: null }, shown: [], card: null, selection: null, callbackUrl: null }))
    return t
  }
  const view = (s: FakeSession) => ({ ...s, card: { cardId: s.card.cardId, brand: s.card.brand, last4: s.card.last4 } })
  const refuse = (message: string, status: 404 | 409 = 409) => Response.json({ message }, { status })

  const app = new Hono()
    .use('*', async (c, next) => {
      if (c.req.header('authorization') !== `Bearer ${apiKey}`) return c.json({ message: 'invalid api key' }, 401)
      await next()
    })
    .post('/terminals/:serial/ui', async (c) => {
      const body = (await c.req.json()) as { lines?: string[]; qrCode?: string | null }
      const t = terminal(c.req.param('serial'))
      t.screen = { lines: body.lines ?? [], qrCode: body.qrCode ?? null }
      t.shown.push(t.screen)
      if (t.shown.length > 100) t.shown.shift()
      return c.json({ ok: true })
    })
    .post('/terminals/:serial/start', (c) => {
      const t = terminal(c.req.param('serial'))
      if (t.state === 'AUTHORIZING') return refuse('authorization in progress')
      Object.assign(t, { state: 'READING', card: null, selection: null, callbackUrl: c.req.query('callbackUrl') ?? null })
      return c.json({ state: t.state })
    })
    .post('/terminals/:serial/stop', (c) => {
      Object.assign(terminal(c.req.param('serial')), { state: 'IDLE', card: null, selection: null })
      return c.json({ state: 'IDLE' })
    })
    .get('/terminals/:serial/card', (c) => {
      const t = terminal(c.req.param('serial'))
      return c.json({ state: t.state, card: t.card && { cardId: t.card.cardId, brand: t.card.brand, last4: t.card.last4 }, selection: t.selection })
    })
    .post('/terminals/:serial/authorize', (c) => {
      const serial = c.req.param('serial')
      const t = terminal(serial)
      // The same ask again (its answer was lost): the session it made, not another authorisation.
      const key = c.req.header('idempotency-key')
      const made = key ? authorized.get(key) : undefined
      if (made) return c.json({ ...view(made), message: made.state === 'DECLINED' ? 'Insufficient funds' : null })
      if (t.state !== 'CARD_READ' || !t.card) return refuse('no card read')
      const amount = Number(c.req.query('amount'))
      if (!Number.isInteger(amount) || amount <= 0) return refuse('bad amount')
      const s: FakeSession = {
        sessionId: randomUUID(),
        serial,
        state: t.card.declines ? 'DECLINED' : 'AUTHORIZED',
        authorizedAmount: amount,
        committedAmount: 0,
        currency: c.req.query('currency') ?? 'EUR',
        card: t.card,
      }
      sessions.set(s.sessionId, s)
      if (key) authorized.set(key, s)
      Object.assign(t, { state: 'IDLE', card: null, selection: null })
      if (take(serial, 'authorizeAnswerLost')) return c.json({ message: 'unavailable' }, 503)
      return c.json({ ...view(s), message: s.state === 'DECLINED' ? 'Insufficient funds' : null })
    })
    .get('/terminals/:serial/sessions/:id', (c) => {
      const s = sessions.get(c.req.param('id'))
      return s ? c.json(view(s)) : refuse('no such session', 404)
    })
    .post('/terminals/:serial/sessions/:id/commit', async (c) => {
      const s = sessions.get(c.req.param('id'))
      if (!s) return refuse('no such session', 404)
      if (take(s.serial, 'commitFailsBefore')) return c.json({ message: 'unavailable' }, 503)
      if (s.state !== 'AUTHORIZED') return refuse(`session is ${s.state}`)
      const amount = Number(c.req.query('commitAmount'))
      if (!Number.isInteger(amount) || amount < 0 || amount > s.authorizedAmount) return refuse('commit amount above the authorised amount')
      Object.assign(s, { state: 'COMMITTED', committedAmount: amount })
      commits.push({ sessionId: s.sessionId, amount })
      if (take(s.serial, 'commitFailsAfter')) return c.json({ message: 'unavailable' }, 503)
      if (take(s.serial, 'commitHangs')) await new Promise((r) => setTimeout(r, faultsFor(s.serial).hangMs ?? faults.hangMs ?? 20_000))
      return c.json(view(s))
    })
    .post('/terminals/:serial/sessions/:id/cancel', (c) => {
      const s = sessions.get(c.req.param('id'))
      if (!s) return refuse('no such session', 404)
      if (take(s.serial, 'cancelFailsBefore')) return c.json({ message: 'unavailable' }, 503)
      if (s.state === 'COMMITTED') return refuse('session is COMMITTED')
      if (s.state === 'AUTHORIZED') cancels.push(s.sessionId)
      s.state = s.state === 'DECLINED' ? 'DECLINED' : 'CANCELLED'
      if (take(s.serial, 'cancelFailsAfter')) return c.json({ message: 'unavailable' }, 503)
      return c.json(view(s))
    })

  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: o.port ?? 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const callback = async (serial: string, t: FakeTerminal) => {
    if (!t.callbackUrl) return
    if (take(serial, 'loseCallbacks')) return
    const times = take(serial, 'duplicateCallbacks') ? 2 : 1
    const send = () =>
      fetch(t.callbackUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ serialNumber: serial, state: 'CARD_READ' }) }).then(
        (r) => r.text(),
        () => undefined,
      )
    await Promise.all(Array.from({ length: times }, send))
  }

  return {
    url,
    apiKey,
    terminals,
    sessions,
    commits,
    cancels,
    faults,
    faultsFor,
    screen: (serial) => terminal(serial).screen,
    screens: (serial) => terminal(serial).shown,
    async tap(serial, card, tapOptions = {}) {
      const t = terminal(serial)
      if (t.state !== 'READING') return false
      Object.assign(t, { state: 'CARD_READ', card, selection: tapOptions.connectorId !== undefined ? String(tapOptions.connectorId) : null })
      await callback(serial, t)
      return true
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.()
      server.close(() => resolve())
    }),
  }
}
