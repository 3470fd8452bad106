#!/usr/bin/env node
/**
 * Performance budget of the built PWA (dist/), gzip sizes from Vite's manifest:
 * - JavaScript needed for the charger page /c/:ref (the entry, its static imports and the UI
 *   language it loads, the larger of Swedish and English): under 80 KB;
 * - first load (HTML, CSS and that JavaScript): under 150 KB;
 * - support, owner and account pages only in lazy chunks, never in what the charger page loads.
 * Prints a table; exits 1 when a budget is exceeded. `node scripts/budget.mjs [distDir]`
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'

const kb = 1024
const budgets = { chargerPageJs: 80 * kb, firstLoad: 150 * kb }
/** Source paths of pages that must stay out of the charger page's load. */
const lazyOnly = /(^|\/)web\/(support|owner|account|pages\/support)\/|(^|\/)web\/pages\/(Support|Owner|Account|SignIn|Invite)[^/]*\.vue$/

const dist = resolve(process.argv[2] ?? 'dist')
const manifestPath = join(dist, '.vite', 'manifest.json')
if (!existsSync(manifestPath)) {
  console.error(`No ${manifestPath}: build first (vite build with build.manifest).`)
  process.exit(1)
}
/** @type {Record<string, { file: string, src?: string, isEntry?: boolean, isDynamicEntry?: boolean, imports?: string[], css?: string[] }>} */
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
const gzip = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length

/** The chunk and everything it imports statically: what the browser must load before it runs. */
function staticClosure(key, seen = new Set()) {
  if (seen.has(key)) return seen
  seen.add(key)
  for (const next of manifest[key]?.imports ?? []) staticClosure(next, seen)
  return seen
}

const entryKey = Object.keys(manifest).find((key) => manifest[key].isEntry)
if (!entryKey) throw new Error('No entry chunk in the manifest.')
const loaded = [...staticClosure(entryKey)]
const chargerKey = Object.keys(manifest).find((key) => key.endsWith('pages/ChargerPage.vue'))
if (chargerKey && manifest[chargerKey].isDynamicEntry) loaded.push(...staticClosure(chargerKey, new Set(loaded)))
const uniqueLoaded = [...new Set(loaded)]

const localeKey = (code) => Object.keys(manifest).find((key) => key.endsWith(`locales/${code}.ts`))
const locales = ['sv', 'en'].map(localeKey).filter(Boolean)
const heaviestLocale = locales.sort((a, b) => gzip(manifest[b].file) - gzip(manifest[a].file))[0]

const rows = []
const add = (what, file) => rows.push({ what, file, bytes: gzip(file) })
for (const key of uniqueLoaded) add(key === entryKey ? 'entry' : 'static import', manifest[key].file)
if (heaviestLocale) add('UI language', manifest[heaviestLocale].file)
const chargerJs = rows.reduce((sum, r) => sum + r.bytes, 0)
const css = [...new Set(uniqueLoaded.flatMap((key) => manifest[key].css ?? []))]
for (const file of css) add('css', file)
add('html', 'index.html')
const firstLoad = rows.reduce((sum, r) => sum + r.bytes, 0)

const failures = []
if (chargerJs > budgets.chargerPageJs) failures.push(`JavaScript for /c/:ref is ${(chargerJs / kb).toFixed(1)} KB gzip (budget ${budgets.chargerPageJs / kb} KB)`)
if (firstLoad > budgets.firstLoad) failures.push(`First load is ${(firstLoad / kb).toFixed(1)} KB gzip (budget ${budgets.firstLoad / kb} KB)`)

const pages = Object.entries(manifest).filter(([key, chunk]) => lazyOnly.test(chunk.src ?? key))
for (const [key, chunk] of pages) {
  if (!chunk.isDynamicEntry) failures.push(`${key} is not a lazy chunk of its own`)
  if (uniqueLoaded.includes(key)) failures.push(`${key} is loaded with the charger page`)
}

const pad = (s, n) => String(s).padEnd(n)
console.log(`${pad('loaded for /c/:ref', 20)}${pad('file', 52)}gzip`)
for (const r of rows) console.log(`${pad(r.what, 20)}${pad(r.file, 52)}${(r.bytes / kb).toFixed(1)} KB`)
console.log(`${pad('', 20)}${pad('JavaScript for /c/:ref', 52)}${(chargerJs / kb).toFixed(1)} KB  (< ${budgets.chargerPageJs / kb} KB)`)
console.log(`${pad('', 20)}${pad('first load in total', 52)}${(firstLoad / kb).toFixed(1)} KB  (< ${budgets.firstLoad / kb} KB)`)
console.log(`${pad('', 20)}${pad('lazy account/owner/support pages', 52)}${pages.length}`)

if (failures.length) {
  console.error(`\nPerformance budget exceeded:\n- ${failures.join('\n- ')}`)
  process.exit(1)
}
console.log('\nWithin budget.')
