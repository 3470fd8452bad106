/**
 * The installed, offline-tolerant PWA in real Chromium against the whole BFF: install criteria,
 * what a driver sees without signal, a stop pressed offline delivered once when the signal is
 * back, and a new version offered and applied. Screenshots: test-results/screens/6x-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { and, eq } from 'drizzle-orm'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { connectCharger, startTestSystem, until, type TestSystem } from '../support/system'
import { distRoot, launchChromium, phoneContext, screenshotDir } from '../support/browser'
import { intents, sessionEvents } from '../../bff/store/schema'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem
let browser: Browser
let cp: SimChargePoint
/** A copy of dist/ the update test may change, as a deploy would. */
const root = mkdtempSync(join(tmpdir(), 'laddpunkt-pwa-'))

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true })
  cpSync(process.env.PWA_DIST ?? distRoot, root, { recursive: true })
  sys = await startTestSystem({ staticRoot: root })
  cp = await connectCharger(sys, 'DEMO-1', { autoPlugDelayMs: null })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await cp?.close()
  await sys?.close()
  rmSync(root, { recursive: true, force: true })
})

const shot = (page: Page, name: string) => page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: true })

/** Opens `path` and waits until the service worker controls the page (it registers after load). */
async function controlled(context: BrowserContext, path: string) {
  const page = await context.newPage()
  await page.goto(`${sys.url}${path}`)
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) await page.reload()
  await until('the service worker controls the page', () => page.evaluate(() => navigator.serviceWorker.controller !== null))
  return page
}

describe('installing', () => {
  it('meets the install criteria: manifest with icons and shortcuts, a service worker controlling the page', async () => {
    const context = await phoneContext(browser)
    const page = await controlled(context, '/')
    const href = await page.getAttribute('link[rel="manifest"]', 'href')
    expect(href).toBeTruthy()
    const manifest = await (await fetch(new URL(href!, sys.url))).json()
    expect(manifest).toMatchObject({ name: 'Laddpunkt', display: 'standalone', start_url: '/', theme_color: '#0b6e4f', handle_links: 'preferred' })
    expect(manifest.icons.map((i: { sizes: string }) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']))
    expect(manifest.icons.some((i: { purpose?: string }) => i.purpose === 'maskable')).toBe(true)
    for (const icon of manifest.icons) expect((await fetch(new URL(icon.src, sys.url))).status, icon.src).toBe(200)
    expect(manifest.shortcuts.map((s: { url: string }) => s.url)).toEqual(['/', '/history'])

    // Chromium offers installation: the app shows its own Install action, which calls the browser's prompt.
    await page.evaluate(() => {
      const offer = Object.assign(new Event('beforeinstallprompt', { cancelable: true }), {
        prompt: async () => void ((window as unknown as { prompted: boolean }).prompted = true),
        userChoice: Promise.resolve({ outcome: 'accepted' }),
      })
      window.dispatchEvent(offer)
    })
    const install = page.getByRole('button', { name: 'Install' })
    await install.waitFor()
    await shot(page, '6a-install')
    await install.click()
    await until('the browser prompt', () => page.evaluate(() => (window as unknown as { prompted?: boolean }).prompted === true))
    await expect(install.isVisible()).resolves.toBe(false)
    await context.close()
  })

  it('guides iPhone users to Add to Home Screen', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    })
    const page = await context.newPage()
    await page.goto(`${sys.url}/`)
    await page.getByText('Add to Home Screen').waitFor()
    await page.getByRole('button', { name: 'Not now' }).click()
    await page.reload()
    await page.getByRole('heading', { name: 'Scan the charger' }).waitFor()
    await expect(page.getByText('Add to Home Screen').count()).resolves.toBe(0)
    await context.close()
  })
})

describe('without signal', () => {
  it('shows the last known charger, session and history, queues a stop and delivers it once when back online', async () => {
    const context = await phoneContext(browser)
    const page = await controlled(context, '/c/DEMO-1')
    await page.getByText('Connector 1').click()
    await page.getByText('Start charging', { exact: true }).click()
    await page.getByLabel('Card number').fill('4242 4242 4242 4242')
    await page.getByLabel('Expiry (MM/YY)').fill('12/34')
    await page.getByLabel('CVC').fill('123')
    await page.getByRole('button', { name: /Place hold of/ }).click()
    await page.waitForURL(/\/s\//)
    const sessionId = decodeURIComponent(page.url().split('/s/')[1])
    await cp.plugIn(1)
    await page.getByRole('heading', { name: 'Charging' }).waitFor()
    await until('some energy', async () => (await sys.sessions.get(sessionId)).energyWh > 0)
    await page.waitForTimeout(300)

    // The garage: no network at all. The app still opens, from the service worker.
    await context.setOffline(true)
    await page.reload()
    await page.getByRole('heading', { name: 'Charging' }).waitFor()
    await page.getByText(/Connection lost\. Last updated/).waitFor()
    await page.getByText('No connection. Showing what we last knew.').waitFor()
    await shot(page, '6b-offline-session')

    await page.getByRole('button', { name: 'Stop charging' }).click()
    await page.getByText(/Your stop is saved and will be sent/).waitFor()
    await page.getByText('Unplugging the car also ends the session.').waitFor()
    await shot(page, '6c-offline-stop-queued')
    expect((await sys.sessions.get(sessionId)).state).toBe('charging')

    // History and the charger's last known price, without signal.
    const other = await context.newPage()
    await other.goto(`${sys.url}/history`)
    await other.getByText('DEMO-1, connector 1').waitFor()
    await shot(other, '6d-offline-history')
    await other.goto(`${sys.url}/c/DEMO-1`)
    await other.getByText(/Prices and status as of your last visit/).waitFor()
    await other.getByText('Starting needs a connection.').waitFor()
    await expect(other.getByText('4.95').first().isVisible()).resolves.toBe(true)
    await shot(other, '6e-offline-charger')
    await other.close()

    // Signal again: the queued stop goes out once and the live view picks up without a reload.
    await context.setOffline(false)
    await until('the stop at the BFF', async () => (await sys.sessions.get(sessionId)).state !== 'charging')
    await page.getByRole('heading', { name: /Stopping|Finishing up/ }).waitFor()
    // The live feed reconnects by itself (it may take a moment after the stop's own answer).
    await page.getByText(/Connection lost/).waitFor({ state: 'detached' })
    await shot(page, '6f-back-online')
    await page.waitForTimeout(500) // a second delivery (page and service worker both try) would land by now
    const stops = await sys.store.db.select().from(sessionEvents).where(and(eq(sessionEvents.sessionId, sessionId), eq(sessionEvents.kind, 'stop_requested')))
    expect(stops).toHaveLength(1)
    const remoteStops = await sys.store.db.select().from(intents).where(and(eq(intents.sessionId, sessionId), eq(intents.action, 'remote_stop')))
    expect(remoteStops).toHaveLength(1)
    expect(await page.evaluate(() => new Promise<number>((resolve) => {
      const open = indexedDB.open('laddpunkt-offline')
      open.onsuccess = () => {
        const count = open.result.transaction('stops').objectStore('stops').count()
        count.onsuccess = () => resolve(count.result)
      }
    }))).toBe(0)

    // Finish, open the receipt once online; it stays readable offline.
    await cp.unplug(1)
    await page.getByRole('heading', { name: 'Charging complete' }).waitFor()
    await page.getByRole('link', { name: 'Show receipt' }).click()
    await page.waitForURL(/\/r\//)
    const { receiptNumber } = await sys.sessions.get(sessionId)
    await page.getByText(receiptNumber!).first().waitFor()
    await context.setOffline(true)
    await page.reload()
    await page.getByText(/Saved copy, opened/).waitFor()
    await page.getByText(receiptNumber!).first().waitFor()
    await shot(page, '6g-offline-receipt')
    await context.close()
  })
})

describe('updates', () => {
  it('offers a new version with "Update available — reload" and applies it', async () => {
    const context = await phoneContext(browser)
    const page = await controlled(context, '/history')
    // A deploy: the worker script changes (here it also answers which version it is).
    const sw = join(root, 'sw.js')
    writeFileSync(sw, `${readFileSync(sw, 'utf8')}\nself.addEventListener('message', (e) => { if (e.data === 'version?') e.source.postMessage('v2') })\n`)
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()))
    const reload = page.getByRole('button', { name: 'Reload' })
    await reload.waitFor()
    await page.getByText(/Update available/).waitFor()
    await shot(page, '6h-update-available')
    await Promise.all([page.waitForEvent('load'), reload.click()])
    const version = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          navigator.serviceWorker.addEventListener('message', (e) => resolve(String(e.data)))
          navigator.serviceWorker.controller?.postMessage('version?')
        }),
    )
    expect(version).toBe('v2')
    // Only the current precache is left.
    const cacheNames = await page.evaluate(() => caches.keys())
    expect(cacheNames.filter((name) => name.includes('precache'))).toHaveLength(1)
    await context.close()
  })
})

describe('performance budget script', () => {
  function fakeDist(extra: Record<string, object> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'laddpunkt-budget-'))
    mkdirSync(join(dir, '.vite'))
    const manifest = {
      'index.html': { file: 'assets/index.js', src: 'index.html', isEntry: true, dynamicImports: ['web/locales/sv.ts', 'web/pages/OwnerSitePage.vue'] },
      'web/locales/sv.ts': { file: 'assets/sv.js', src: 'web/locales/sv.ts', isDynamicEntry: true },
      'web/pages/OwnerSitePage.vue': { file: 'assets/owner.js', src: 'web/pages/OwnerSitePage.vue', isDynamicEntry: true },
      ...extra,
    }
    writeFileSync(join(dir, '.vite/manifest.json'), JSON.stringify(manifest))
    return dir
  }
  const run = (args: string[], env: Record<string, string> = {}, dir?: string) => {
    try {
      return { code: 0, out: execFileSync('node', ['scripts/budget.mjs', ...args], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, ...env } }) }
    } catch (e) {
      const failed = e as { status: number; stdout: string; stderr: string }
      return { code: failed.status, out: failed.stdout + failed.stderr }
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true })
    }
  }

  it('measures what Chromium receives from our own server for a cold charger page, workbox-window included, and holds it to the budget', () => {
    const measured = run([], { BUDGET_LOCALES: 'sv-SE' })
    expect(measured.out).toMatch(/workbox-window[^\n]*\d+\.\d/)
    const total = Number(/sv-SE: JavaScript in total\s+(\d+\.\d)/.exec(measured.out)?.[1])
    expect(total).toBeGreaterThan(40)
    expect(total).toBeLessThan(80)
    expect(measured.code).toBe(0)
    const tight = run([], { BUDGET_LOCALES: 'sv-SE', BUDGET_JS_KB: '40' })
    expect(tight.code).toBe(1)
    expect(tight.out).toMatch(/JavaScript for \/c\/DEMO-1 \(sv-SE\) is \d+\.\d KB transferred \(budget 40 KB\)/)
  }, 120_000)

  it('fails when owner code joins the entry instead of its own lazy chunk', () => {
    const fine = fakeDist()
    expect(run(['--manifest-only', fine], {}, fine).code).toBe(0)
    const dir = fakeDist({
      'index.html': { file: 'assets/index.js', src: 'index.html', isEntry: true, imports: ['web/pages/OwnerSitePage.vue'] },
      'web/pages/OwnerSitePage.vue': { file: 'assets/owner.js', src: 'web/pages/OwnerSitePage.vue' },
    })
    const leaked = run(['--manifest-only', dir], {}, dir)
    expect(leaked.code).toBe(1)
    expect(leaked.out).toMatch(/OwnerSitePage\.vue is not a lazy chunk/)
    expect(leaked.out).toMatch(/OwnerSitePage\.vue is loaded with the charger page/)
  })
})
