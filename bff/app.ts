import type { ZaptecGateway } from './charging/zaptec/adapter'
import { zaptecWebhookRoutes } from './charging/zaptec/routes'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Hono, type Context, type Next } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { compress } from 'hono/compress'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import { secureHeaders } from 'hono/secure-headers'
import { serveStatic } from '@hono/node-server/serve-static'
import type { Logger } from 'pino'
import type { Store } from './store/db'
import type { PaymentProvider } from './payments/provider'
import type { SimulatedPayments } from './payments/simulated'
import type { Sessions, SessionRow } from './sessions/service'
import type { LiveBus } from './live'
import type { Mailer } from './mail/mailer'
import { Feed } from './feed'
import { AppError } from './errors'
import { loadViewer, type AppEnv } from './auth/viewer'
import { chargerView } from './chargers/view'
import { sessionView } from './sessions/view'
import type { ChargerView, SessionView } from './views'
import { healthRoutes } from './routes/health'
import { chargerRoutes } from './routes/chargers'
import { siteRoutes } from './routes/sites'
import { sessionRoutes } from './routes/sessions'
import { receiptRoutes } from './routes/receipts'
import { webhookRoutes } from './routes/webhooks'
import { simulatedPaymentRoutes } from './routes/payments'
import { adminRoutes } from './routes/admin'
import { demoTerminalRoutes } from './routes/demo-terminals'
import type { DemoTerminalCloud } from './sim/payter-demo'
import type { TerminalBooks } from './terminals/books'
import { supportRoutes } from './routes/support'
import { authRoutes } from './routes/auth'
import { meRoutes } from './routes/me'
import { ownerRoutes, siteAccessRoutes } from './routes/owner'
import { inviteRoutes } from './routes/invites'
import { zaptecSiteRoutes } from './charging/zaptec/owner-routes'
import { collectionSiteRoutes } from './payments/collection/routes'
import { SitePayments } from './payments/collection/router'
import { eq } from 'drizzle-orm'
import { sites } from './store/schema'
import { devRoutes } from './routes/dev'
import { rateLimiters, type Limiters } from './routes/rate-limit'
import { clientIp, type TrustProxy } from './http/client-address'
import { accessLog, requestId } from './http/access-log'
import { refuseControlCharacters } from './http/input-guard'
import { Signer } from './http/signing'

/** Rate limits, per client address unless said otherwise (see routes/rate-limit.ts). */
export interface Limits {
  sessionsPerMinute: number
  stopByCardPerMinute: number
  invitesPerMinute: number
  /** Sign-in codes a client may ask for in an hour: in all, and for one address. */
  codesPerClientPerHour: number
  codesPerClientAndAddressPerHour: number
  /** Codes mailed to one address in an hour, whoever asks: a brake on mail bombing. */
  codesPerAddressPerHour: number
  /** Wrong codes a client may enter for one address in 15 minutes, and for all addresses in an hour. */
  wrongCodesPerClientAndAddress: number
  wrongCodesPerClientPerHour: number
}

const defaultLimits: Limits = {
  sessionsPerMinute: 10,
  stopByCardPerMinute: 10,
  invitesPerMinute: 30,
  codesPerClientPerHour: 20,
  codesPerClientAndAddressPerHour: 5,
  codesPerAddressPerHour: 20,
  wrongCodesPerClientAndAddress: 5,
  wrongCodesPerClientPerHour: 20,
}

export interface AppDeps {
  /**
   * The embedded demo: the development outbox and the simulated card form are mounted, and the
   * simulated payment provider may run. False (production) unless asked for.
   */
  demo?: boolean
  /** Which proxies' X-Forwarded-For to believe for the client address (TRUST_PROXY). */
  trustProxy?: TrustProxy
  store: Store
  payments: PaymentProvider
  /** Present with the simulated provider: its card form posts to /api/payments/simulated. */
  simulatedPayments?: SimulatedPayments
  sessions: Sessions
  mailer: Mailer
  live: LiveBus
  logger: Logger
  publicUrl: string
  ocppReady: () => boolean
  /** Whether a charger is connected right now. */
  isOnline: (chargerId: string) => boolean
  /** Zaptec's cloud calls its web hooks here. */
  zaptec: ZaptecGateway
  /** Payment terminals' clouds call their web hooks here (/webhooks/payter, /webhooks/ccv; see bff/terminals/). */
  terminalWebhooks?: Hono
  /** The terminal providers' books: support's reconciliation holds terminal sessions against them. */
  terminalBooks?: TerminalBooks
  /** The demo's simulated Payter terminal: its screen and test-card taps at /api/demo/terminals (demo only). */
  demoTerminal?: DemoTerminalCloud
  limits?: Partial<Limits>
  /** Hash of the token the command line uses to reach /api/admin (see bff/cli.ts). */
  adminTokenHash?: string
  /** The built PWA (dist/), served at / with a fallback to index.html for client routes. */
  staticRoot?: string
}

/** What routes get: the dependencies plus the live feeds built once here. */
export type AppContext = Omit<AppDeps, 'limits' | 'demo'> & {
  db: Store['db']
  demo: boolean
  limits: Limits
  limiters: Limiters
  /** Receipt share links and EventSource tickets. */
  signer: Signer
  chargerView(id: string): Promise<ChargerView | null>
  sessionFeedView(session: SessionRow): Promise<SessionView>
  chargerFeed: Feed<ChargerView>
  sessionFeed: Feed<SessionView>
}

export function createApp(deps: AppDeps) {
  const db = deps.store.db
  const demo = deps.demo ?? false
  if (!demo && deps.payments.name === 'simulated') {
    throw new Error('The simulated payment provider runs only in the demo (LADDPUNKT_MODE=demo); production takes payments through Stripe.')
  }
  const limits = { ...defaultLimits, ...deps.limits }
  const onError = (error: unknown) => deps.logger.error({ err: error }, 'live feed failed')
  const chargerViewOf = async (id: string) => {
    const view = await chargerView(db, id, deps.publicUrl, deps.isOnline)
    if (!view || !(deps.payments instanceof SitePayments)) return view
    // In platform mode the platform sells: the driver sees before paying whom the receipt will name.
    const [site] = await db.select().from(sites).where(eq(sites.id, view.site.id))
    const { legalName, orgNumber, vatNumber } = await deps.payments.cardSeller(site)
    return { ...view, site: { ...view.site, seller: { legalName, orgNumber, vatNumber } }, cardPayments: await deps.payments.siteConfig(site.id) }
  }
  const sessionFeedView = (s: SessionRow) =>
    sessionView(db, s, deps.sessions.costNow(s), { minimumCharge: deps.payments.minimumCharge(s.currency), unplugWaitSeconds: deps.sessions.settings.unplugWaitSeconds })
  const ctx: AppContext = {
    ...deps,
    db,
    demo,
    limits,
    limiters: rateLimiters(db, limits),
    signer: new Signer(db),
    chargerView: chargerViewOf,
    sessionFeedView,
    chargerFeed: new Feed(deps.live, 'charger', chargerViewOf, onError),
    sessionFeed: new Feed(deps.live, 'session', async (id) => sessionFeedView(await deps.sessions.get(id)), onError),
  }

  const app = new Hono<AppEnv>()
    .use(requestId(), clientIp(deps.trustProxy ?? { kind: 'none' }), accessLog(deps.logger))
    // Every body is bounded, webhooks too (Stripe's events are a few KB); read while streaming, not after.
    .use('/webhooks/*', bodyLimit({ maxSize: 256 * 1024, onError: bodyTooLarge }))
    .use('*', (c, next) => (c.req.path.startsWith('/webhooks/') ? next() : apiBodyLimit(c, next)))
    .use('/api/*', refuseControlCharacters)
    // Who is asking matters to the API only: static files and OCPP skip the cookie lookup.
    .use('/api/*', loadViewer(db, deps.sessions.clock))
    .use('/assets/*', documentHeadersOnlyOnDocuments)
    .use(secureHeaders({ contentSecurityPolicy: contentSecurityPolicy(deps.payments.name === 'stripe'), permissionsPolicy: { camera: ['self'] } }))
    .use('/api/*', csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === new URL(deps.publicUrl).origin }))
    .route('/', healthRoutes(ctx))
    .get('/api/config', (c) => c.json({ payments: deps.payments.publicConfig(), publicUrl: deps.publicUrl }))
    .route('/api/chargers', chargerRoutes(ctx))
    .route('/api/sites', siteRoutes(ctx))
    .route('/api/sites', siteAccessRoutes(ctx))
    .route('/api/sites', zaptecSiteRoutes(ctx))
    .route('/api/sites', collectionSiteRoutes(ctx))
    .route('/api/sessions', sessionRoutes(ctx))
    .route('/api/receipts', receiptRoutes(ctx))
    .route('/api/payments/simulated', demo && deps.simulatedPayments ? simulatedPaymentRoutes(deps.simulatedPayments) : new Hono())
    .route('/api/demo/terminals', demo && deps.demoTerminal ? demoTerminalRoutes(ctx, deps.demoTerminal) : new Hono())
    .route('/api/admin', adminRoutes(ctx))
    .route('/api/support', supportRoutes(ctx))
    .route('/api/auth', authRoutes(ctx))
    .route('/api/me', meRoutes(ctx))
    .route('/api/owner', ownerRoutes(ctx))
    .route('/api/invites', inviteRoutes(ctx))
    .route('/api/dev', devRoutes(ctx))
    .route('/webhooks', webhookRoutes(ctx))
    .route('/webhooks/zaptec', zaptecWebhookRoutes(deps.zaptec))
    .route('/webhooks', deps.terminalWebhooks ?? new Hono())

  app.onError((error, c) => {
    if (error instanceof AppError) return c.json({ error: { code: error.code, message: error.message } }, error.status)
    if (error instanceof HTTPException) return c.json({ error: { code: 'bad_request', message: error.message } }, error.status)
    deps.logger.error({ err: error, path: c.req.path, requestId: c.var.requestId }, 'request failed')
    return c.json({ error: { code: 'internal_error', message: 'Something went wrong on our side. Nothing was charged for this request; try again.' } }, 500)
  })
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No such endpoint: ${c.req.method} ${c.req.path}` } }, 404))
  if (deps.staticRoot) servePwa(app, deps.staticRoot)
  return app
}

export type AppType = ReturnType<typeof createApp>

const bodyTooLarge = (): never => {
  throw new AppError(413, 'body_too_large', 'The request body is too large.')
}
const apiBodyLimit = bodyLimit({ maxSize: 64 * 1024, onError: bodyTooLarge })

/** The built PWA: hashed assets cached for good, everything else revalidated; client routes get index.html. */
function servePwa(app: Hono<AppEnv>, root: string) {
  const indexPath = join(root, 'index.html')
  const index = () => (existsSync(indexPath) ? readFileSync(indexPath, 'utf8') : null)
  const isApi = (path: string) => /^\/(api|webhooks|ocpp)(\/|$)/.test(path)
  // The app shell goes out compressed: a third of the bytes on a phone with one bar of signal. Built
  // assets have their .br and .gz beside them (vite.config.ts), sent as they are; the rest is gzipped here.
  const compressed = compress()
  app.use('*', (c, next) => (isApi(c.req.path) ? next() : compressed(c, next)))
  app.use('*', async (c, next) => {
    if (isApi(c.req.path) || (c.req.method !== 'GET' && c.req.method !== 'HEAD')) return next()
    return serveStatic({
      root,
      precompressed: true,
      onFound: (path, c) => {
        c.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')
        if (path.endsWith('.webmanifest')) c.header('content-type', 'application/manifest+json')
      },
    })(c, next)
  })
  app.get('*', (c, next) => {
    if (isApi(c.req.path)) return next()
    const html = index()
    if (!html) return c.text('The app is not built yet: run `npm run build`.', 503)
    c.header('cache-control', 'no-cache')
    return c.html(html)
  })
}

/**
 * Headers that steer a document (its content security policy, framing, opener, permissions, HSTS)
 * do nothing on a script or style sheet: the hashed assets go without them, a kilobyte less on each
 * of the requests a phone makes for the first screen. nosniff and the resource policy stay: those
 * are about the asset itself. (No asset is a worker script, whose policy would come with it.)
 */
const documentOnly = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'permissions-policy',
  'referrer-policy',
  'strict-transport-security',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
]
async function documentHeadersOnlyOnDocuments(c: Context, next: Next) {
  await next()
  if (!/\.(js|css)$/.test(c.req.path)) return
  for (const name of documentOnly) c.res.headers.delete(name)
}

function contentSecurityPolicy(stripe: boolean) {
  const stripeScript = stripe ? ['https://js.stripe.com'] : []
  const stripeFrames = stripe ? ['https://js.stripe.com', 'https://hooks.stripe.com', 'https://pay.google.com'] : []
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", "'wasm-unsafe-eval'", ...stripeScript],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'", ...(stripe ? ['https://api.stripe.com'] : [])],
    frameSrc: stripeFrames.length ? stripeFrames : ["'none'"],
    workerSrc: ["'self'", 'blob:'],
    manifestSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    frameAncestors: ["'none'"],
  }
}
