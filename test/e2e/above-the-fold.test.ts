/**
 * On a phone (390×844) the price comes first and the start is in reach without scrolling: in
 * Swedish and English, light and dark, for a guest paying by card and for a driver with a grant.
 * Screenshots of the first screen land in test-results/screens/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { connectCharger, http, startTestSystem, type TestSystem } from '../support/system'
import { distRoot, launchChromium, phoneContext, screenshotDir } from '../support/browser'
import { cookieFor, createDriver } from '../support/auth'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem
let browser: Browser
let cp: SimChargePoint

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true })
  sys = await startTestSystem({ staticRoot: distRoot })
  cp = await connectCharger(sys, 'DEMO-1', { autoPlugDelayMs: null })
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await cp?.close()
  await sys?.close()
})

const viewport = { width: 390, height: 844 }

/** The element's box lies wholly on the first screen. */
async function onFirstScreen(page: Page, selector: string) {
  const box = await page.locator(selector).first().boundingBox()
  expect(box, selector).not.toBeNull()
  expect(box!.y, `${selector} top`).toBeGreaterThanOrEqual(0)
  expect(box!.x, `${selector} left`).toBeGreaterThanOrEqual(0)
  expect(box!.y + box!.height, `${selector} bottom`).toBeLessThanOrEqual(viewport.height)
  expect(box!.x + box!.width, `${selector} right`).toBeLessThanOrEqual(viewport.width)
  return box!
}

describe('the charger page on a phone', () => {
  it.each([
    ['sv-SE', 'light', 'Pris', 'Börja ladda'],
    ['sv-SE', 'dark', 'Pris', 'Börja ladda'],
    ['en-GB', 'light', 'Price', 'Start charging'],
    ['en-GB', 'dark', 'Price', 'Start charging'],
  ] as const)('%s, %s: price first, start without scrolling', async (locale, colorScheme, priceTitle, start) => {
    const context = await phoneContext(browser, { locale, colorScheme })
    const page = await context.newPage()
    await page.goto(`${sys.url}/c/DEMO-1`)
    await page.getByRole('heading', { name: priceTitle, exact: true }).waitFor()
    await page.locator('a[data-test=start]').waitFor()
    const price = await onFirstScreen(page, 'section.prices h2')
    const button = await onFirstScreen(page, 'a[data-test=start]')
    expect(await page.locator('a[data-test=start]').textContent()).toContain(start)
    expect(price.y).toBeLessThan(button.y)
    expect(await page.evaluate(() => window.scrollY)).toBe(0)
    await page.screenshot({ path: `${screenshotDir}/fold-charger-${locale}-${colorScheme}.png` })
    await context.close()
  })

  it('with a grant: the driver’s own price first and both starts without scrolling', async () => {
    const userId = await createDriver(sys.store.db, 'fold@example.com')
    const owner = await cookieFor(sys.store.db, 'demo-owner')
    const granted = await http(sys.url, 'POST', '/api/sites/demo/grants', {
      headers: { cookie: owner },
      body: { email: 'fold@example.com', tariffOverride: { kind: 'tariff', components: [{ type: 'energy', price: 250, unit: 'kWh' }] }, capEnergyWh: 150_000 },
    })
    expect(granted.status).toBe(201)
    const context = await phoneContext(browser, { locale: 'sv-SE' })
    const [name, value] = (await cookieFor(sys.store.db, userId)).split('=')
    await context.addCookies([{ name, value, url: sys.url }])
    const page = await context.newPage()
    await page.goto(`${sys.url}/c/DEMO-1`)
    await page.getByRole('heading', { name: 'Ditt pris' }).waitFor()
    const price = await onFirstScreen(page, '[data-test=grant-prices] h2')
    const grantStart = await onFirstScreen(page, '[data-test=start-grant]')
    await onFirstScreen(page, 'a[data-test=start]')
    expect(price.y).toBeLessThan(grantStart.y)
    expect(await page.locator('[data-test=grant-prices]').textContent()).toMatch(/2,50\s?kr\/kWh/)
    expect(await page.locator('[data-test=allowance]').textContent()).toMatch(/Kvar denna månad: 150\s?kWh av 150\s?kWh/)
    await page.screenshot({ path: `${screenshotDir}/fold-charger-grant-sv-SE.png` })
    await context.close()
  })
})
