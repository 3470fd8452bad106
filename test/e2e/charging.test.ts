/**
 * A driver on a phone, in real Chromium, against the whole BFF with simulated chargers over OCPP.
 * Screenshots of each step land in test-results/screens/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { connectCharger, startTestSystem, until, type TestSystem } from '../support/system'
import { distRoot, launchChromium, phoneContext, screenshotDir } from '../support/browser'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem
let browser: Browser
const chargePoints: SimChargePoint[] = []

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true })
  sys = await startTestSystem({ staticRoot: distRoot })
  for (const id of ['DEMO-1', 'DEMO-2', 'DEMO-3']) chargePoints.push(await connectCharger(sys, id, { autoPlugDelayMs: null }))
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  for (const cp of chargePoints) await cp.close()
  await sys?.close()
})

const shot = (page: Page, name: string) => page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: true })

async function payWith(page: Page, number: string) {
  await page.getByLabel('Card number').fill(number)
  await page.getByLabel('Expiry (MM/YY)').fill('12/34')
  await page.getByLabel('CVC').fill('123')
  await page.getByRole('button', { name: /Place hold of/ }).click()
}

describe('a driver on a phone', () => {
  it('opens a charger, sees the price first, and sees a connector change when a car is plugged in', async () => {
    const page = await (await phoneContext(browser)).newPage()
    await page.goto(`${sys.url}/c/DEMO-3`)
    const price = page.getByRole('heading', { name: 'Price' })
    await price.waitFor()
    await expect(page.getByText('4.95').first().isVisible()).resolves.toBe(true)
    const priceBox = await price.boundingBox()
    const startBox = await page.getByText('Start charging', { exact: true }).boundingBox()
    expect(priceBox!.y).toBeLessThan(startBox!.y) // the price comes before any start button
    await page.getByText('Available').first().waitFor()
    await shot(page, '01-charger')
    await chargePoints[2].plugIn(2)
    await page.getByText('Car plugged in').waitFor()
    await shot(page, '02-charger-car-plugged-in')
    await chargePoints[2].unplug(2)
    await page.close()
  })

  it('pays with a card, watches the cost rise, stops, and gets the right receipt', async () => {
    const page = await (await phoneContext(browser)).newPage()
    await page.goto(`${sys.url}/c/DEMO-1`)
    await page.getByText('Connector 1').click()
    await page.getByText('Start charging', { exact: true }).click()
    await page.getByLabel('Card number').waitFor()
    await shot(page, '03-pay')
    await payWith(page, '4242 4242 4242 4242')
    await page.waitForURL(/\/s\//)
    await page.getByRole('heading', { name: 'Plug in your car' }).waitFor()
    await shot(page, '04-plug-in')
    await chargePoints[0].plugIn(1)
    await page.getByRole('heading', { name: 'Charging' }).waitFor()
    const sessionId = page.url().split('/s/')[1]
    await until('cost above the minimum', async () => (await sys.sessions.get(sessionId)).costTotal > 400)
    await page.waitForTimeout(300)
    await shot(page, '05-charging')

    await page.reload() // a reload mid-session returns to the live page
    await page.getByRole('heading', { name: 'Charging' }).waitFor()

    await page.getByRole('button', { name: 'Stop charging' }).click()
    await page.getByRole('heading', { name: /Finishing up/ }).waitFor()
    await shot(page, '06-unplug')
    await chargePoints[0].unplug(1)
    await page.getByRole('heading', { name: 'Charging complete' }).waitFor()
    await shot(page, '07-complete')

    const session = await sys.sessions.get(sessionId)
    await page.getByRole('link', { name: 'Show receipt' }).click()
    await page.waitForURL(/\/r\//)
    await page.getByText(session.receiptNumber!).first().waitFor()
    const money = (minor: number) => (minor / 100).toFixed(2)
    const body = await page.textContent('main')
    expect(body).toContain(money(session.capturedAmount))
    expect(body).toContain(money(Math.floor((session.capturedAmount * 2500) / 12500 + 0.5)))
    expect(body).toContain('559123-4567')
    await shot(page, '08-receipt')
    await page.close()
  })

  it('a declined card gets a clear message and starts nothing', async () => {
    const page = await (await phoneContext(browser)).newPage()
    await page.goto(`${sys.url}/c/DEMO-2`)
    await page.getByText('Connector 1').click()
    await page.getByText('Start charging', { exact: true }).click()
    await payWith(page, '4000 0000 0000 0002')
    await page.getByText('Your card was declined.').waitFor()
    await shot(page, '09-declined')
    expect(page.url()).toContain('/pay')
    expect(chargePoints[1].transactionId(1)).toBeNull()
    expect(chargePoints[1].status(1)).toBe('Available')
    await page.close()
  })
})
