import { z } from 'zod'

const flag = z
  .enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'])
  .transform((v) => ['1', 'true', 'on', 'yes'].includes(v))

const schema = z
  .object({
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
    /** Where the Stripe client sends its API calls instead of Stripe, e.g. http://127.0.0.1:12111: for stripe-mock / testing only. */
    STRIPE_API_BASE: z.url().optional(),
    SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
    MAIL_FROM: z.string().min(3).default('Laddpunkt <no-reply@laddpunkt.test>'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Seconds a started charger has to report StartTransaction (the car must be plugged in by then). */
    START_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
    /** MeterValueSampleInterval set on chargers at boot, in seconds. */
    METER_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(900).default(10),
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
    if (env.NODE_ENV === 'production' && !env.STRIPE_SECRET_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['STRIPE_SECRET_KEY'],
        message: 'production needs Stripe: the simulated payment provider refuses to run there',
      })
    }
  })

export type Env = z.infer<typeof schema> & { SIM_CHARGERS: boolean; PUBLIC_URL: string }

/** Reads configuration; a bad value throws one line naming the variable and what is wrong. */
export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = schema.safeParse(cleaned)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`Bad configuration: ${issue.path.join('.') || 'environment'} ${issue.message}`)
  }
  const env = parsed.data
  return {
    ...env,
    SIM_CHARGERS: env.SIM_CHARGERS ?? !env.DATABASE_URL,
    PUBLIC_URL: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ''),
  }
}
