import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Db } from '../../bff/store/db'
import { latestCode } from './auth'
import { until } from './system'

export const distRoot = fileURLToPath(new URL('../../dist', import.meta.url))
export const screenshotDir = fileURLToPath(new URL('../../test-results/screens', import.meta.url))

/** Debian's Chromium, headless, with nothing reaching out to the internet. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(`${distRoot}/index.html`)) throw new Error('The PWA is not built: run `npm run build` (npm test does it).')
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}

/** A mid-range phone: 390×844, touch, English and light unless asked otherwise. */
export async function phoneContext(browser: Browser, options: { locale?: string; colorScheme?: 'light' | 'dark' } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: options.locale ?? 'en-GB',
    colorScheme: options.colorScheme ?? 'light',
  })
  context.setDefaultTimeout(10_000) // fail with the step's name, well before the test's own timeout
  return context
}

/** The email-code sign-in as a person does it on /sign-in; the code comes from the development outbox. */
export async function signInByEmail(page: Page, db: Db, email: string) {
  await page.getByLabel('Email address').fill(email)
  await page.getByRole('button', { name: 'Send code' }).click()
  const code = page.getByLabel('6-digit code')
  await code.waitFor()
  await code.fill(await until('the sign-in mail', () => latestCode(db, email).catch(() => null)))
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}
