import { z } from 'zod'
import { parseTrustProxy, type TrustProxy } from './http/client-address'

const flag = z
  .enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'])
  .transform((v) => ['1', 'true', 'on', 'yes'].includes(v))

const schema = z
  .object({
    /**
     * `demo` is the embedded demo (`npm start`): simulated payments, the development outbox and simulated
     * chargers. Anything else is production, also when the variable is missing.
     */
    LADDPUNKT_MODE: z.enum(['production', 'demo']).default('production'),
    /** Proxies in front of the BFF: a hop count ("1") or their addresses and ranges ("10.0.0.0/8, ::1"). */
    TRUST_PROXY: z.string().optional(),
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
    PUBLIC_URL: z.url().optional(),
    SIM_CHARGERS: flag.optional(),
    STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_/, 'must start with sk_ or rk_').optional(),
    STRIPE_PUBLISHABLE_KEY: z.string().regex(/^pk_/, 'must start with pk_').optional(),
    STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_/, 'must start with whsec_').optional(),
    /** Signing secret of the platform's Connect webhook endpoint (events on connected accounts: onboarding done). */
    STRIPE_CONNECT_WEBHOOK_SECRET: z.string().regex(/^whsec_/, 'must start with whsec_').optional(),
    /** Where the Stripe client sends its API calls instead of Stripe, e.g. http://127.0.0.1:12111: for stripe-mock / testing only. */
    STRIPE_API_BASE: z.url().optional(),
    /** Payter's Cloud Payment Service for the Payter terminals on chargers (`npm run cli -- terminal add`): its key turns them on. */
    PAYTER_API_KEY: z.string().min(1).optional(),
    PAYTER_API_URL: z.url().default('https://cps.mypayter.com'),
    /** CCV's Payment API for the IM30 terminals on chargers: its key turns them on. */
    CCV_API_KEY: z.string().min(1).optional(),
    CCV_API_URL: z.url().default('https://api.psp.ccv.eu'),
    /** The platform as the seller on receipts for sites in platform mode (all four, or none: platform mode is then refused). */
    PLATFORM_LEGAL_NAME: z.string().trim().min(2).max(120).optional(),
    PLATFORM_ORG_NUMBER: z.string().regex(/^\d{6}-?\d{4}$/, 'must be a Swedish org number, 10 digits (556677-8899)').optional(),
    PLATFORM_VAT_NUMBER: z.string().regex(/^[A-Z]{2}[0-9A-Z]{8,12}$/, 'must be a VAT number such as SE556677889901').optional(),
    PLATFORM_ADDRESS: z.string().trim().min(5).max(200).optional(),
    /** Our fee on what a platform-mode site captures, in basis points (500 = 5 %), for sites set up from now on. */
    PLATFORM_FEE_BP: z.coerce.number().int().min(0).max(10_000).default(500),
    SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
    MAIL_FROM: z.string().min(3).default('Laddpunkt <no-reply@laddpunkt.test>'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Seconds a started charger has to report StartTransaction (the car must be plugged in by then). */
    START_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
    /** MeterValueSampleInterval set on chargers at boot, in seconds. */
    METER_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(900).default(10),
    /** Longest wait for the car to be unplugged after a stop before settling anyway; the idle fee counts at most to here. */
    UNPLUG_WAIT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(120),
    /** A charger clock further than this from ours is not believed for billing (charging time then runs on ours). */
    CHARGER_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
    /** The simulated car is unplugged this many seconds after charging ends (demo chargers only). */
    SIM_UNPLUG_SECONDS: z.coerce.number().int().min(0).max(3600).default(5),
  })
  .superRefine((env, ctx) => {
    const stripe = [env.STRIPE_SECRET_KEY, env.STRIPE_PUBLISHABLE_KEY, env.STRIPE_WEBHOOK_SECRET]
    if (stripe.some(Boolean) && !stripe.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: ['STRIPE_SECRET_KEY'],
        message: 'set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET together',
      })
    }
    const seller = [env.PLATFORM_LEGAL_NAME, env.PLATFORM_ORG_NUMBER, env.PLATFORM_VAT_NUMBER, env.PLATFORM_ADDRESS]
    if (seller.some(Boolean) && !seller.every(Boolean)) {
      ctx.addIssue({ code: 'custom', path: ['PLATFORM_LEGAL_NAME'], message: 'set PLATFORM_LEGAL_NAME, PLATFORM_ORG_NUMBER, PLATFORM_VAT_NUMBER and PLATFORM_ADDRESS together' })
    }
    if (env.TRUST_PROXY !== undefined) {
      try {
        parseTrustProxy(env.TRUST_PROXY)
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['TRUST_PROXY'], message: (error as Error).message })
      }
    }
    if (env.LADDPUNKT_MODE === 'demo') {
      // The demo hands every sign-in code to anyone who asks (the outbox): never with real money or real accounts.
      if (env.NODE_ENV === 'production') {
        ctx.addIssue({ code: 'custom', path: ['LADDPUNKT_MODE'], message: 'demo contradicts NODE_ENV=production: the demo is not for production' })
      }
      if (env.STRIPE_SECRET_KEY && /^(sk|rk)_live_/.test(env.STRIPE_SECRET_KEY)) {
        ctx.addIssue({ code: 'custom', path: ['STRIPE_SECRET_KEY'], message: 'is a live key: the demo runs only with Stripe test keys' })
      }
      if (env.DATABASE_URL) {
        ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is set: the demo runs only on its embedded database (DATA_DIR), never on a shared PostgreSQL' })
      }
    }
  })

/** Production without these is refused: sign-in codes need real mail, and card payments need Stripe. */
function productionGaps(env: z.infer<typeof schema>): string | null {
  if (env.LADDPUNKT_MODE === 'demo') return null
  const demoHint = 'set it, or run the embedded demo with LADDPUNKT_MODE=demo (what `npm start` does)'
  if (!env.SMTP_URL) return `SMTP_URL is missing: production mails sign-in codes over SMTP; ${demoHint}`
  if (!env.STRIPE_SECRET_KEY) return `STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET are missing: production takes payments through Stripe; ${demoHint}`
  if (env.SIM_CHARGERS) return 'SIM_CHARGERS is on: simulated chargers belong to the demo (LADDPUNKT_MODE=demo)'
  return null
}

export type Env = Omit<z.infer<typeof schema>, 'TRUST_PROXY'> & {
  SIM_CHARGERS: boolean
  PUBLIC_URL: string
  TRUST_PROXY: TrustProxy
  /** The embedded demo (LADDPUNKT_MODE=demo); false means production. */
  demo: boolean
}

/**
 * Reads configuration; a bad value throws one line naming the variable and what is wrong. The server
 * also insists on what production needs; the command line (`purpose: 'cli'`) only needs the database.
 */
export function readEnv(source: Record<string, string | undefined> = process.env, purpose: 'server' | 'cli' = 'server'): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = schema.safeParse(cleaned)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`Bad configuration: ${issue.path.join('.') || 'environment'} ${issue.message}`)
  }
  const env = parsed.data
  const gap = purpose === 'server' ? productionGaps(env) : null
  if (gap) throw new Error(`Bad configuration: ${gap}`)
  const demo = env.LADDPUNKT_MODE === 'demo'
  return {
    ...env,
    demo,
    TRUST_PROXY: parseTrustProxy(env.TRUST_PROXY),
    SIM_CHARGERS: env.SIM_CHARGERS ?? demo,
    PUBLIC_URL: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
  }
}
