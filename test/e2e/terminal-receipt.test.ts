/**
 * A driver at a card terminal on the charger, then on a phone: tap to start, charge, tap the same
 * card to stop, the capture at the terminal provider, the receipt QR code on the terminal's screen,
 * and that QR code opened in real Chromium shows the receipt in the PWA with what was captured.
 * Both terminal providers (the local fakes of Payter's and CCV's clouds), the whole BFF, a
 * simulated charger over OCPP. Screenshots land in test-results/screens/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { eq } from 'drizzle-orm'
import type { Browser } from 'playwright-core'
import { connectCharger, http, startTestSystem, until, type TestSystem } from '../support/system'
import { distRoot, launchChromium, phoneContext, screenshotDir } from '../support/browser'
import { payterTestCards, startFakePayter, type FakePayter } from '../../bff/sim/payter-cloud'
import { ccvTestCards, startFakeCcv, type FakeCcv } from '../../bff/sim/ccv-cloud'
import { paymentTerminals, sessions, terminalPayments } from '../../bff/store/schema'
import type { SimChargePoint } from '../../bff/sim/charge-point'
import type { Store } from '../../bff/store/db'

let sys: TestSystem
let store: Store
let browser: Browser
let cp: SimChargePoint
let payter: FakePayter
let ccv: FakeCcv

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true })
  payter = await startFakePayter()
  ccv = await startFakeCcv()
  const { openDemoStore } = await import('../support/store')
  store = await openDemoStore()
  await store.db.insert(paymentTerminals).values([
    { id: 'P68-E2E', provider: 'payter', chargerId: 'DEMO-1', connectorIds: [1] },
    { id: 'IM30-E2E', provider: 'ccv', chargerId: 'DEMO-1', connectorIds: [2] },
  ])
  sys = await startTestSystem({
    store,
    staticRoot: distRoot,
    terminals: { payter: { apiUrl: payter.url, apiKey: payter.apiKey }, ccv: { apiUrl: ccv.url, apiKey: ccv.apiKey } },
  })
  cp = await connectCharger(sys, 'DEMO-1', { autoPlugDelayMs: null })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await cp?.close()
  await sys?.close()
  await store?.close()
  await payter?.close()
  await ccv?.close()
})

const sessionOf = async (paymentId: string) => (await store.db.select().from(sessions).where(eq(sessions.paymentId, paymentId)))[0]
const startedAt = (terminalId: string) =>
  until(`a session started at ${terminalId}`, async () => (await store.db.select().from(terminalPayments)).find((p) => p.terminalId === terminalId && p.status === 'started') ?? null)

/** Charges on `connectorId` until some energy, stops by `stop`, unplugs; the completed session. */
async function chargeAndStop(connectorId: number, paymentId: string, stop: () => Promise<unknown>) {
  await cp.plugIn(connectorId)
  await until('energy', async () => (await sessionOf(paymentId)).costTotal > 400)
  await stop()
  await until('settling', async () => (await sessionOf(paymentId)).state === 'settling')
  expect((await sessionOf(paymentId)).stopReason).toBe('card')
  await cp.unplug(connectorId)
  return until('completed', async () => {
    const s = await sessionOf(paymentId)
    return s.state === 'completed' ? s : null
  })
}

/** The QR code on the terminal, opened on a phone: the receipt page shows the number and the captured amount. */
async function openQr(qr: string, receiptNumber: string, captured: number, name: string) {
  const page = await (await phoneContext(browser)).newPage()
  await page.goto(qr)
  await page.waitForURL(/\/r\//)
  await page.getByText(receiptNumber).first().waitFor()
  const body = await page.textContent('main')
  expect(body).toContain((captured / 100).toFixed(2))
  await page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: true })
  await page.close()
}

describe('a driver at a card terminal, then on a phone', () => {
  it('Payter: tap, charge, tap the same card, one commit, the receipt QR opens the receipt in the PWA', async () => {
    expect(await payter.tap('P68-E2E', payterTestCards[0])).toBe(true)
    const payment = await startedAt('P68-E2E')
    const done = await chargeAndStop(1, payment.id, () => payter.tap('P68-E2E', payterTestCards[0]))
    expect(payter.commits).toEqual([{ sessionId: payment.id, amount: done.capturedAmount }])
    const screen = await until('receipt QR', () => (payter.screen('P68-E2E').qrCode ? payter.screen('P68-E2E') : null))
    expect(new URL(screen.qrCode!).origin).toBe(new URL(sys.url).origin)
    await openQr(screen.qrCode!, done.receiptNumber!, done.capturedAmount, '20-terminal-payter-receipt')
  })

  it('CCV: start and stop pressed on the IM30 with the same card, one capture, the receipt QR opens the receipt in the PWA', async () => {
    const press = (button: 'start' | 'stop') =>
      http(sys.url, 'POST', `/webhooks/ccv/IM30-E2E/press?token=${sys.terminals.ccv!.cloud.webhookToken('IM30-E2E')}`, { body: { button, connectorId: 2 } })
    expect((await press('start')).status).toBe(200)
    expect(await ccv.tap('IM30-E2E', ccvTestCards[1])).toBe(true)
    const payment = await startedAt('IM30-E2E')
    const done = await chargeAndStop(2, payment.id, async () => {
      expect((await press('stop')).status).toBe(200)
      expect(await ccv.tap('IM30-E2E', ccvTestCards[1])).toBe(true)
    })
    expect(ccv.captures).toEqual([{ reference: payment.id, amount: done.capturedAmount }])
    const screen = await until('receipt QR', () => (ccv.screen('IM30-E2E').qrCode ? ccv.screen('IM30-E2E') : null))
    await openQr(screen.qrCode!, done.receiptNumber!, done.capturedAmount, '21-terminal-ccv-receipt')
  })
})
