/**
 * The operator's command line: `npm run cli -- charger add <id> --site <siteId> --connectors 2`, and
 * `npm run cli -- zaptec setup --site <siteId> …` for a site whose chargers are behind Zaptec's cloud.
 * With the embedded database it goes through the running server when there is one (only one
 * process may hold the data directory); otherwise it opens the database itself.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readEnv } from './env'
import { openStore, StoreLockedError, type Db } from './store/db'
import { provisionCharger, type NewCharger } from './chargers/provision'
import { addTerminal } from './terminals/provision'
import { setUpZaptecInstallation, type ZaptecSetupInput } from './charging/zaptec/installations'
import { AppError } from './errors'

const usage = `Usage:
  npm run cli -- charger add <id> --site <siteId> [--connectors 2] [--max-kw 22] [--plug Type2] [--label "Bay 1"]
  npm run cli -- terminal add <terminalId> --charger <chargerId> --provider payter|ccv [--serves 1,2] [--language sv|en|nb|da|fi|de]
  npm run cli -- charger add <id> --site <siteId> --gateway zaptec --zaptec-charger <Zaptec charger id> [--max-kw 22] [--label "Bay 1"]
  npm run cli -- zaptec setup --site <siteId> [--webhooks] [--api --zaptec-user <email>] [--auth basic|oauth] [--installation <Zaptec installation id>]
    (the Zaptec account's password is read from ZAPTEC_PASSWORD, never from the command line)`

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
      gateway: { type: 'string', default: 'ocpp' },
      'zaptec-charger': { type: 'string' },
      webhooks: { type: 'boolean', default: false },
      api: { type: 'boolean', default: false },
      auth: { type: 'string', default: 'basic' },
      installation: { type: 'string' },
      'zaptec-user': { type: 'string' },
      charger: { type: 'string' },
      provider: { type: 'string' },
      serves: { type: 'string' },
      language: { type: 'string' },
    },
  })
  const [noun, verb, id] = positionals
  if (noun === 'zaptec' && verb === 'setup' && values.site) return zaptecSetup(values)
  if (noun === 'terminal' && verb === 'add' && id && values.charger && values.provider) {
    const input = { id, chargerId: values.charger, provider: values.provider, connectorIds: values.serves?.split(',').map(Number), language: values.language }
    const t = await operate('payment-terminals', input, (db) => addTerminal(db, input))
    return console.log(`Terminal ${t.id} (${t.provider}) is on ${t.chargerId}, serving connector${t.connectorIds.length > 1 ? 's' : ''} ${t.connectorIds.join(', ')}, showing ${t.language}.`)
  }
  if (noun !== 'charger' || verb !== 'add' || !id || !values.site) throw new Error(usage)
  if (values.gateway !== 'ocpp' && values.gateway !== 'zaptec') throw new Error(`--gateway is ocpp or zaptec.\n${usage}`)
  const input: NewCharger = {
    id,
    siteId: values.site,
    connectors: Number(values.connectors),
    maxPowerW: values['max-kw'] ? Math.round(Number(values['max-kw']) * 1000) : undefined,
    plug: values.plug,
    label: values.label,
    gateway: values.gateway,
    zaptecChargerId: values['zaptec-charger'],
  }
  const created = await operate('chargers', input, (db, publicUrl) => provisionCharger(db, input, publicUrl))
  console.log(`Charger ${created.id} added to site ${created.siteId}.`)
  if (created.gateway === 'zaptec') {
    console.log(`  Zaptec charger:  ${created.zaptecChargerId}`)
    console.log('Zaptec\'s cloud speaks for it: nothing to configure on the charger itself.')
    return
  }
  console.log(`  OCPP URL:  ${created.ocppUrl}`)
  console.log(`  Username:  ${created.id}`)
  console.log(`  Password:  ${created.password}`)
  console.log('The password is shown only now. Set it as the charger\'s HTTP Basic auth password (OCPP security profile 1).')
}

async function zaptecSetup(values: { site?: string; webhooks?: boolean; api?: boolean; auth?: string; installation?: string; 'zaptec-user'?: string }) {
  if (values.auth !== 'basic' && values.auth !== 'oauth') throw new Error(`--auth is basic or oauth.\n${usage}`)
  const input: ZaptecSetupInput = {
    siteId: values.site!,
    webhooks: values.webhooks ?? false,
    api: values.api ?? false,
    webhookAuth: values.auth,
    zaptecInstallationId: values.installation,
    apiUsername: values['zaptec-user'],
    apiPassword: values['zaptec-user'] ? process.env.ZAPTEC_PASSWORD : undefined,
  }
  if (input.apiUsername && !input.apiPassword) throw new Error('Set ZAPTEC_PASSWORD to the Zaptec account\'s password.')
  const { installation, portal } = await operate('zaptec-installations', input, (db, publicUrl) => setUpZaptecInstallation(db, input, publicUrl))
  console.log(`Zaptec set up for site ${installation.siteId}: ${[installation.webhooks && 'web hooks', installation.api && `API as ${installation.apiUsername}`].filter(Boolean).join(' and ')}.`)
  if (!portal) return
  console.log('In the Zaptec portal: the installation → Authentication → Web hook authentication, enter:')
  console.log(`  Authentication URL:      ${portal.authenticationUrl ?? '(leave empty: HTTP Basic)'}`)
  console.log(`  Authentication payload:  ${portal.authenticationPayload}`)
  console.log(`  Session start URL:       ${portal.sessionStartUrl}`)
  console.log(`  Session end URL:         ${portal.sessionEndUrl}`)
  console.log('The password is shown only now (it is in the payload). Running setup again makes new credentials.')
}

/** With the embedded database this goes through the running server when there is one. */
async function operate<T>(adminPath: string, input: object, work: (db: Db, publicUrl: string) => Promise<T>): Promise<T> {
  const env = readEnv(process.env, 'cli')
  if (env.DATABASE_URL) return withStore({ databaseUrl: env.DATABASE_URL }, env.PUBLIC_URL, work)
  try {
    return await withStore({ dataDir: env.DATA_DIR }, env.PUBLIC_URL, work)
  } catch (error) {
    if (!(error instanceof StoreLockedError)) throw error
    return throughServer<T>(env.DATA_DIR, adminPath, input)
  }
}

async function withStore<T>(options: { databaseUrl: string } | { dataDir: string }, publicUrl: string, work: (db: Db, publicUrl: string) => Promise<T>) {
  const store = await openStore(options)
  try {
    return await work(store.db, publicUrl)
  } finally {
    await store.close()
  }
}

/** The running server holds the embedded database: ask it, with the admin token it wrote at start. */
async function throughServer<T>(dataDir: string, adminPath: string, input: object): Promise<T> {
  const file = join(dataDir, 'admin.token')
  if (!existsSync(file)) throw new Error('The database is in use by another process, and no running server answers. Stop that process first.')
  const { token, port } = JSON.parse(readFileSync(file, 'utf8')) as { token: string; port: number }
  const response = await fetch(`http://127.0.0.1:${port}/api/admin/${adminPath}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` },
    body: JSON.stringify(input),
  }).catch(() => {
    throw new Error(`The database is in use, but the server on port ${port} does not answer. Stop the other process and try again.`)
  })
  const body = (await response.json()) as { error?: { message: string } } & T
  if (!response.ok) throw new Error(body.error?.message ?? `The server answered ${response.status}`)
  return body
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error instanceof AppError || error.message.startsWith('Usage') ? error.message : `laddpunkt: ${error.message}`)
  process.exit(1)
})
