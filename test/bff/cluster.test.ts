/**
 * The parts several processes share, on the test database (PGlite; PostgreSQL in CI's second run):
 * leases, the charger registry, commands between processes, finding dead processes. Two Cluster
 * objects on one database stand for two processes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { Cluster, CommandFailed } from '../../bff/cluster/cluster'
import { Leases } from '../../bff/cluster/leases'
import { InProcessSignals } from '../../bff/cluster/signals'
import { ClusterGateway } from '../../bff/cluster/gateway'
import { ChargerOfflineError, type ChargerGateway } from '../../bff/charging/gateway'
import { LiveBus } from '../../bff/live'
import { TerminalDesk } from '../../bff/terminals/desk'
import type { Store } from '../../bff/store/db'
import { openTestStore } from '../support/store'
import { silent, until } from '../support/system'

let store: Store
beforeAll(async () => {
  store = await openTestStore()
})
afterAll(async () => {
  await store.close()
})

describe('leases', () => {
  it('one holder at a time; renewed by its holder; free once given back', async () => {
    const a = new Leases(store.db, 'a')
    const b = new Leases(store.db, 'b')
    expect(await a.take('sweep', 60_000)).toBe(true)
    expect(await b.take('sweep', 60_000)).toBe(false)
    expect(await a.take('sweep', 60_000)).toBe(true)
    await b.give('sweep') // not b's: nothing happens
    expect(await b.take('sweep', 60_000)).toBe(false)
    await a.give('sweep')
    expect(await b.take('sweep', 60_000)).toBe(true)
  })

  it('an expired lease is taken over', async () => {
    const a = new Leases(store.db, 'a')
    const b = new Leases(store.db, 'b')
    expect(await a.take('intents:s1', 50)).toBe(true)
    expect(await b.take('intents:s1', 60_000)).toBe(false)
    await new Promise((r) => setTimeout(r, 120))
    expect(await b.take('intents:s1', 60_000)).toBe(true)
    expect(await a.take('intents:s1', 60_000)).toBe(false)
  })

  it('with(): runs the work holding the lease, or not at all', async () => {
    const a = new Leases(store.db, 'a')
    const b = new Leases(store.db, 'b')
    let ran = 0
    const inside = await a.with('job', 60_000, async () => {
      ran++
      expect(await b.with('job', 60_000, async () => void ran++)).toBe(false)
    })
    expect(inside).toBe(true)
    expect(ran).toBe(1)
    expect(await b.with('job', 60_000, async () => void ran++)).toBe(true)
    expect(ran).toBe(2)
  })
})

describe('two processes', () => {
  const signals = new InProcessSignals()
  let one: Cluster
  let two: Cluster
  beforeAll(async () => {
    one = new Cluster({ db: store.db, signals, logger: silent, commandTimeoutMs: 500 })
    two = new Cluster({ db: store.db, signals, logger: silent, commandTimeoutMs: 500 })
    await one.start()
    await two.start()
  })
  afterEach(async () => {
    await store.db.execute(sql`delete from charger_links`)
  })
  afterAll(async () => {
    await one.stop()
    await two.stop()
  })

  it('a charger linked by one is held elsewhere for the other, and found in the database', async () => {
    await one.link('CP-1')
    await until('two hears of it', () => two.isHeldElsewhere('CP-1'))
    expect(one.isHeldElsewhere('CP-1')).toBe(false)
    expect(await two.holderOf('CP-1')).toBe(one.processId)
    // The charger reconnects to two: one's late disconnect changes nothing.
    await two.link('CP-1')
    await until('one hears of the move', () => one.isHeldElsewhere('CP-1'))
    expect(await one.unlink('CP-1')).toBe(false)
    expect(await two.holderOf('CP-1')).toBe(two.processId)
    expect(await two.unlink('CP-1')).toBe(true)
    await until('one hears it is gone', () => !one.isHeldElsewhere('CP-1'))
    expect(await one.holderOf('CP-1')).toBeNull()
  })

  it('commands go to the process that holds the charger; offline there is offline here, silence is not', async () => {
    const sent: string[] = []
    const connected = new Set(['CP-2'])
    const local = (name: string): ChargerGateway => ({
      async startCharging(id, r) {
        if (!connected.has(id) || name !== 'one') throw new ChargerOfflineError(id)
        sent.push(`${name} start ${id} ${r.connectorId}`)
        return 'Accepted'
      },
      async stopCharging(id) {
        if (id === 'CP-SLOW') return new Promise(() => {})
        throw new ChargerOfflineError(id)
      },
      async askStatus() {},
      isOnline: (id) => name === 'one' && connected.has(id),
    })
    new ClusterGateway(local('one'), one)
    const viaTwo = new ClusterGateway(local('two'), two)
    await one.link('CP-2')
    await until('two hears of CP-2', () => two.isHeldElsewhere('CP-2'))
    expect(viaTwo.isOnline('CP-2')).toBe(true)
    expect(await viaTwo.startCharging('CP-2', { sessionId: 's', connectorId: 2, token: 't' })).toBe('Accepted')
    expect(sent).toEqual(['one start CP-2 2'])
    // Held by one, but the connection is gone there: offline, certainly not sent.
    await expect(viaTwo.stopCharging('CP-2', 's')).rejects.toBeInstanceOf(ChargerOfflineError)
    // Held by one, which does not answer in time: may have reached the charger, so not "offline".
    await one.link('CP-SLOW')
    const silence = await viaTwo.stopCharging('CP-SLOW', 's').catch((e: unknown) => e)
    expect(silence).toBeInstanceOf(CommandFailed)
    expect(silence).not.toBeInstanceOf(ChargerOfflineError)
    // Held by nobody: offline.
    await expect(viaTwo.startCharging('CP-NONE', { sessionId: 's', connectorId: 1, token: 't' })).rejects.toBeInstanceOf(ChargerOfflineError)
  })

  it('a process that stopped beating is reaped: its chargers are lost, its leases free', async () => {
    const three = new Cluster({ db: store.db, signals, logger: silent })
    await three.start()
    await three.link('CP-3')
    await three.link('CP-4')
    expect(await three.leases.take('session-sweep', 600_000)).toBe(true)
    // CP-4 reconnected to two before three was found dead: it stays two's.
    await two.link('CP-4')
    await store.db.execute(sql`update processes set heartbeat_at = now() - interval '1 minute' where id = ${three.processId}`)
    const lost: string[] = []
    expect(await one.reap(async (ids) => void lost.push(...ids))).toEqual([three.processId])
    expect(lost).toEqual(['CP-3'])
    expect(await one.holderOf('CP-3')).toBeNull()
    expect(await one.holderOf('CP-4')).toBe(two.processId)
    expect(await two.leases.take('session-sweep', 600_000)).toBe(true)
    expect(await one.reap(async () => {})).toEqual([])
    await two.leases.give('session-sweep')
  })
})

describe('the live bus across processes', () => {
  it('relays what one process publishes to the viewers of another, never back to itself', async () => {
    const signals = new InProcessSignals()
    const here = new LiveBus()
    const there = new LiveBus()
    here.connect(signals, 'here')
    there.connect(signals, 'there')
    const seenHere: unknown[] = []
    const seenThere: unknown[] = []
    const relayed: string[] = []
    here.subscribe('session:s1', (p) => seenHere.push(p))
    there.subscribe('session:s1', (p) => seenThere.push(p))
    there.onRelayed((topic) => relayed.push(topic))
    // Many topics at once: coalesced into signals below NOTIFY's size limit.
    for (let i = 0; i < 400; i++) here.publish(`charger:CHARGER-WITH-A-LONG-IDENTITY-${i}`, `CHARGER-WITH-A-LONG-IDENTITY-${i}`)
    here.publish('session:s1', 's1')
    here.publish('session:s1', 's1')
    await until('relayed', () => seenThere.length > 0)
    expect(seenHere).toEqual(['s1', 's1'])
    expect(seenThere).toEqual(['s1']) // coalesced
    expect(relayed).toHaveLength(401)
  })
})

describe('a payment terminal whose callbacks reach two processes', () => {
  it('handles one card read at a time: the duplicate on the other process waits for the first', async () => {
    const desk = (holder: string) =>
      new TerminalDesk({ db: store.db, sessions: null as never, live: new LiveBus(), logger: silent, publicUrl: 'http://x', leases: new Leases(store.db, holder) })
    const [a, b] = [desk('process-a'), desk('process-b')]
    const steps: string[] = []
    let release!: () => void
    const first = a.serial('P68-1', async () => {
      steps.push('a begins')
      await new Promise<void>((r) => (release = r))
      steps.push('a ends')
    })
    await until('a holds the terminal', () => steps.length === 1)
    const second = b.serial('P68-1', async () => void steps.push('b runs'))
    const other = b.serial('P68-2', async () => void steps.push('b, another terminal'))
    await other
    await new Promise((r) => setTimeout(r, 300))
    expect(steps).toEqual(['a begins', 'b, another terminal'])
    release()
    await Promise.all([first, second])
    expect(steps).toEqual(['a begins', 'b, another terminal', 'a ends', 'b runs'])
  })
})
