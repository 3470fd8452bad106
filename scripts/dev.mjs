// `npm run dev`: the BFF (restarting on change) on PORT (8080) and Vite's dev server on 5173 with
// hot reload, proxying /api to the BFF. Open http://localhost:5173.
import { spawn } from 'node:child_process'

const children = [
  // Development runs the embedded demo: no SMTP or Stripe needed.
  spawn('npx', ['tsx', 'watch', 'bff/index.ts'], { stdio: 'inherit', env: { ...process.env, LADDPUNKT_MODE: 'demo' } }),
  spawn('npx', ['vite'], { stdio: 'inherit', env: { ...process.env, BFF_URL: `http://localhost:${process.env.PORT ?? 8080}` } }),
]
const stop = () => children.forEach((child) => child.kill('SIGTERM'))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
children.forEach((child) => child.on('exit', (code) => { stop(); process.exitCode = code ?? 0 }))
