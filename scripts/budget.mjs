#!/usr/bin/env node
/**
 * Performance budget, measured as the driver gets it: our own server (the embedded demo, serving
 * the built PWA in dist/ as in production) and a cold Chromium on a phone-sized screen opening a
 * scanned charger, /c/DEMO-1, in each of the app's six languages. What Chromium reports as transferred
 * (compressed body and headers of each response, as the server sent them) is added up:
 * - JavaScript the page loads, workbox-window and every lazy chunk it pulls in included: under 80 KB;
 * - everything the page loads (HTML, CSS, JavaScript, icons, API answers): under 150 KB;
 * - support, owner and account pages only in lazy chunks (from Vite's manifest), never loaded here.
 * The service worker's own precaching runs in the background, after the page, and is not counted.
 * Prints a table; exits 1 when a budget is exceeded.
 *
 *   node scripts/budget.mjs                       measure dist/ as served (all six languages)
 *   node scripts/budget.mjs --manifest-only DIR   only the lazy-chunk checks on DIR's Vite manifest
 *
 * BUDGET_JS_KB lowers or raises the JavaScript budget and BUDGET_LOCALES (comma-separated browser
 * locales) picks the languages, for the script's own test.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

const kb = 1024
const budgets = { chargerPageJs: Number(process.env.BUDGET_JS_KB ?? 80) * kb, firstLoad: 150 * kb }
const locales = (process.env.BUDGET_LOCALES ?? 'sv-SE,en-GB,nb-NO,da-DK,fi-FI,de-DE').split(',')
const manifestOnly = process.argv.includes('--manifest-only')
/** Source paths of pages that must stay out of the charger page's load. */
const lazyOnly = /(^|\/)web\/(support|owner|account|pages\/support)\/|(^|\/)web\/pages\/(Support|Owner|Account|SignIn|Invite)[^/]*\.vue$/

const dist = resolve(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 'dist')
const manifestPath = join(dist, '.vite', 'manifest.json')
if (!existsSync(manifestPath)) {
  console.error(`No ${manifestPath}: build first (vite build with build.manifest).`)
  process.exit(1)
}
if (!manifestOnly && dist !== resolve('dist')) {
  console.error('The server serves dist/: build into dist/ to measure it (or check another manifest with --manifest-only).')
  process.exit(1)
}
/** @type {Record<string, { file: string, src?: string, isEntry?: boolean, isDynamicEntry?: boolean, imports?: string[] }>} */
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))

const failures = []
const lazyPages = Object.entries(manifest).filter(([key, chunk]) => lazyOnly.test(chunk.src ?? key))
const lazyFiles = new Map(lazyPages.map(([key, chunk]) => [`/${chunk.file}`, key]))

/** The chunk and everything it imports statically: what the browser must load before it runs. */
function staticClosure(key, seen = new Set()) {
  if (seen.has(key)) return seen
  seen.add(key)
  for (const next of manifest[key]?.imports ?? []) staticClosure(next, seen)
  return seen
}
const entryKey = Object.keys(manifest).find((key) => manifest[key].isEntry)
if (!entryKey) throw new Error('No entry chunk in the manifest.')
const withEntry = staticClosure(entryKey)
for (const [key, chunk] of lazyPages) {
  if (!chunk.isDynamicEntry) failures.push(`${key} is not a lazy chunk of its own`)
  if (withEntry.has(key)) failures.push(`${key} is loaded with the charger page`)
}
if (manifestOnly) {
  console.log(`lazy account/owner/support pages: ${lazyPages.length}`)
  if (failures.length) {
    console.error(`\nPerformance budget exceeded:\n- ${failures.join('\n- ')}`)
    process.exit(1)
  }
  console.log('Every signed-in page is a lazy chunk of its own.')
  process.exit(0)
}

const freePort = () =>
  new Promise((done, fail) => {
    const probe = createServer().once('error', fail)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => done(port))
    })
  })

/** The embedded demo on its own port and data directory: the same server `npm start` runs. */
async function startServer() {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'laddpunkt-budget-'))
  const base = `http://127.0.0.1:${port}`
  const child = spawn(process.execPath, ['--import', 'tsx', 'bff/index.ts'], {
    env: { ...process.env, LADDPUNKT_MODE: 'demo', NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, PUBLIC_URL: base, LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const stop = () => {
    child.kill('SIGTERM')
    return new Promise((done) => child.once('exit', done)).finally(() => rmSync(dataDir, { recursive: true, force: true }))
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`)
    const charger = await fetch(`${base}/api/chargers/DEMO-1`).then((r) => (r.ok ? r.json() : null)).catch(() => null)
    if (charger?.online) return { base, stop }
    if (Date.now() > deadline) {
      await stop()
      throw new Error('the demo did not come up with DEMO-1 online within 60 s')
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** One cold visit: a fresh browser context, the charger page until the service worker is registered and the network is quiet. */
async function coldVisit(browser, base, locale) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale })
  const page = await context.newPage()
  const finished = []
  page.on('requestfinished', (request) => {
    finished.push(request.sizes().then((sizes) => ({ url: new URL(request.url()), type: request.resourceType(), bytes: sizes.responseBodySize + sizes.responseHeadersSize })))
  })
  await page.goto(`${base}/c/DEMO-1`, { waitUntil: 'load' })
  await page.locator('[data-test=start]').first().waitFor()
  // workbox-window registers the worker after the load event: its chunk is part of what the page loads.
  await page.waitForFunction(async () => !!(await navigator.serviceWorker.getRegistration()), null, { timeout: 15_000 })
  await page.waitForLoadState('networkidle')
  const requests = await Promise.all(finished)
  await context.close()
  return requests
}

const rows = []
let worst = { js: 0, all: 0 }
const server = await startServer()
let browser
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  for (const locale of locales) {
    const requests = await coldVisit(browser, server.base, locale)
    const js = requests.filter((r) => r.type === 'script')
    const jsBytes = js.reduce((sum, r) => sum + r.bytes, 0)
    const allBytes = requests.reduce((sum, r) => sum + r.bytes, 0)
    for (const r of js) {
      rows.push({ locale, what: r.url.pathname, bytes: r.bytes })
      if (lazyFiles.has(r.url.pathname)) failures.push(`${lazyFiles.get(r.url.pathname)} is loaded with the charger page (${locale})`)
    }
    rows.push({ locale, what: 'JavaScript in total', bytes: jsBytes, total: true })
    rows.push({ locale, what: `everything in total (${requests.length} requests)`, bytes: allBytes, total: true })
    worst = { js: Math.max(worst.js, jsBytes), all: Math.max(worst.all, allBytes) }
    if (jsBytes > budgets.chargerPageJs) failures.push(`JavaScript for /c/DEMO-1 (${locale}) is ${(jsBytes / kb).toFixed(1)} KB transferred (budget ${budgets.chargerPageJs / kb} KB)`)
    if (allBytes > budgets.firstLoad) failures.push(`First load of /c/DEMO-1 (${locale}) is ${(allBytes / kb).toFixed(1)} KB transferred (budget ${budgets.firstLoad / kb} KB)`)
  }
} finally {
  await browser?.close()
  await server.stop()
}

const pad = (s, n) => String(s).padEnd(n)
console.log(`${pad('cold /c/DEMO-1', 16)}${pad('transferred from our server (body + headers)', 60)}KB`)
for (const r of rows) console.log(`${pad(r.total ? '' : r.locale, 16)}${pad(r.total ? `${r.locale}: ${r.what}` : r.what, 60)}${(r.bytes / kb).toFixed(1)}`)
console.log(`${pad('', 16)}${pad('JavaScript, the heaviest language', 60)}${(worst.js / kb).toFixed(1)}  (< ${budgets.chargerPageJs / kb} KB)`)
console.log(`${pad('', 16)}${pad('first load, the heaviest language', 60)}${(worst.all / kb).toFixed(1)}  (< ${budgets.firstLoad / kb} KB)`)
console.log(`${pad('', 16)}${pad('lazy account/owner/support pages', 60)}${lazyPages.length}`)

if (failures.length) {
  console.error(`\nPerformance budget exceeded:\n- ${failures.join('\n- ')}`)
  process.exit(1)
}
console.log('\nWithin budget.')
