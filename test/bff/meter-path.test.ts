/**
 * The MeterValues path built for throughput (issue 13): readings answered from a bounded buffer and
 * stored by group commit, a charger that floods slowed on its own, never the others.
 */
import { once } from 'node:events'
import { asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { GroupCommit } from '../../bff/store/group-commit'
import pino from 'pino'
import { MeterBuffer } from '../../bff/sessions/meter-buffer'
import type { Store } from '../../bff/store/db'
import { meterSamples, sessions } from '../../bff/store/schema'
import { openDemoStore } from '../support/store'
import { startTestSystem, until, type TestSystem } from '../support/system'
import { seedLoadChargers } from '../bench/meter-path'
import { benchPassword } from '../bench/ocpp-load'

describe('group commit', () => {
  it('writes what arrives in one turn together, and what arrives during a write in the next', async () => {
    const writes: number[][] = []
    let release: () => void = () => {}
    const commit = new GroupCommit<number>(async (batch) => {
      writes.push(batch)
      if (writes.length === 1) await new Promise<void>((r) => (release = r))
    })
    const first = [1, 2, 3].map((n) => commit.add(n))
    await new Promise((r) => setImmediate(r))
    expect(writes).toEqual([[1, 2, 3]])
    const second = [4, 5].map((n) => commit.add(n))
    let firstStored = false
    void Promise.all(first).then(() => (firstStored = true))
    await new Promise((r) => setTimeout(r, 10))
    expect(firstStored).toBe(false) // nobody is told "stored" before the write is done
    release()
    await Promise.all([...first, ...second])
    expect(writes).toEqual([[1, 2, 3], [4, 5]])
  })

  it('with a gap, starts a write at most once per gap: a steady trickle goes in few, larger writes', async () => {
    const writes: { at: number; items: number[] }[] = []
    const commit = new GroupCommit<number>(async (batch) => void writes.push({ at: performance.now(), items: batch }), { gapMs: 40 })
    const added: Promise<void>[] = []
    const began = performance.now()
    for (let n = 0; n < 20; n++) {
      added.push(commit.add(n))
      await new Promise((r) => setTimeout(r, 5))
    }
    const spent = performance.now() - began
    await Promise.all(added)
    expect(writes.flatMap((w) => w.items)).toEqual([...Array(20).keys()])
    // The first alone at once, then one write per 40 ms gap at most, however slowly the items came.
    expect(writes[0].items).toEqual([0])
    expect(writes.length).toBeLessThanOrEqual(Math.floor(spent / 40) + 2)
    expect(writes.length).toBeLessThan(20)
    for (let i = 1; i < writes.length; i++) expect(writes[i].at - writes[i - 1].at).toBeGreaterThanOrEqual(38)
  })

  it('fails only the batch whose write failed; flushed() waits for what was added before', async () => {
    let fail = true
    const stored: number[] = []
    const commit = new GroupCommit<number>(async (batch) => {
      if (fail) throw new Error('database gone')
      stored.push(...batch)
    })
    await expect(commit.add(1)).rejects.toThrow('database gone')
    fail = false
    void commit.add(2)
    void commit.add(3)
    await commit.flushed()
    expect(stored).toEqual([2, 3])
  })
})

describe('the meter buffer', () => {
  let store: Store
  let sessionId: string
  beforeAll(async () => {
    store = await openDemoStore()
    await seedLoadChargers(store.db, 1, { sessions: true, prefix: 'BUF' })
    ;[{ id: sessionId }] = await store.db.update(sessions).set({ state: 'charging', startedAt: new Date() }).where(eq(sessions.chargerId, 'BUF-1')).returning({ id: sessions.id })
  })
  afterAll(async () => {
    await store.close()
  })
  const reading = (energyWh: number) => ({ sessionId, at: new Date(), energyWh, powerW: 11_000, socPercent: null })
  const storedEnergy = async () => (await store.db.select().from(meterSamples).where(eq(meterSamples.sessionId, sessionId)).orderBy(asc(meterSamples.id))).map((r) => r.energyWh)

  it('answers a reading at once while the buffer is short, and writes it within the gap', async () => {
    const buffer = new MeterBuffer(store.db, () => new Date(), async () => null, () => {}, pino({ level: 'silent' }))
    const before = (await storedEnergy()).length
    await buffer.record(reading(100), { energyWh: 100, powerW: 11_000, costTotal: 50 })
    expect(await storedEnergy()).toHaveLength(before) // answered, not written yet
    await buffer.written(sessionId)
    expect((await storedEnergy()).slice(before)).toEqual([100])
    expect((await store.db.select().from(sessions).where(eq(sessions.id, sessionId)))[0]).toMatchObject({ energyWh: 100, costTotal: 50 })
  })

  it('past its bound makes the charger wait for the write (back-pressure, not an unbounded buffer)', async () => {
    const buffer = new MeterBuffer(store.db, () => new Date(), async () => null, () => {}, pino({ level: 'silent' }), 2)
    const before = (await storedEnergy()).length
    const answered: number[] = []
    const added = [200, 300, 400, 500].map((wh) => buffer.record(reading(wh), { energyWh: wh, powerW: 11_000, costTotal: wh }).then(() => answered.push(wh)))
    for (let i = 0; i < 5; i++) await Promise.resolve() // the write starts at the next turn of the event loop, not before
    expect(answered).toEqual([200, 300]) // within the bound: at once; past it: once written
    await Promise.all(added)
    expect((await storedEnergy()).slice(before)).toEqual([200, 300, 400, 500])
  })
})

describe('a charger that floods', () => {
  let sys: TestSystem
  let idTags: string[]
  beforeAll(async () => {
    sys = await startTestSystem()
    // Two chargers, each with a paid card session waiting for its start.
    ;({ idTags } = await seedLoadChargers(sys.store.db, 2, { sessions: true, prefix: 'FLOOD' }))
  })
  afterAll(async () => {
    await sys.close()
  })

  /** A raw charger that can send without waiting for answers, as no well-behaved one does. */
  async function rawCharger(id: string, idTag: string) {
    const ws = new WebSocket(`ws://127.0.0.1:${sys.port}/ocpp/${id}`, ['ocpp1.6'], {
      headers: { authorization: `Basic ${Buffer.from(`${id}:${benchPassword}`).toString('base64')}` },
    })
    const answers = new Map<string, (frame: unknown[]) => void>()
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as unknown[]
      if (frame[0] === 2) return ws.send(JSON.stringify([3, frame[1], { status: 'Accepted' }]))
      answers.get(frame[1] as string)?.(frame)
    })
    await once(ws, 'open')
    let n = 0
    const call = (action: string, params: object) =>
      new Promise<unknown[]>((resolve) => {
        const id = `${action}-${++n}`
        answers.set(id, resolve)
        ws.send(JSON.stringify([2, id, action, params]))
      })
    const started = (await call('StartTransaction', { connectorId: 1, idTag, meterStart: 1000, timestamp: new Date().toISOString() }))[2] as { transactionId: number }
    const meterValues = (energyWh: number) =>
      call('MeterValues', {
        connectorId: 1,
        transactionId: started.transactionId,
        meterValue: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }],
      })
    const [session] = await sys.store.db.select().from(sessions).where(eq(sessions.idTag, idTag))
    return { ws, sessionId: session.id, meterValues }
  }

  it('gets its MeterValues past the bound refused while another charger is answered as usual', async () => {
    const flood = await rawCharger('FLOOD-1', idTags[0])
    const calm = await rawCharger('FLOOD-2', idTags[1])
    const sent = Array.from({ length: 200 }, (_, i) => flood.meterValues(2000 + i))
    const t0 = performance.now()
    const [calmAnswer] = await Promise.all([calm.meterValues(5000)])
    const calmMs = performance.now() - t0
    const answers = await Promise.all(sent)
    const refused = answers.filter((a) => a[0] === 4)
    expect(refused.length).toBeGreaterThan(0)
    expect(refused[0][2]).toBe('GenericError')
    expect(answers.filter((a) => a[0] === 3).length).toBeGreaterThanOrEqual(50)
    expect(calmAnswer[0]).toBe(3)
    expect(calmMs).toBeLessThan(2000)
    // What was answered is stored, in order, and nothing else: the session's readings are exactly the
    // ones the charger saw answered (energy since its meter start of 1,000 Wh), and its total is the last.
    const taken = answers.map((a, i) => (a[0] === 3 ? 2000 + i - 1000 : null)).filter((v) => v !== null)
    // Answered readings are written within milliseconds of the answer, not before it.
    const readStored = () => sys.store.db.select().from(meterSamples).where(eq(meterSamples.sessionId, flood.sessionId)).orderBy(asc(meterSamples.id))
    const stored = await until('the answered readings stored', async () => {
      const rows = await readStored()
      return rows.length >= taken.length ? rows : null
    })
    expect(stored.map((r) => r.energyWh)).toEqual(taken)
    const [session] = await sys.store.db.select().from(sessions).where(eq(sessions.id, flood.sessionId))
    expect(session).toMatchObject({ state: 'charging', energyWh: taken.at(-1) })
    flood.ws.terminate()
    calm.ws.terminate()
  })
})
