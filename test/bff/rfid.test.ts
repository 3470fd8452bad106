import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { connectCharger, http, startTestSystem, until, type TestSystem } from '../support/system'
import { cookieFor, createDriver } from '../support/auth'
import { rfidTags, sessions, transactions } from '../../bff/store/schema'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem
let cp: SimChargePoint
let owner: string
beforeAll(async () => {
  sys = await startTestSystem()
  owner = await cookieFor(sys.store.db, 'demo-owner')
  cp = await connectCharger(sys)
})
afterAll(async () => {
  await cp?.close()
  await sys?.close()
})

const call = (method: string, path: string, cookie?: string, body?: unknown) => http(sys.url, method, path, { body, headers: cookie ? { cookie } : {} })

async function driverWithTag(email: string, tag: string) {
  const id = await createDriver(sys.store.db, email)
  const cookie = await cookieFor(sys.store.db, id)
  const res = await call('POST', '/api/me/rfid-tags', cookie, { idTag: tag, label: 'Keyring' })
  expect(res.status).toBe(201)
  return { id, cookie }
}

describe('RFID tags on the account', () => {
  it('registers a tag upper-cased, once across all accounts, and removes it', async () => {
    const a = await driverWithTag('tag-a@example.com', 'ab12cd34')
    expect((await call('GET', '/api/me/rfid-tags', a.cookie)).body.tags).toEqual([{ idTag: 'AB12CD34', label: 'Keyring', createdAt: expect.any(String) }])
    const b = await cookieFor(sys.store.db, await createDriver(sys.store.db, 'tag-b@example.com'))
    const taken = await call('POST', '/api/me/rfid-tags', b, { idTag: 'AB12cd34' })
    expect(taken.status).toBe(409)
    expect(taken.body.error.code).toBe('tag_taken')
    expect((await call('DELETE', '/api/me/rfid-tags/AB12CD34', b)).status).toBe(404)
    expect((await call('DELETE', '/api/me/rfid-tags/ab12cd34', a.cookie)).status).toBe(204)
    expect(await sys.store.db.select().from(rfidTags).where(eq(rfidTags.idTag, 'AB12CD34'))).toHaveLength(0)
  })

  it('refuses malformed tags and our own session idTags', async () => {
    const cookie = await cookieFor(sys.store.db, await createDriver(sys.store.db, 'bad-tag@example.com'))
    for (const idTag of ['', 'x'.repeat(21), 'has space', 'åäö']) {
      expect((await call('POST', '/api/me/rfid-tags', cookie, { idTag })).status).toBe(400)
    }
    const session = await call('POST', '/api/me/rfid-tags', cookie, { idTag: 'LPABCDEFGHIJKLMNOPQR' })
    expect(session.body.error.code).toBe('invalid_tag')
  })
})

describe('starting at the charger with a tag', () => {
  it('is refused without a grant and leaves nothing behind', async () => {
    await driverWithTag('no-grant@example.com', 'NOGRANT1')
    expect(await cp.startLocally(2, 'nogrant1')).toBe('Invalid')
    expect(await cp.startLocally(2, 'UNKNOWN9')).toBe('Invalid')
    expect(cp.transactionId(2)).toBeNull()
  })

  it('starts a grant session in the driver’s history when a grant covers the charger', async () => {
    const d = await driverWithTag('rfid@example.com', 'CAFE0001')
    await call('POST', '/api/sites/demo/grants', owner, { email: 'rfid@example.com', tariffOverride: { kind: 'free' } })
    expect(await cp.startLocally(1, 'cafe0001')).toBe('Accepted')
    const txId = cp.transactionId(1)
    expect(txId).not.toBeNull()

    const running = await until('in history', async () => (await call('GET', '/api/me/sessions', d.cookie)).body.sessions[0])
    expect(running).toMatchObject({ state: 'charging', chargerId: 'DEMO-1', connectorId: 1, method: 'grant' })
    const [row] = await sys.store.db.select().from(sessions).where(eq(sessions.id, running.id))
    expect(row).toMatchObject({ userId: d.id, holdAmount: 0 })
    const [tx] = await sys.store.db.select().from(transactions).where(eq(transactions.id, txId!))
    expect(tx.sessionId).toBe(row.id)
    expect(row.grantId).not.toBeNull()

    // The driver's phone sees it through the account, live energy included.
    await until('metered', async () => (await call('GET', `/api/sessions/${running.id}`, d.cookie)).body.energyWh > 100)
    expect((await call('GET', `/api/sessions/${running.id}`)).status).toBe(404)

    await cp.unplug(1) // the driver takes the cable: the charger stops the transaction
    const done = await until('completed', async () => {
      const s = (await call('GET', `/api/sessions/${running.id}`, d.cookie)).body
      return s.state === 'completed' ? s : null
    })
    expect(done.stopReason).toBe('unplugged')
    const history = (await call('GET', '/api/me/sessions', d.cookie)).body
    expect(history.sessions[0]).toMatchObject({ id: running.id, state: 'completed', total: 0, receipt: { number: done.receipt.number } })
    const receipt = await call('GET', new URL(history.sessions[0].receipt.url).pathname, d.cookie)
    expect(receipt.body).toMatchObject({ payment: { method: 'grant' }, energyWh: done.energyWh })
  })

  it('answers Blocked once the grant is revoked', async () => {
    await driverWithTag('blocked@example.com', 'BLOCK001')
    const { body } = await call('POST', '/api/sites/demo/grants', owner, { email: 'blocked@example.com' })
    await call('DELETE', `/api/sites/demo/grants/${body.grant.id}`, owner)
    expect(await cp.startLocally(2, 'BLOCK001')).toBe('Blocked')
    expect(cp.transactionId(2)).toBeNull()
  })
})
