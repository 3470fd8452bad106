/**
 * A hold that started nothing is never left to chance: its cancel is owed in the terminal tables (a
 * `refused` payment without a session) until the provider has released it, retried by the desk's
 * sweep (and at start, after a restart), one cancel executed however many tries it takes.
 */
import { eq } from 'drizzle-orm'
import { Leases } from '../../bff/cluster/leases'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestSystem, until, type TestSystem } from '../support/system'
import { startFakePayter, payterTestCards, type FakePayter } from '../../bff/sim/payter-cloud'
import { paymentTerminals, sessions, terminalAsks, terminalPayments } from '../../bff/store/schema'
import type { Store } from '../../bff/store/db'

const [visa] = payterTestCards
let sys: TestSystem
let store: Store
let payter: FakePayter

afterEach(async () => {
  await sys?.close()
  await store?.close()
  await payter?.close()
})

/** A Payter terminal on DEMO-1, whose charger is offline: every tap's hold must be cancelled. */
async function start() {
  payter = await startFakePayter()
  const { openDemoStore } = await import('../support/store')
  store = await openDemoStore()
  await store.db.insert(paymentTerminals).values({ id: 'P68-0001', provider: 'payter', chargerId: 'DEMO-1', connectorIds: [1], language: 'en' })
  sys = await startTestSystem({ store, terminals: { payter: { apiUrl: payter.url, apiKey: payter.apiKey } } })
}

const onlyPayment = async () => {
  const rows = await store.db.select().from(terminalPayments)
  expect(rows).toHaveLength(1)
  return rows[0]
}

async function tapRefused() {
  expect(await payter.tap('P68-0001', visa)).toBe(true)
  await until('the refusal on the screen', () => /not charged/.test(payter.screen('P68-0001').lines.join(' ')))
  return onlyPayment()
}

describe('the cancel of a hold that started nothing', () => {
  it('is retried after 5xx answers until it goes through, and executed exactly once', async () => {
    await start()
    payter.faults.cancelFailsBefore = 3
    const refused = await tapRefused()
    expect(refused).toMatchObject({ status: 'refused', refusal: 'charger_offline', sessionId: null })
    expect(payter.sessions.get(refused.id)!.state).toBe('AUTHORIZED')

    expect(await sys.terminals.desk.sweepCancels({ all: true })).toBe(0)
    expect(await sys.terminals.desk.sweepCancels({ all: true })).toBe(0)
    expect((await onlyPayment()).status).toBe('refused')
    expect(payter.cancels).toEqual([])
    // Three 503s so far (the cancel at once, two sweeps); not due yet by its backoff, a plain sweep leaves it for later.
    expect(payter.faults.cancelFailsBefore).toBe(0)
    expect(await sys.terminals.desk.sweepCancels()).toBe(0)
    expect(payter.cancels).toEqual([])

    expect(await sys.terminals.desk.sweepCancels({ all: true })).toBe(1)
    expect(payter.cancels).toEqual([refused.id])
    expect(payter.sessions.get(refused.id)!.state).toBe('CANCELLED')
    expect((await onlyPayment()).status).toBe('cancelled')

    expect(await sys.terminals.desk.sweepCancels({ all: true })).toBe(0)
    expect(payter.cancels).toEqual([refused.id])
    expect(payter.commits).toEqual([])
  })

  it('whose answer was lost is read back, not repeated', async () => {
    await start()
    payter.faults.cancelFailsAfter = 1
    const refused = await tapRefused()
    expect(refused.status).toBe('refused')
    expect(payter.cancels).toEqual([refused.id])
    expect(await sys.terminals.desk.sweepCancels({ all: true })).toBe(1)
    expect((await onlyPayment()).status).toBe('cancelled')
    expect(payter.cancels).toEqual([refused.id])
  })

  it('an authorisation left between hold and start (a crash) is cancelled when abandoned, or linked to its session', async () => {
    await start()
    const old = new Date(Date.now() - 11 * 60_000)
    const hold = (id: string) => {
      payter.sessions.set(id, { sessionId: id, serial: 'P68-0001', state: 'AUTHORIZED', authorizedAmount: 30000, committedAmount: 0, currency: 'SEK', card: visa })
      return { id, terminalId: 'P68-0001', provider: 'payter' as const, connectorId: 1, amount: 30000, currency: 'SEK', status: 'authorized' as const, cardBrand: 'visa', cardLast4: visa.last4 }
    }
    await store.db.insert(terminalPayments).values([
      { ...hold('abandoned-1'), createdAt: old },
      { ...hold('fresh-1'), createdAt: new Date() },
      { ...hold('linked-1'), createdAt: old },
      { ...hold('linked-2'), connectorId: 2, createdAt: new Date() },
    ])
    // linked-1's session was created before the stop: settlement keeps that hold.
    await store.db.insert(sessions).values({
      id: 'ses-linked', state: 'charging', chargerId: 'DEMO-1', connectorId: 1, siteId: 'demo', method: 'card', idTag: 'LINKED01',
      tariff: { currency: 'SEK', vatRateBp: 2500, components: [] }, currency: 'SEK', holdAmount: 30000, stopTokenHash: 'x', receiptTokenHash: 'y',
      paymentId: 'linked-1', paymentProvider: 'payter', holdStatus: 'held',
    })
    // linked-2's session was created a moment ago, just before a crash: linked at once, not after 10 minutes.
    await store.db.insert(sessions).values({
      id: 'ses-linked-2', state: 'charging', chargerId: 'DEMO-1', connectorId: 2, siteId: 'demo', method: 'card', idTag: 'LINKED02',
      tariff: { currency: 'SEK', vatRateBp: 2500, components: [] }, currency: 'SEK', holdAmount: 30000, stopTokenHash: 'x2', receiptTokenHash: 'y2',
      paymentId: 'linked-2', paymentProvider: 'payter', holdStatus: 'held',
    })
    // Another process handles a card read at the terminal: a recent authorisation may be starting there.
    const elsewhere = new Leases(store.db, 'another-process')
    expect(await elsewhere.take('terminal:P68-0001', 60_000)).toBe(true)
    expect(await sys.terminals.desk.sweepCancels({ all: true })).toBe(1)
    const rows = await store.db.select().from(terminalPayments)
    expect(rows.find((r) => r.id === 'abandoned-1')).toMatchObject({ status: 'cancelled', refusal: 'abandoned' })
    expect(rows.find((r) => r.id === 'fresh-1')).toMatchObject({ status: 'authorized' })
    expect(rows.find((r) => r.id === 'linked-1')).toMatchObject({ status: 'started', sessionId: 'ses-linked' })
    expect(rows.find((r) => r.id === 'linked-2')).toMatchObject({ status: 'started', sessionId: 'ses-linked-2' })
    expect(payter.cancels).toEqual(['abandoned-1'])
    // That process is gone (its lease given up or lapsed): nothing is starting the recent one, which started nothing.
    await elsewhere.give('terminal:P68-0001')
    expect(await sys.terminals.desk.sweepCancels({ all: true })).toBe(1)
    expect((await store.db.select().from(terminalPayments).where(eq(terminalPayments.id, 'fresh-1')))[0]).toMatchObject({ status: 'cancelled', refusal: 'abandoned' })
    expect(payter.cancels).toEqual(['abandoned-1', 'fresh-1'])
  })

  it('an ask whose answer was lost (a crash or a 5xx between the hold and our record) is looked up, its hold cancelled once', async () => {
    await start()
    payter.faults.authorizeAnswerLost = 1
    expect(await payter.tap('P68-0001', visa)).toBe(true)
    // The hold is made at Payter, its answer lost: we have the ask, and no payment.
    await until('the hold made', () => payter.sessions.size === 1)
    const [ask] = await until('the handling over', async () => (payter.terminals.get('P68-0001')?.state === 'IDLE' ? store.db.select().from(terminalAsks) : null))
    const [made] = [...payter.sessions.values()]
    expect(made.state).toBe('AUTHORIZED')
    expect(ask).toMatchObject({ terminalId: 'P68-0001', connectorId: 1, amount: made.authorizedAmount })
    expect(await store.db.select().from(terminalPayments)).toEqual([])

    // Too fresh (its answer may still be under way), or the terminal busy in another process: left alone.
    expect(await sys.terminals.desk.sweepCancels({ all: true })).toBe(0)
    await store.db.update(terminalAsks).set({ askedAt: new Date(Date.now() - 60_000) })
    const elsewhere = new Leases(store.db, 'another-process')
    expect(await elsewhere.take('terminal:P68-0001', 60_000)).toBe(true)
    expect(await sys.terminals.desk.sweepCancels({ all: true })).toBe(0)
    expect(payter.cancels).toEqual([])
    await elsewhere.give('terminal:P68-0001')

    // Looked up under the same idempotency key: the session it made (not a second hold), cancelled, the driver told.
    await sys.terminals.desk.sweepCancels({ all: true })
    expect(payter.sessions.size).toBe(1)
    expect(payter.cancels).toEqual([made.sessionId])
    expect(await onlyPayment()).toMatchObject({ id: made.sessionId, status: 'cancelled', refusal: 'abandoned', sessionId: null })
    expect(await store.db.select().from(terminalAsks)).toEqual([])
    expect(payter.screen('P68-0001').lines.join(' ')).toMatch(/not charged/)
    expect(payter.commits).toEqual([])

    // An ask that made nothing (lost before it reached Payter) is forgotten, and asks no card of anyone.
    await store.db.insert(terminalAsks).values({ reference: 'never-arrived', terminalId: 'P68-0001', provider: 'payter', connectorId: 1, amount: 30000, currency: 'SEK', askedAt: new Date(Date.now() - 60_000) })
    await sys.terminals.desk.sweepCancels({ all: true })
    expect(await store.db.select().from(terminalAsks)).toEqual([])
    expect(payter.sessions.size).toBe(1)
  })

  it('an ask answered in time leaves nothing behind; a declined card neither', async () => {
    await start()
    await tapRefused()
    expect(await store.db.select().from(terminalAsks)).toEqual([])
    await until('scanning again', () => payter.terminals.get('P68-0001')?.state === 'READING')
    expect(await payter.tap('P68-0001', payterTestCards[2])).toBe(true)
    await until('declined', () => /declined/i.test(payter.screen('P68-0001').lines.join(' ')))
    expect(await store.db.select().from(terminalAsks)).toEqual([])
  })

  it('a session a crash left before its start (hold verified, still pending) fails after the start timeout; its hold is cancelled and the terminal says so', async () => {
    await start()
    const old = new Date(Date.now() - 5 * 60_000)
    payter.sessions.set('interrupted-1', { sessionId: 'interrupted-1', serial: 'P68-0001', state: 'AUTHORIZED', authorizedAmount: 30000, committedAmount: 0, currency: 'SEK', card: visa })
    await store.db.insert(terminalPayments).values({ id: 'interrupted-1', terminalId: 'P68-0001', provider: 'payter', connectorId: 1, amount: 30000, currency: 'SEK', status: 'authorized', cardBrand: 'visa', cardLast4: visa.last4, createdAt: old })
    await store.db.insert(sessions).values({
      id: 'ses-interrupted', state: 'pending', chargerId: 'DEMO-1', connectorId: 1, siteId: 'demo', method: 'card', idTag: 'INTERR01',
      tariff: { currency: 'SEK', vatRateBp: 2500, components: [] }, currency: 'SEK', holdAmount: 30000, stopTokenHash: 'x3', receiptTokenHash: 'y3',
      paymentId: 'interrupted-1', paymentProvider: 'payter', holdStatus: 'held', createdAt: old,
    })
    await sys.terminals.desk.sweepCancels({ all: true })
    expect(await onlyPayment()).toMatchObject({ status: 'started', sessionId: 'ses-interrupted' })
    await sys.sessions.tick()
    const [failed] = await store.db.select().from(sessions).where(eq(sessions.id, 'ses-interrupted'))
    expect(failed).toMatchObject({ state: 'failed', failureReason: 'start_interrupted' })
    await until('the hold cancelled', () => payter.cancels.includes('interrupted-1'))
    expect(payter.cancels).toEqual(['interrupted-1'])
    await until('the terminal says so', () => /not charged/.test(payter.screen('P68-0001').lines.join(' ')))
    expect(payter.commits).toEqual([])
  })

  it('survives a restart: the owed cancel is carried out at start', async () => {
    await start()
    payter.faults.cancelFailsBefore = 1
    const refused = await tapRefused()
    expect(refused.status).toBe('refused')
    sys = await sys.restart()
    expect((await onlyPayment()).status).toBe('cancelled')
    expect(payter.cancels).toEqual([refused.id])
  })
})
