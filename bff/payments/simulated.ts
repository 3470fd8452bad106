/**
 * A stand-in for Stripe's manual-capture PaymentIntents, kept in our own database so holds survive
 * a restart as Stripe's would. Accepts Stripe's test card numbers. Never for production.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { and, asc, eq, gte, lt, sql } from 'drizzle-orm'
import type { Db, Tx } from '../store/db'
import { simulatedIdempotency, simulatedPayments } from '../store/schema'
import { cardError, cardMessages, checkCard, issuerDecline, type CardErrorCode, type CardInput } from './cards'
import { minimumCharge } from './minimums'
import {
  PaymentError,
  type Hold,
  type HoldStatus,
  type LedgerEntry,
  type PaymentEvent,
  type PaymentProvider,
  type PublicPaymentConfig,
} from './provider'

type Row = typeof simulatedPayments.$inferSelect

/** How long an uncaptured hold lasts before it is cancelled: Stripe's online card holds last 7 days. */
const holdLifetimeMs = 7 * 24 * 60 * 60 * 1000

/** Stored idempotent responses are JSON; a codec turns a result into JSON and back. */
interface Codec<T> {
  encode(value: T): Record<string, unknown>
  decode(stored: Record<string, unknown>): T
}

const holdCodec: Codec<Hold> = {
  encode: (hold) => ({ ...hold, captureBefore: hold.captureBefore?.toISOString() ?? null }),
  decode: (stored) => {
    const hold = stored as unknown as Hold & { captureBefore: string | null }
    return { ...hold, captureBefore: hold.captureBefore ? new Date(hold.captureBefore) : null }
  },
}

const createdHoldCodec: Codec<{ hold: Hold; clientSecret: string }> = {
  encode: ({ hold, clientSecret }) => ({ hold: holdCodec.encode(hold), clientSecret }),
  decode: (stored) => ({
    hold: holdCodec.decode(stored.hold as Record<string, unknown>),
    clientSecret: stored.clientSecret as string,
  }),
}

const refundCodec: Codec<{ refundId: string; amount: number }> = {
  encode: (refund) => ({ ...refund }),
  decode: (stored) => ({ refundId: stored.refundId as string, amount: stored.amount as number }),
}

export interface SimulatedPaymentsOptions {
  db: Db
  clock?: () => Date
  env: 'development' | 'test' | 'production'
}

export class SimulatedPayments implements PaymentProvider {
  readonly name = 'simulated' as const
  private readonly db: Db
  private readonly clock: () => Date

  constructor(options: SimulatedPaymentsOptions) {
    if (options.env === 'production') throw new Error('The simulated payment provider refuses to run in production')
    this.db = options.db
    this.clock = options.clock ?? (() => new Date())
  }

  publicConfig(): PublicPaymentConfig {
    return { provider: 'simulated' }
  }

  createHold(input: {
    amount: number
    currency: string
    sessionId: string
    description: string
    idempotencyKey: string
  }): Promise<{ hold: Hold; clientSecret: string }> {
    const currency = input.currency.toUpperCase()
    const request = { op: 'create_hold', amount: input.amount, currency, sessionId: input.sessionId, description: input.description }
    return this.idempotent(input.idempotencyKey, request, createdHoldCodec, async (tx) => {
      if (!Number.isInteger(input.amount) || input.amount < minimumCharge(currency)) {
        throw new PaymentError(
          `Amount must be a whole number of minor units, at least ${minimumCharge(currency)} ${currency}.`,
          'amount_too_small',
        )
      }
      const id = `pi_sim_${randomId()}`
      const now = this.clock()
      const [row] = await tx
        .insert(simulatedPayments)
        .values({
          id,
          clientSecret: `${id}_secret_${randomId()}`,
          amount: input.amount,
          currency,
          status: 'requires_payment_method',
          metadata: { session_id: input.sessionId, description: input.description },
          createdAt: now,
          updatedAt: now,
        })
        .returning()
      return { hold: toHold(row), clientSecret: row.clientSecret }
    })
  }

  /**
   * What Stripe.js does with the card form: authorise the hold on the card. A decline leaves the
   * hold waiting for another card and throws the issuer's reason. Not on the port.
   */
  async confirm(clientSecret: string, card: CardInput): Promise<Hold> {
    const now = this.clock()
    const outcome = await this.db.transaction(async (tx): Promise<{ hold: Hold } | { decline: CardErrorCode }> => {
      const row = await this.lockHold(tx, holdIdOf(clientSecret))
      if (!secretMatches(row.clientSecret, clientSecret)) throw noSuchHold(holdIdOf(clientSecret))
      if (row.status !== 'requires_payment_method') throw unexpectedState(row.status, 'confirmed')
      const checked = checkCard(card, now)
      const decline = issuerDecline(checked)
      if (decline) {
        await tx.update(simulatedPayments).set({ declineCode: decline, updatedAt: now }).where(eq(simulatedPayments.id, row.id))
        return { decline }
      }
      const [held] = await tx
        .update(simulatedPayments)
        .set({
          status: 'requires_capture',
          amountCapturable: row.amount,
          cardBrand: checked.brand,
          cardLast4: checked.last4,
          cardFingerprint: checked.fingerprint,
          declineCode: null,
          captureBefore: new Date(now.getTime() + holdLifetimeMs),
          updatedAt: now,
        })
        .where(eq(simulatedPayments.id, row.id))
        .returning()
      return { hold: toHold(held) }
    })
    if ('decline' in outcome) throw cardError(outcome.decline)
    return outcome.hold
  }

  /** A card presented to stop a session (tap to stop). Checked like a card form; not on the port. */
  async createPaymentMethod(card: CardInput): Promise<{ id: string }> {
    const checked = checkCard(card, this.clock())
    const id = `pm_sim_${randomId()}`
    await this.db.insert(simulatedIdempotency).values({
      key: paymentMethodKey(id),
      request: 'payment_method',
      response: { brand: checked.brand, last4: checked.last4, fingerprint: checked.fingerprint },
      createdAt: this.clock(),
    })
    return { id }
  }

  getHold(id: string): Promise<Hold> {
    return this.db.transaction(async (tx) => toHold(await this.lockHold(tx, id)))
  }

  capture(id: string, amount: number, idempotencyKey: string): Promise<Hold> {
    return this.idempotent(idempotencyKey, { op: 'capture', id, amount }, holdCodec, async (tx) => {
      const row = await this.lockHold(tx, id)
      if (row.status !== 'requires_capture') throw unexpectedState(row.status, 'captured')
      if (!Number.isInteger(amount) || amount <= 0) {
        throw new PaymentError('The amount to capture must be a positive whole number; release the hold instead.', 'amount_too_small')
      }
      if (amount > row.amountCapturable) {
        throw new PaymentError(
          `The amount to capture (${amount}) is greater than the amount capturable (${row.amountCapturable}).`,
          'amount_too_large',
        )
      }
      return toHold(
        await this.update(tx, id, { status: 'succeeded', amountCaptured: amount, amountCapturable: 0 }),
      )
    })
  }

  release(id: string, idempotencyKey: string): Promise<Hold> {
    return this.idempotent(idempotencyKey, { op: 'release', id }, holdCodec, async (tx) => {
      const row = await this.lockHold(tx, id)
      if (row.status === 'canceled') return toHold(row)
      if (row.status === 'succeeded') throw unexpectedState(row.status, 'released')
      return toHold(await this.update(tx, id, { status: 'canceled', amountCapturable: 0 }))
    })
  }

  refund(id: string, amount: number, idempotencyKey: string): Promise<{ refundId: string; amount: number }> {
    return this.idempotent(idempotencyKey, { op: 'refund', id, amount }, refundCodec, async (tx) => {
      const row = await this.lockHold(tx, id)
      if (row.status !== 'succeeded') throw unexpectedState(row.status, 'refunded')
      if (!Number.isInteger(amount) || amount <= 0) {
        throw new PaymentError('The amount to refund must be a positive whole number.', 'amount_too_small')
      }
      if (row.amountRefunded + amount > row.amountCaptured) {
        throw new PaymentError(
          `Refund amount (${amount}) is greater than the unrefunded amount (${row.amountCaptured - row.amountRefunded}).`,
          'amount_too_large',
        )
      }
      await this.update(tx, id, { amountRefunded: row.amountRefunded + amount })
      return { refundId: `re_sim_${randomId()}`, amount }
    })
  }

  async cardFingerprint(paymentMethodId: string): Promise<string | null> {
    const [row] = await this.db
      .select()
      .from(simulatedIdempotency)
      .where(eq(simulatedIdempotency.key, paymentMethodKey(paymentMethodId)))
    return typeof row?.response.fingerprint === 'string' ? row.response.fingerprint : null
  }

  parseWebhook(): Promise<PaymentEvent> {
    return Promise.reject(new PaymentError('The simulated payment provider sends no webhooks.', 'not_supported'))
  }

  minimumCharge(currency: string): number {
    return minimumCharge(currency)
  }

  async ledger(range: { from: Date; to: Date }): Promise<LedgerEntry[]> {
    const rows = await this.db
      .select()
      .from(simulatedPayments)
      .where(and(gte(simulatedPayments.createdAt, range.from), lt(simulatedPayments.createdAt, range.to)))
      .orderBy(asc(simulatedPayments.createdAt))
    return rows.map((row) => ({
      id: row.id,
      status: row.status as HoldStatus,
      amount: row.amount,
      currency: row.currency,
      amountCaptured: row.amountCaptured,
      amountRefunded: row.amountRefunded,
      // The simulated provider's ledger is its books: what it captured is what it booked.
      booked: row.amountCaptured > 0 ? row.amountCaptured : null,
      createdAt: row.createdAt,
      sessionId: row.metadata.session_id ?? null,
    }))
  }

  /**
   * Runs `work` once per idempotency key: a retry with the same key and parameters gets the stored
   * response; other parameters are refused, as Stripe does. The advisory lock makes two concurrent
   * calls with one key wait for each other instead of both acting.
   */
  private idempotent<T>(key: string, request: object, codec: Codec<T>, work: (tx: Tx) => Promise<T>): Promise<T> {
    const storedKey = `key:${key}`
    const fingerprint = JSON.stringify(request)
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${storedKey}))`)
      const [seen] = await tx.select().from(simulatedIdempotency).where(eq(simulatedIdempotency.key, storedKey))
      if (seen) {
        if (seen.request !== fingerprint) {
          throw new PaymentError(
            'Keys for idempotent requests can only be used with the same parameters they were first used with.',
            'idempotency_key_reused',
          )
        }
        return codec.decode(seen.response)
      }
      const result = await work(tx)
      await tx
        .insert(simulatedIdempotency)
        .values({ key: storedKey, request: fingerprint, response: codec.encode(result), createdAt: this.clock() })
      return result
    })
  }

  /** Locks the hold's row for this transaction and applies expiry: an uncaptured hold past its deadline is cancelled. */
  private async lockHold(tx: Tx, id: string): Promise<Row> {
    const [row] = await tx.select().from(simulatedPayments).where(eq(simulatedPayments.id, id)).for('update')
    if (!row) throw noSuchHold(id)
    const expired = row.status === 'requires_capture' && row.captureBefore && this.clock() >= row.captureBefore
    return expired ? this.update(tx, id, { status: 'canceled', amountCapturable: 0 }) : row
  }

  private async update(tx: Tx, id: string, changes: Partial<Row>): Promise<Row> {
    const [row] = await tx
      .update(simulatedPayments)
      .set({ ...changes, updatedAt: this.clock() })
      .where(eq(simulatedPayments.id, id))
      .returning()
    return row
  }
}

function toHold(row: Row): Hold {
  return {
    id: row.id,
    status: row.status as HoldStatus,
    amount: row.amount,
    currency: row.currency,
    amountCapturable: row.amountCapturable,
    amountCaptured: row.amountCaptured,
    amountRefunded: row.amountRefunded,
    card:
      row.cardBrand && row.cardLast4
        ? { brand: row.cardBrand, last4: row.cardLast4, fingerprint: row.cardFingerprint, wallet: null }
        : null,
    captureBefore: row.captureBefore,
    failureMessage: row.declineCode ? (cardMessages[row.declineCode as CardErrorCode] ?? cardMessages.card_declined) : null,
  }
}

function randomId(): string {
  return randomBytes(12).toString('hex')
}

const holdIdOf = (clientSecret: string) => clientSecret.split('_secret_')[0]

const paymentMethodKey = (id: string) => `pm:${id}`

function secretMatches(stored: string, given: string): boolean {
  const a = Buffer.from(stored)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

function noSuchHold(id: string): PaymentError {
  return new PaymentError(`No such payment_intent: '${id}'`, 'resource_missing')
}

function unexpectedState(status: string, action: string): PaymentError {
  return new PaymentError(
    `This PaymentIntent has a status of ${status} and cannot be ${action}.`,
    'payment_intent_unexpected_state',
  )
}
