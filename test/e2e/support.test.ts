/**
 * Support in real Chromium: a driver's paid session is done; support (signed in with a session
 * cookie made directly in the database: the sign-in page is another suite's) types the receipt
 * number as the driver reads it out, sees the session, refunds part of it with a reason, and the
 * driver's receipt page then shows the refund. Screenshots land in test-results/screens/5x-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { connectCharger, http, startTestSystem, until, type TestSystem } from '../support/system'
import { cookieFor } from '../support/auth'
import { demoSupportEmail } from '../../bff/store/seed'
import { distRoot, launchChromium, phoneContext, screenshotDir, signInByEmail } from '../support/browser'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem
let cp: SimChargePoint
let browser: Browser

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true })
  sys = await startTestSystem({ staticRoot: distRoot })
  cp = await connectCharger(sys)
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await cp?.close()
  await sys?.close()
})

const shot = (page: Page, name: string) => page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: true })

/** A driver's finished, paid session, driven over HTTP and OCPP as the PWA and the charger would. */
async function paidSession() {
  const created = await http(sys.url, 'POST', '/api/sessions', {
    body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' },
    headers: { 'idempotency-key': randomUUID() },
  })
  const { session, payment, stopToken } = created.body
  const card = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2034, cvc: '123' }
  await http(sys.url, 'POST', '/api/payments/simulated/confirm', { body: { clientSecret: payment.clientSecret, card } })
  await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
  await cp.plugIn(1)
  const view = async () => (await http(sys.url, 'GET', `/api/sessions/${session.id}`, { token: stopToken })).body
  await until('cost above 10 kr', async () => (await view()).cost.total > 1000)
  await cp.unplug(1)
  const done = await until('completed', async () => {
    const v = await view()
    return v.state === 'completed' ? v : null
  })
  const url = new URL(done.receipt.url)
  return { number: done.receipt.number as string, captured: done.hold.captured as number, token: url.searchParams.get('t')! }
}

async function supportContext(width: number, height: number): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-GB' })
  context.setDefaultTimeout(10_000)
  const [name, value] = (await cookieFor(sys.store.db, 'demo-support')).split('=')
  await context.addCookies([{ name, value, url: sys.url }])
  return context
}

describe('support console in Chromium', () => {
  it('finds a session by a receipt number read out loud, refunds part of it, and the driver sees the refund', async () => {
    const paid = await paidSession()
    // Support signs in as anyone does: the email code, here from the development outbox.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' })
    context.setDefaultTimeout(10_000)
    const page = await context.newPage()
    await page.goto(`${sys.url}/sign-in?next=/support`)
    await signInByEmail(page, sys.store.db, demoSupportEmail)
    await page.waitForURL(/\/support$/)
    const box = page.getByLabel('Receipt number')
    await box.waitFor()
    await shot(page, '51-support-lookup')

    const digits = paid.number.replace(/\D/g, '')
    await box.fill(`${digits.slice(0, 6)} ${digits.slice(6, 10)} - ${Number(digits.slice(10))}`) // "559123 4567 - 1"
    await page.getByRole('button', { name: 'Find' }).click()
    await page.waitForURL(/\/support\/sessions\//)
    await page.getByRole('heading', { name: paid.number }).waitFor()
    await page.getByText('StartTransaction').first().waitFor()
    expect(await page.locator('[data-test=state]').textContent()).toBe('Completed')
    await shot(page, '52-support-case-file')

    await page.getByRole('button', { name: 'Refund' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel(/Amount to refund/).fill('5,00')
    await dialog.getByLabel('Reason (required)').fill('Driver called: charger was slow')
    await shot(page, '53-support-refund-confirm')
    await dialog.getByRole('button', { name: 'Confirm' }).click()
    await page.getByRole('status').filter({ hasText: 'Done.' }).waitFor()
    await until('refund shown', async () => (await page.locator('[data-test=refunded]').textContent())?.includes('5.00'))
    await page.locator('[data-kind=refund]').waitFor()
    await shot(page, '54-support-refunded')
    await context.close()

    const driver = await (await phoneContext(browser)).newPage()
    await driver.goto(`${sys.url}/r/${paid.number}?t=${paid.token}`)
    await driver.getByText(paid.number).first().waitFor()
    const refund = driver.locator('[data-test=refund]')
    await refund.waitFor()
    expect(await refund.textContent()).toContain('5.00')
    expect(await driver.textContent('main')).not.toContain('charger was slow')
    await shot(driver, '55-driver-receipt-refund')
    await driver.close()
  })

  it('works on a phone, and the reconciliation report shows the day', async () => {
    const context = await supportContext(390, 844)
    const page = await context.newPage()
    await page.goto(`${sys.url}/support/reconciliation`)
    await page.getByRole('button', { name: 'Show report' }).click()
    await page.getByRole('heading', { name: /Differences/ }).waitFor()
    await shot(page, '56-support-reconciliation-phone')
    await page.goto(`${sys.url}/support`)
    await page.getByLabel('Receipt number').waitFor()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await context.close()
  })

  it('a driver without the support role is turned away', async () => {
    const page = await (await phoneContext(browser)).newPage()
    await page.goto(`${sys.url}/support`)
    await page.getByLabel('Receipt number').fill('5591234567-1')
    await page.getByRole('button', { name: 'Find' }).click()
    await page.getByText('Sign in with a support account').waitFor()
    await page.close()
  })
})
