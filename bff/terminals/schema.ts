/**
 * The payment terminals' own tables: which terminal sits on which charger (and which of its
 * connectors it serves), each authorisation asked for and not yet answered, each authorisation a
 * terminal took, and every commit/capture or cancel/reversal we asked of a terminal provider under
 * its idempotency key.
 */
import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { chargers } from '../store/schema'

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const paymentTerminals = pgTable(
  'payment_terminals',
  {
    /** The provider's id of the terminal: Payter's serial number, CCV's terminalId. */
    id: text('id').primaryKey(),
    provider: text('provider', { enum: ['payter', 'ccv'] }).notNull(),
    chargerId: text('charger_id').notNull().references(() => chargers.id),
    /** The connectors this terminal serves; the driver picks one on the terminal when there are several. */
    connectorIds: jsonb('connector_ids').$type<number[]>().notNull(),
    /** What the terminal displays in: one of the app's languages (bff/terminals/texts.ts), Swedish unless set. */
    language: text('language').notNull().default('sv'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('payment_terminals_charger').on(t.chargerId)],
)

/** `pending`: asked of a terminal that answers later (CCV's IM30 waits for the card), kept so a lost answer is still polled after a restart. */
export type TerminalPaymentStatus = 'pending' | 'authorized' | 'started' | 'refused' | 'cancelled' | 'committed'

/** One authorisation a terminal took: Payter's sessionId, CCV's payment reference. */
export const terminalPayments = pgTable(
  'terminal_payments',
  {
    id: text('id').primaryKey(),
    terminalId: text('terminal_id').notNull().references(() => paymentTerminals.id),
    provider: text('provider', { enum: ['payter', 'ccv'] }).notNull(),
    connectorId: integer('connector_id').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status').$type<TerminalPaymentStatus>().notNull(),
    /** Our session, once started. */
    sessionId: text('session_id'),
    /** Why the session was not started (connector_busy, charger_offline, method_not_allowed …). */
    refusal: text('refusal'),
    cardBrand: text('card_brand'),
    cardLast4: text('card_last4'),
    /**
     * The receipt token of the session, kept only until the terminal has shown the receipt QR code
     * (startFromTerminal hands it out once); cleared then.
     */
    receiptToken: text('receipt_token'),
    receiptShownAt: ts('receipt_shown_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('terminal_payments_session').on(t.sessionId), index('terminal_payments_terminal').on(t.terminalId)],
)

/**
 * An authorisation asked of a terminal provider and not yet answered: written before the ask
 * (our reference is its idempotency key, and CCV's merchantOrderReference), deleted once the answer
 * is recorded in terminal_payments. A row that stays (the process stopped, or the call failed in
 * between) is looked up at the provider by the desk's sweep, and whatever it holds is cancelled.
 */
export const terminalAsks = pgTable('terminal_asks', {
  reference: text('reference').primaryKey(),
  terminalId: text('terminal_id').notNull().references(() => paymentTerminals.id),
  provider: text('provider', { enum: ['payter', 'ccv'] }).notNull(),
  connectorId: integer('connector_id').notNull(),
  amount: integer('amount').notNull(),
  currency: text('currency').notNull(),
  askedAt: ts('asked_at').notNull().defaultNow(),
})

/** Commit/capture and cancel/reversal calls by idempotency key: a retried intent finds its answer here. */
export const terminalMoneyCalls = pgTable('terminal_money_calls', {
  key: text('key').primaryKey(),
  paymentId: text('payment_id').notNull(),
  action: text('action', { enum: ['commit', 'cancel'] }).notNull(),
  amount: integer('amount'),
  doneAt: ts('done_at').notNull(),
})
