/**
 * Accounts and access grants in real Chromium against the whole BFF: a passkey made with a CDP
 * virtual authenticator, and an owner's invite that lets a driver charge without a card.
 * The page origin is http://localhost (a secure context, which WebAuthn needs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { connectCharger, startTestSystem, until, type TestSystem } from '../support/system'
import { distRoot, launchChromium, phoneContext, screenshotDir, signInByEmail } from '../support/browser'
import { demoOwnerEmail } from '../../bff/store/seed'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem
let browser: Browser
let cp: SimChargePoint
let base: string

/** A free loopback port, so PUBLIC_URL can name it before the BFF starts. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true })
  const port = await freePort()
  base = `http://localhost:${port}`
  sys = await startTestSystem({ port, publicUrl: base, staticRoot: distRoot })
  cp = await connectCharger(sys, 'DEMO-1', { autoPlugDelayMs: null })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await cp?.close()
  await sys?.close()
})

const shot = (page: Page, name: string) => page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: true })

const me = (page: Page) => page.evaluate(async () => (await (await fetch('/api/auth/me')).json()) as { user: { email: string } | null })

describe('accounts in the browser', () => {
  it('signs up by email code, creates a passkey, signs out and signs back in with the passkey', async () => {
    const context = await phoneContext(browser)
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    })

    await page.goto(`${base}/sign-in?next=/account`)
    await page.getByText('Development outbox').waitFor()
    await shot(page, '4a-sign-in')
    await signInByEmail(page, sys.store.db, 'passkey.driver@example.com')
    await page.getByRole('heading', { name: 'Welcome to Laddpunkt' }).waitFor()
    await shot(page, '4b-offer-passkey')
    await page.getByRole('button', { name: 'Create a passkey' }).click()
    await page.waitForURL(`${base}/account`)
    await page.getByText('Signed in as passkey.driver@example.com').waitFor()
    await page.locator('[data-test=passkey]').first().waitFor()
    expect(await page.locator('[data-test=passkey]').count()).toBe(1)
    await shot(page, '4c-account')

    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(`${base}/`)
    expect((await me(page)).user).toBeNull()

    await page.goto(`${base}/sign-in?next=/history`)
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.waitForURL(`${base}/history`)
    expect((await me(page)).user?.email).toBe('passkey.driver@example.com')
    await page.getByRole('link', { name: 'Account' }).waitFor()
    await context.close()
  })

  it('owner invites, driver accepts, starts without a card, and finds the receipt in the history', async () => {
    const ownerContext = await phoneContext(browser)
    const owner = await ownerContext.newPage()
    await owner.goto(`${base}/sign-in?next=/owner`)
    await signInByEmail(owner, sys.store.db, demoOwnerEmail)
    await owner.waitForURL(`${base}/owner`)
    await owner.getByRole('link', { name: /Demo Garage/ }).click()
    await owner.getByRole('heading', { name: 'Invite link', exact: true }).waitFor()
    await owner.getByLabel('Note (optional)').last().fill('Neighbours')
    await owner.getByRole('button', { name: 'Create invite link' }).click()
    const link = await owner.locator('[data-test=invite-url]').textContent()
    expect(link).toMatch(new RegExp(`^${base}/i/[A-Z0-9]{10}$`))
    await owner.locator('[data-test=invite-qr]').waitFor()
    await shot(owner, '4d-owner-invite')

    const driverContext = await phoneContext(browser)
    const driver = await driverContext.newPage()
    await driver.goto(link!)
    await driver.getByRole('heading', { name: 'Invite to charge at Demo Garage' }).waitFor()
    await shot(driver, '4e-invite-preview')
    await driver.getByRole('button', { name: 'Sign in to accept' }).click()
    await signInByEmail(driver, sys.store.db, 'neighbour@example.com')
    // A new account is offered a passkey first; this driver goes on without one.
    await driver.getByRole('button', { name: 'Not now' }).click()
    await driver.getByRole('heading', { name: 'You have access' }).waitFor()
    await shot(driver, '4f-invite-accepted')

    await driver.locator('[data-test=invite-charger][href="/c/DEMO-1"]').click()
    const start = driver.getByRole('button', { name: 'Start with your access (free)' })
    await start.waitFor()
    await shot(driver, '4g-charger-with-grant')
    await start.click()
    await driver.waitForURL(/\/s\//)
    await driver.getByRole('heading', { name: 'Plug in your car' }).waitFor()
    const sessionId = driver.url().split('/s/')[1]
    await cp.plugIn(1)
    await driver.getByRole('heading', { name: 'Charging' }).waitFor()
    await until('some energy', async () => (await sys.sessions.get(sessionId)).energyWh > 0)
    await shot(driver, '4h-charging-with-grant')
    await driver.getByRole('button', { name: 'Stop charging' }).click()
    await until('the charger stopped', async () => ['settling', 'completed'].includes((await sys.sessions.get(sessionId)).state))
    await cp.unplug(1)
    await driver.getByRole('heading', { name: 'Charging complete' }).waitFor()

    await driver.goto(`${base}/history`)
    const item = driver.locator('[data-test=account-history-item]').first()
    await item.waitFor()
    const text = (await item.textContent())!.replace(/\s+/g, ' ')
    expect(text).toContain('With access')
    expect(text).toContain('SEK 0.00')
    await shot(driver, '4i-history')
    await item.getByRole('link', { name: 'Receipt' }).click()
    await driver.waitForURL(/\/r\//)
    await driver.getByText(/SEK\s0\.00/).first().waitFor()
    await shot(driver, '4j-grant-receipt')

    await owner.reload()
    await owner.locator('[data-test=grant]').first().waitFor()
    expect(await owner.locator('[data-test=grant]').first().textContent()).toContain('Active')
    await shot(owner, '4k-owner-grants')
    await ownerContext.close()
    await driverContext.close()
  }, 120_000) // two browsers, mail, a whole session: near the default 30 s on a busy 2-core machine
})
