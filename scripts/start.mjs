// `npm start`: the embedded demo (LADDPUNKT_MODE=demo: simulated payments and chargers, sign-in codes in the
// development outbox). Builds the PWA when dist/ is missing or older than the web sources, then runs the
// BFF from source. Production is `npm run build` and `npm run start:prod` (see the README).
import { spawnSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name)
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)

const built = existsSync('dist/index.html') ? statSync('dist/index.html').mtimeMs : 0
const sources = Math.max(newest('web'), statSync('index.html').mtimeMs, statSync('vite.config.ts').mtimeMs)
if (built < sources) {
  console.log('Building the app…')
  const result = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
const server = spawn(process.execPath, ['--import', 'tsx', 'bff/index.ts'], { stdio: 'inherit', env: { ...process.env, LADDPUNKT_MODE: 'demo' } })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal))
server.on('exit', (code) => process.exit(code ?? 0))
