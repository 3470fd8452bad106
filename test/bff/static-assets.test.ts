/** The built PWA as the server sends it: precompressed assets as they are, no document headers on scripts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliCompressSync, gzipSync } from 'node:zlib'
import { startTestSystem, type TestSystem } from '../support/system'

let sys: TestSystem
let root: string
const script = `export const hello = ${JSON.stringify('x'.repeat(4000))}\n`

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'laddpunkt-static-'))
  mkdirSync(join(root, 'assets'))
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Laddpunkt</title><script type="module" src="/assets/app-1.js"></script>')
  writeFileSync(join(root, 'assets/app-1.js'), script)
  writeFileSync(join(root, 'assets/app-1.js.br'), brotliCompressSync(script))
  writeFileSync(join(root, 'assets/app-1.js.gz'), gzipSync(script, { level: 9 }))
  sys = await startTestSystem({ staticRoot: root })
})
afterAll(async () => {
  await sys?.close()
  rmSync(root, { recursive: true, force: true })
})

const get = (path: string, encoding: string) => fetch(sys.url + path, { headers: { 'accept-encoding': encoding } })

describe('static assets', () => {
  it('sends the brotli or gzip file built beside an asset, as asked, with nosniff but without document headers', async () => {
    const br = await get('/assets/app-1.js', 'gzip, deflate, br, zstd')
    expect(br.headers.get('content-encoding')).toBe('br')
    expect(br.headers.get('content-type')).toMatch(/javascript/)
    expect(await br.text()).toBe(script) // fetch decodes brotli: the script arrives whole
    expect((await get('/assets/app-1.js', 'gzip')).headers.get('content-encoding')).toBe('gzip')
    expect(br.headers.get('x-content-type-options')).toBe('nosniff')
    expect(br.headers.get('cross-origin-resource-policy')).toBe('same-origin')
    for (const header of ['content-security-policy', 'x-frame-options', 'permissions-policy', 'strict-transport-security']) {
      expect(br.headers.get(header), header).toBeNull()
    }
  })

  it('keeps the document headers on the page itself', async () => {
    const page = await get('/c/DEMO-1', 'gzip')
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(page.headers.get('content-encoding')).toBe('gzip')
  })
})
