/**
 * Lighthouse (mobile settings: simulated mid-range phone on slow 4G) on the charger page and a
 * live session page, against the built PWA served by the whole BFF with a simulated charger.
 * Debian's Chromium is driven over its remote-debugging port.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import lighthouse from 'lighthouse'
import { chromium } from 'playwright-core'
import { connectCharger, http, startTestSystem, until } from '../support/system'
import { distRoot } from '../support/browser'
import { storageKeys } from '../../web/storage-keys'

export interface PageScores {
  page: string
  performance: number
  accessibility: number
  bestPractices: number
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** Null without the built PWA: there is nothing to score (every page would be a 404). */
export async function benchLighthouse(): Promise<PageScores[] | null> {
  if (!existsSync(join(distRoot, 'index.html'))) return null
  const sys = await startTestSystem({ staticRoot: distRoot })
  const cp = await connectCharger(sys, 'DEMO-1', { autoPlugDelayMs: null })
  const profile = mkdtempSync(join(tmpdir(), 'laddpunkt-lighthouse-'))
  const port = await freePort()
  // A persistent context is the browser's default one: the tabs Lighthouse opens share its storage.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', `--remote-debugging-port=${port}`, '--disable-background-networking', '--no-first-run'],
  })
  try {
    // A session charging on DEMO-1, started "on this device": its stop token in the page's storage.
    const created = await http(sys.url, 'POST', '/api/sessions', { body: { chargerId: 'DEMO-1', connectorId: 1, method: 'card' } })
    const { session, stopToken, payment } = created.body
    await http(sys.url, 'POST', '/api/payments/simulated/confirm', {
      body: { clientSecret: payment.clientSecret, card: { number: '4242424242424242', expMonth: 12, expYear: 2034, cvc: '123' } },
    })
    await http(sys.url, 'POST', `/api/sessions/${session.id}/authorize`, { token: stopToken })
    await cp.plugIn(1)
    await until('charging', async () => (await sys.sessions.get(session.id)).state === 'charging')
    const page = await context.newPage()
    await page.goto(`${sys.url}/history`)
    const entry = { sessionId: session.id, stopToken, chargerId: 'DEMO-1', connectorId: 1, createdAt: session.createdAt }
    await page.evaluate(([key, value]) => localStorage.setItem(key, value), [storageKeys.deviceHistory, JSON.stringify([entry])] as const)
    await page.close()

    const scores: PageScores[] = []
    for (const [name, path] of [
      ['charger page /c/DEMO-1', '/c/DEMO-1'],
      ['live session page /s/:id', `/s/${encodeURIComponent(session.id)}`],
    ]) {
      const result = await lighthouse(`${sys.url}${path}`, {
        port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['performance', 'accessibility', 'best-practices'],
        disableStorageReset: true,
      })
      if (!result) throw new Error(`Lighthouse gave no result for ${path}`)
      const score = (id: string) => Math.round((result.lhr.categories[id]?.score ?? 0) * 100)
      scores.push({ page: name, performance: score('performance'), accessibility: score('accessibility'), bestPractices: score('best-practices') })
    }
    return scores
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
    await cp.close()
    await sys.close()
  }
}
