/**
 * No secrets in URLs: the stop token travels only in the Authorization header; EventSource, which
 * cannot send one, gets a ticket valid for a minute. And links meant to be shared work: a receipt link
 * from the account history opens for whoever holds it (an employer checking an expense claim).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { randomUUID } from 'node:crypto'
import { connectCharger, http, startTestSystem, testClock, until, type TestSystem } from '../support/system'
import { cookieFor, createDriver } from '../support/auth'
import type { SimChargePoint } from '../../bff/sim/charge-point'

vi.setConfig({ testTimeout: 120_000 })
const visa = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2034, cvc: '123' }
let sys: TestSystem
let cp: SimChargePoint
afterEach(async () => {
  await cp?.close()
  await sys?.close()
})

async function paidSession(headers: Record<string, string> = {}, connectorId = 1) {
  const created = await http(sys.url, 'POST', '/api/sessions', {
    body: { chargerId: 'DEMO-1', connectorId, method: 'card' },
    headers: { 'idempotency-key': randomUUID(), ...headers },
  })
  expect(created.status).toBe(201)
  const { session, payment, stopToken } = created.body
  await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card: visa } })
  expect((await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })).status).toBe(200)
  return { id: session.id as string, stopToken: stopToken as string }
}

/** Opens the event stream and reads its first event; the status when it is refused. */
async function firstEvent(path: string): Promise<{ status: number; data?: any }> {
  const controller = new AbortController()
  const response = await fetch(sys.url + path, { signal: controller.signal })
  if (!response.headers.get('content-type')?.includes('text/event-stream')) return { status: response.status }
  const reader = response.body!.getReader()
  let buffer = ''
  while (!buffer.includes('\n\n')) buffer += new TextDecoder().decode((await reader.read()).value)
  controller.abort()
  return { status: response.status, data: JSON.parse(buffer.match(/^data: (.*)$/m)![1]) }
}

describe('the stop token', () => {
  it('is not taken from the URL, only from the Authorization header', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const { id, stopToken } = await paidSession()
    expect((await http(sys.url, 'GET', `/api/sessions/${id}`, { token: stopToken })).status).toBe(200)
    expect((await http(sys.url, 'GET', `/api/sessions/${id}?t=${stopToken}`)).status).toBe(404)
    expect((await http(sys.url, 'POST', `/api/sessions/${id}/stop?t=${stopToken}`)).status).toBe(404)
    expect((await firstEvent(`/api/sessions/${id}/events?t=${stopToken}`)).status).toBe(404)
  })
})

describe('live updates for EventSource', () => {
  it('open with a ticket got with the stop token, for that session and for a minute only', async () => {
    const clock = testClock()
    sys = await startTestSystem({ clock: clock.now })
    cp = await connectCharger(sys)
    const { id, stopToken } = await paidSession()
    const other = await paidSession({}, 2)
    expect((await http(sys.url, 'POST', `/api/sessions/${id}/events-ticket`)).status).toBe(404)
    const granted = await http(sys.url, 'POST', `/api/sessions/${id}/events-ticket`, { token: stopToken })
    expect(granted.status).toBe(201)
    const { ticket } = granted.body
    expect(ticket).not.toContain(stopToken)
    const opened = await firstEvent(`/api/sessions/${id}/events?ticket=${encodeURIComponent(ticket)}`)
    expect(opened).toMatchObject({ status: 200, data: { id, state: 'starting' } })

    expect((await firstEvent(`/api/sessions/${other.id}/events?ticket=${encodeURIComponent(ticket)}`)).status).toBe(401)
    const [until_, signature] = ticket.split('.')
    expect((await firstEvent(`/api/sessions/${id}/events?ticket=${Number(until_) + 3600}.${signature}`)).status).toBe(401)
    clock.advance(61_000)
    const expired = await http(sys.url, 'GET', `/api/sessions/${id}/events?ticket=${encodeURIComponent(ticket)}`)
    expect(expired.status).toBe(401)
    expect(expired.body.error.code).toBe('ticket_expired')
  })
})

describe('receipt links', () => {
  it('from the account work for anyone holding them, and only with their token', async () => {
    sys = await startTestSystem()
    cp = await connectCharger(sys)
    const cookie = await cookieFor(sys.store.db, await createDriver(sys.store.db, 'expenses@example.com'))
    const { id, stopToken } = await paidSession({ cookie })
    await cp.plugIn(1)
    await until('charging', async () => (await http(sys.url, 'GET', `/api/sessions/${id}`, { token: stopToken })).body.state === 'charging')
    await until('some energy', async () => (await http(sys.url, 'GET', `/api/sessions/${id}`, { token: stopToken })).body.energyWh > 500)
    await http(sys.url, 'POST', `/api/sessions/${id}/stop`, { token: stopToken })
    // The demo tariff has an idle fee: settlement waits for the car to leave.
    await until('settling', async () => (await http(sys.url, 'GET', `/api/sessions/${id}`, { token: stopToken })).body.state === 'settling')
    await cp.unplug(1)
    await until('the receipt', async () => (await http(sys.url, 'GET', `/api/sessions/${id}`, { token: stopToken })).body.receipt, 30_000)

    const history = await http(sys.url, 'GET', '/api/me/sessions', { headers: { cookie } })
    const link = history.body.sessions.find((s: { id: string }) => s.id === id).receipt.url as string
    expect(new URL(link).searchParams.get('t')).toBeTruthy()
    const shared = await http(sys.url, 'GET', new URL(link).pathname + new URL(link).search)
    expect(shared.status).toBe(200)
    expect(shared.body.number).toBe(history.body.sessions.find((s: { id: string }) => s.id === id).receipt.number)

    // The account's view of the session links the same way.
    const viaAccount = await http(sys.url, 'GET', `/api/sessions/${id}`, { headers: { cookie } })
    const accountLink = new URL(viaAccount.body.receipt.url)
    expect((await http(sys.url, 'GET', accountLink.pathname + accountLink.search)).status).toBe(200)

    const forged = new URL(link)
    forged.searchParams.set('t', 'A'.repeat(43))
    expect((await http(sys.url, 'GET', forged.pathname + forged.search)).status).toBe(404)
    expect((await http(sys.url, 'GET', forged.pathname)).status).toBe(404)
  })
})
