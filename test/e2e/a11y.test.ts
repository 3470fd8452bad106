/**
 * Accessibility in real Chromium: axe-core (WCAG 2.1 A and AA) on every page in the states a
 * driver, an owner and support meet, light and dark; touch targets; keyboard use; a live cost that
 * is announced politely and not on every tick. Screenshots: test-results/screens/6x-a11y-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { connectCharger, startTestSystem, until, type TestSystem } from '../support/system'
import { distRoot, launchChromium, phoneContext, screenshotDir } from '../support/browser'
import { signInAs } from '../support/auth'
import type { SimChargePoint } from '../../bff/sim/charge-point'

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

let sys: TestSystem
let browser: Browser
const chargePoints: SimChargePoint[] = []

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true })
  sys = await startTestSystem({ staticRoot: process.env.PWA_DIST ?? distRoot })
  for (const id of ['DEMO-1', 'DEMO-2']) chargePoints.push(await connectCharger(sys, id, { autoPlugDelayMs: null }))
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  for (const cp of chargePoints) await cp.close()
  await sys?.close()
})

interface Violation {
  id: string
  help: string
  nodes: { target: string[] }[]
}

/** Runs axe on the page as it is now; returns the violations in a readable form. */
async function axe(page: Page, name: string): Promise<string[]> {
  // Evaluated through DevTools, so the app's Content-Security-Policy (no inline scripts) stays as it is.
  await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(o: object): Promise<{ violations: Violation[] }> } }).axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    })
    return result.violations
  })
  await page.screenshot({ path: `${screenshotDir}/6x-a11y-${name}.png`, fullPage: true })
  return violations.map((v) => `${name}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

async function payFor(page: Page, charger: string) {
  await page.goto(`${sys.url}/c/${charger}`)
  await page.getByText('Connector 1').click()
  await page.getByText('Start charging', { exact: true }).click()
  await page.getByLabel('Card number').fill('4242 4242 4242 4242')
  await page.getByLabel('Expiry (MM/YY)').fill('12/34')
  await page.getByLabel('CVC').fill('123')
  await page.getByRole('button', { name: /Place hold of/ }).click()
  await page.waitForURL(/\/s\//)
  return decodeURIComponent(page.url().split('/s/')[1])
}

/** Every page of a driver's paid session, in order, audited on the way. */
async function driverJourney(context: BrowserContext, suffix: string, cp: SimChargePoint, charger: string) {
  const page = await context.newPage()
  const found: string[] = []
  await page.goto(`${sys.url}/`)
  await page.getByRole('heading', { name: 'Scan the charger' }).waitFor()
  found.push(...(await axe(page, `scan${suffix}`)))
  await page.goto(`${sys.url}/c/${charger}`)
  await page.getByRole('heading', { name: 'Price' }).waitFor()
  found.push(...(await axe(page, `charger${suffix}`)))
  await page.getByText('Connector 1').click()
  await page.getByText('Start charging', { exact: true }).click()
  await page.getByLabel('Card number').waitFor()
  found.push(...(await axe(page, `pay${suffix}`)))
  await page.goto(`${sys.url}/c/${charger}`)
  const sessionId = await payFor(page, charger)
  await page.getByRole('heading', { name: 'Plug in your car' }).waitFor()
  found.push(...(await axe(page, `session-starting${suffix}`)))
  await cp.plugIn(1)
  await page.getByRole('heading', { name: 'Charging' }).waitFor()
  await until('some energy', async () => (await sys.sessions.get(sessionId)).energyWh > 0)
  found.push(...(await axe(page, `session-charging${suffix}`)))
  await page.getByRole('button', { name: 'Stop charging' }).click()
  await page.getByRole('heading', { name: /Finishing up/ }).waitFor()
  found.push(...(await axe(page, `session-settling${suffix}`)))
  await cp.unplug(1)
  await page.getByRole('heading', { name: 'Charging complete' }).waitFor()
  found.push(...(await axe(page, `session-complete${suffix}`)))
  await page.getByRole('link', { name: 'Show receipt' }).click()
  await page.getByRole('link', { name: 'Download PDF' }).waitFor()
  found.push(...(await axe(page, `receipt${suffix}`)))
  await page.goto(`${sys.url}/history`)
  await page.getByRole('heading', { name: 'History' }).waitFor()
  found.push(...(await axe(page, `history${suffix}`)))
  await page.goto(`${sys.url}/sites/demo/qr`)
  await page.locator('[data-test="qr-card"]').first().waitFor()
  found.push(...(await axe(page, `qr-sheet${suffix}`)))
  await page.goto(`${sys.url}/no/such/page`)
  await page.getByRole('heading', { name: 'Page not found' }).waitFor()
  found.push(...(await axe(page, `not-found${suffix}`)))
  await page.close()
  return found
}

/** Eleven audited pages and a whole paid session each: more than the default 30 s on a busy 2-core machine. */
const journeyTimeout = 120_000

describe('axe on every page', () => {
  it('finds nothing on the driver pages, light', async () => {
    const context = await phoneContext(browser)
    expect(await driverJourney(context, '', chargePoints[0], 'DEMO-1')).toEqual([])
    await context.close()
 }, journeyTimeout)

  it('finds nothing on the driver pages in the system dark mode', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, colorScheme: 'dark' })
    context.setDefaultTimeout(10_000)
    expect(await driverJourney(context, '-dark', chargePoints[1], 'DEMO-2')).toEqual([])
    await context.close()
 }, journeyTimeout)

  it('finds nothing on the sign-in, account, owner and support pages', async () => {
    const context = await phoneContext(browser)
    const page = await context.newPage()
    const found: string[] = []
    await page.goto(`${sys.url}/sign-in`)
    await page.locator('h1').first().waitFor()
    found.push(...(await axe(page, 'sign-in')))

    const owner = (await signInAs(sys.url, sys.store.db, 'owner@demo.laddpunkt.test')).split('=')
    await context.addCookies([{ name: owner[0], value: owner.slice(1).join('='), url: sys.url }])
    for (const [path, name] of [['/account', 'account'], ['/owner', 'owner'], ['/owner/sites/demo', 'owner-site']]) {
      await page.goto(`${sys.url}${path}`)
      await page.waitForLoadState('networkidle')
      await page.locator('#main > *').first().waitFor()
      found.push(...(await axe(page, name)))
    }

    const support = (await signInAs(sys.url, sys.store.db, 'support@demo.laddpunkt.test')).split('=')
    await context.addCookies([{ name: support[0], value: support.slice(1).join('='), url: sys.url }])
    for (const [path, name] of [['/support', 'support'], ['/support/reconciliation', 'support-reconciliation']]) {
      await page.goto(`${sys.url}${path}`)
      await page.waitForLoadState('networkidle')
      await page.locator('#main > *').first().waitFor()
      found.push(...(await axe(page, name)))
    }
    expect(found).toEqual([])
    await context.close()
  }, journeyTimeout)
})

describe('using it', () => {
  /** Interactive elements smaller than 44×44 CSS px; links inside running text are exempt (WCAG 2.5.5). */
  const smallTargets = (page: Page) =>
    page.evaluate(() => {
      const targets = Array.from(document.querySelectorAll<HTMLElement>('a, button, select, input, textarea, [role="button"]'))
        .map((el) => (el instanceof HTMLInputElement && (el.type === 'radio' || el.type === 'checkbox') ? (el.closest('label') ?? el) : el))
        .filter((el) => el.offsetParent !== null && getComputedStyle(el).display !== 'inline' && !el.classList.contains('skip-link'))
      return targets
        .map((el) => ({ el, box: el.getBoundingClientRect() }))
        .filter(({ box }) => box.height < 44 || box.width < 44)
        .map(({ el, box }) => `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`)
    })

  it('has touch targets of at least 44 px on the main pages', async () => {
    const context = await phoneContext(browser)
    const page = await context.newPage()
    const small: string[] = []
    for (const path of ['/', '/c/DEMO-1', '/c/DEMO-1/pay?connector=1', '/history', '/no/such/page']) {
      await page.goto(`${sys.url}${path}`)
      await page.locator('h1').first().waitFor()
      small.push(...(await smallTargets(page)).map((s) => `${path}: ${s}`))
    }
    expect(small).toEqual([])
    await context.close()
  })

  it('works by keyboard: skip link, connector choice and start', async () => {
    const context = await phoneContext(browser)
    const page = await context.newPage()
    await page.goto(`${sys.url}/c/DEMO-1`)
    await page.getByRole('heading', { name: 'Price' }).waitFor()
    await page.keyboard.press('Tab')
    await expect(page.evaluate(() => document.activeElement?.textContent?.trim())).resolves.toBe('Skip to content')
    await page.keyboard.press('Enter')
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('main')
    await page.locator('input[name="connector"][value="2"]').focus()
    await page.keyboard.press('Space')
    await expect(page.locator('input[name="connector"][value="2"]').isChecked()).resolves.toBe(true)
    for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.textContent?.trim())) !== 'Start charging'; i++) {
      await page.keyboard.press('Tab')
    }
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/pay\?connector=2/)
    await context.close()
  })

  it('announces the running cost politely, not on every meter tick', async () => {
    const context = await phoneContext(browser)
    const page = await context.newPage()
    const sessionId = await payFor(page, 'DEMO-1')
    await chargePoints[0].plugIn(1)
    await page.getByRole('heading', { name: 'Charging' }).waitFor()
    const live = page.locator('[aria-live="polite"]')
    await until('an announcement', async () => (await live.textContent())?.includes('Charging'))
    const first = await live.textContent()
    const energy = (await sys.sessions.get(sessionId)).energyWh
    await until('more energy on screen', async () => (await sys.sessions.get(sessionId)).energyWh > energy + 50)
    await page.waitForTimeout(300)
    expect(await live.textContent()).toBe(first)
    await expect(page.locator('[aria-live="assertive"]').count()).resolves.toBe(0)
    await page.getByRole('button', { name: 'Stop charging' }).click()
    await chargePoints[0].unplug(1)
    await page.getByRole('heading', { name: 'Charging complete' }).waitFor()
    await context.close()
  })
})
