/**
 * One process per embedded data directory, also when several start at the same moment after the
 * holder crashed: real child processes, released together at a shared instant.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

vi.setConfig({ testTimeout: 120_000 })
const root = join(import.meta.dirname, '..', '..')
const dirs: string[] = []
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

/**
 * A child that waits for `at` (epoch ms), takes the lock, says "locked" or "refused", and holds what
 * it got for `holdMs` — or is killed while holding it.
 */
const contender = `
import { lockDataDir, StoreLockedError } from './bff/store/db.ts'
const [dir, at, holdMs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])]
while (Date.now() < at) {}
try {
  const release = await lockDataDir(dir)
  console.log('locked')
  await new Promise((r) => setTimeout(r, holdMs))
  await release()
} catch (error) {
  console.log(error instanceof StoreLockedError ? 'refused' : 'error ' + error.message)
}
`

function run(dir: string, at: number, holdMs: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', contender, dir, String(at), String(holdMs)], { cwd: root })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise<string>((resolve) => child.once('exit', () => resolve(out.trim())))
  return { child, exited, out: () => out }
}

describe('the data directory lock', () => {
  it('lets exactly one of several processes in, started together after the holder was killed', async () => {
    for (let round = 0; round < 2; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'laddpunkt-lock-'))
      dirs.push(dir)
      // The first holder takes the lock and is killed: its lock stays behind, as after a crash.
      const holder = run(dir, 0, 60_000)
      for (let i = 0; !holder.out().includes('locked'); i++) {
        if (i > 600) throw new Error(`the first holder did not lock: ${holder.out()}`)
        await new Promise((r) => setTimeout(r, 50))
      }
      holder.child.kill('SIGKILL')
      await holder.exited

      // All children are loaded by then and race; the winner holds on long enough that a slow starter still meets it.
      const at = Date.now() + 6000
      const contenders = Array.from({ length: 6 }, () => run(dir, at, 15_000))
      const results = await Promise.all(contenders.map((c) => c.exited))
      expect(results.filter((r) => r === 'locked'), results.join(' | ')).toHaveLength(1)
      expect(results.filter((r) => r === 'refused')).toHaveLength(5)
    }
  })

  it('is free again once the holder releases it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laddpunkt-lock-'))
    dirs.push(dir)
    expect(await run(dir, 0, 0).exited).toBe('locked')
    expect(await run(dir, 0, 0).exited).toBe('locked')
  })
})
