/**
 * The operator's command line: `npm run cli -- charger add <id> --site <siteId> --connectors 2`.
 * With the embedded database it goes through the running server when there is one (only one
 * process may hold the data directory); otherwise it opens the database itself.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readEnv } from './env'
import { openStore, StoreLockedError } from './store/db'
import { provisionCharger, type NewCharger } from './chargers/provision'
import { AppError } from './errors'

const usage = `Usage:
  npm run cli -- charger add <id> --site <siteId> [--connectors 2] [--max-kw 22] [--plug Type2] [--label "Bay 1"]`

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      site: { type: 'string' },
      connectors: { type: 'string', default: '2' },
      'max-kw': { type: 'string' },
      plug: { type: 'string' },
      label: { type: 'string' },
    },
  })
  const [noun, verb, id] = positionals
  if (noun !== 'charger' || verb !== 'add' || !id || !values.site) throw new Error(usage)
  const input: NewCharger = {
    id,
    siteId: values.site,
    connectors: Number(values.connectors),
    maxPowerW: values['max-kw'] ? Math.round(Number(values['max-kw']) * 1000) : undefined,
    plug: values.plug,
    label: values.label,
  }
  const created = await addCharger(input)
  console.log(`Charger ${created.id} added to site ${created.siteId}.`)
  console.log(`  OCPP URL:  ${created.ocppUrl}`)
  console.log(`  Username:  ${created.id}`)
  console.log(`  Password:  ${created.password}`)
  console.log('The password is shown only now. Set it as the charger\'s HTTP Basic auth password (OCPP security profile 1).')
}

async function addCharger(input: NewCharger) {
  const env = readEnv(process.env, 'cli')
  if (env.DATABASE_URL) return withStore({ databaseUrl: env.DATABASE_URL }, input, env.PUBLIC_URL)
  try {
    return await withStore({ dataDir: env.DATA_DIR }, input, env.PUBLIC_URL)
  } catch (error) {
    if (!(error instanceof StoreLockedError)) throw error
    return throughServer(env.DATA_DIR, input)
  }
}

async function withStore(options: { databaseUrl: string } | { dataDir: string }, input: NewCharger, publicUrl: string) {
  const store = await openStore(options)
  try {
    return await provisionCharger(store.db, input, publicUrl)
  } finally {
    await store.close()
  }
}

/** The running server holds the embedded database: ask it, with the admin token it wrote at start. */
async function throughServer(dataDir: string, input: NewCharger) {
  const file = join(dataDir, 'admin.token')
  if (!existsSync(file)) throw new Error('The database is in use by another process, and no running server answers. Stop that process first.')
  const { token, port } = JSON.parse(readFileSync(file, 'utf8')) as { token: string; port: number }
  const response = await fetch(`http://127.0.0.1:${port}/api/admin/chargers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` },
    body: JSON.stringify(input),
  }).catch(() => {
    throw new Error(`The database is in use, but the server on port ${port} does not answer. Stop the other process and try again.`)
  })
  const body = (await response.json()) as { error?: { message: string } } & Awaited<ReturnType<typeof provisionCharger>>
  if (!response.ok) throw new Error(body.error?.message ?? `The server answered ${response.status}`)
  return body
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error instanceof AppError || error.message.startsWith('Usage') ? error.message : `laddpunkt: ${error.message}`)
  process.exit(1)
})
