/**
 * Who collects a site's card payments, and what each collection moved. `platform`: our Stripe
 * account takes the payment as a destination charge to the owner's connected account, keeping our
 * fee. `own`: the owner's own Stripe account takes it; we only run the session.
 */
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { sessions, sites } from '../../store/schema'

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
const int64 = (name: string) => bigint(name, { mode: 'number' })

export const collectionModes = ['platform', 'own'] as const
export type CollectionMode = (typeof collectionModes)[number]

/** The seller named on a receipt. */
export interface Seller {
  legalName: string
  orgNumber: string
  vatNumber: string
  address: string
}

/** A site's collection setup. A site without a row collects on the platform account with the site as the seller (as before). */
export const siteCollections = pgTable('site_collections', {
  siteId: text('site_id').primaryKey().references(() => sites.id),
  mode: text('mode', { enum: collectionModes }).notNull(),
  /** Platform mode: the owner's Stripe Connect account (acct_…) that destination charges pay out to. */
  connectedAccountId: text('connected_account_id'),
  /** Platform mode: Stripe says the connected account may take charges and receive payouts. */
  accountReady: boolean('account_ready').notNull().default(false),
  /** Own mode: the owner's secret key and webhook secret, sealed (AES-256-GCM, see credentials.ts); the publishable key as is. */
  ownSecretKey: text('own_secret_key'),
  ownPublishableKey: text('own_publishable_key'),
  ownWebhookSecret: text('own_webhook_secret'),
  /** Own mode: the account the owner's key belongs to, from the test call that validated it. */
  ownAccountId: text('own_account_id'),
  /** Our fee in platform mode, basis points of what is captured (500 = 5 %). */
  feeBp: integer('fee_bp').notNull().default(500),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})

/**
 * Every hold, with who collects it, fixed when it is placed: a later change of mode never moves a
 * running session to another account. The seller is the one the driver bought from.
 */
export const collectedHolds = pgTable(
  'collected_holds',
  {
    paymentId: text('payment_id').primaryKey(),
    sessionId: text('session_id').notNull().references(() => sessions.id),
    siteId: text('site_id').notNull().references(() => sites.id),
    mode: text('mode', { enum: collectionModes }).notNull(),
    /** Platform mode: the connected account the destination charge transfers to. */
    destination: text('destination'),
    feeBp: integer('fee_bp').notNull(),
    seller: jsonb('seller').$type<Seller>().notNull(),
    /** Our application fee, written before the capture that carries it. */
    feeAmount: int64('fee_amount'),
    /** Of the fee, what refunds gave back, as the provider reports it. */
    feeRefunded: int64('fee_refunded').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('collected_holds_session').on(t.sessionId), index('collected_holds_site').on(t.siteId, t.createdAt)],
)

/** Each refund as the collecting account carried it out, with the part of our fee it gave back. */
export const collectedRefunds = pgTable(
  'collected_refunds',
  {
    refundId: text('refund_id').primaryKey(),
    paymentId: text('payment_id').notNull().references(() => collectedHolds.paymentId),
    amount: int64('amount').notNull(),
    feeRefunded: int64('fee_refunded').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('collected_refunds_payment').on(t.paymentId)],
)
