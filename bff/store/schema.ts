/**
 * One pg-dialect schema for PGlite (embedded) and PostgreSQL. Money is integer minor units,
 * energy integer Wh, power integer W, VAT rates integer basis points (2500 = 25 %).
 * After a change: `npm run db:generate` writes a new migration into bff/store/migrations.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import type { Cost, TariffComponent } from '../domain/tariff'

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
/** 64-bit integers read as JS numbers: energy registers pass 2^31 Wh, and money has room to spare. */
const int64 = (name: string) => bigint(name, { mode: 'number' })

export const sites = pgTable('sites', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** The seller on receipts. */
  legalName: text('legal_name').notNull(),
  orgNumber: text('org_number').notNull(),
  vatNumber: text('vat_number').notNull(),
  street: text('street').notNull(),
  postalCode: text('postal_code').notNull(),
  city: text('city').notNull(),
  country: text('country').notNull(),
  currency: text('currency').notNull(),
  timezone: text('timezone').notNull(),
  /** open: anyone, free · private: grant holders only · paid: ad hoc card, and grant holders. */
  accessMode: text('access_mode', { enum: ['open', 'private', 'paid'] }).notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
})

export const tariffs = pgTable('tariffs', {
  id: serial('id').primaryKey(),
  siteId: text('site_id').notNull().references(() => sites.id),
  currency: text('currency').notNull(),
  vatRateBp: integer('vat_rate_bp').notNull(),
  /** In AFIR display order: energy, time, session, idle. Prices incl. VAT, minor units. */
  components: jsonb('components').$type<TariffComponent[]>().notNull(),
  holdAmount: int64('hold_amount').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
})

export const chargers = pgTable('chargers', {
  /** Our charger id; for OCPP also its chargePointId. */
  id: text('id').primaryKey(),
  siteId: text('site_id').notNull().references(() => sites.id),
  tariffId: integer('tariff_id').notNull().references(() => tariffs.id),
  label: text('label'),
  /** How the charger reaches us: the adapter folder under bff/charging/ that speaks for it ('ocpp', 'zaptec'). */
  gateway: text('gateway').notNull().default('ocpp'),
  /** OCPP Basic-auth password (scrypt); null for chargers that do not connect to us themselves. */
  passwordHash: text('password_hash'),
  vendor: text('vendor'),
  model: text('model'),
  serialNumber: text('serial_number'),
  firmwareVersion: text('firmware_version'),
  online: boolean('online').notNull().default(false),
  lastSeenAt: ts('last_seen_at'),
  bootedAt: ts('booted_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
})

export const connectorStatuses = [
  'Available', 'Preparing', 'Charging', 'SuspendedEVSE', 'SuspendedEV', 'Finishing',
  'Reserved', 'Unavailable', 'Faulted', 'Unknown',
] as const
export type ConnectorStatus = (typeof connectorStatuses)[number]

export const connectors = pgTable(
  'connectors',
  {
    chargerId: text('charger_id').notNull().references(() => chargers.id),
    connectorId: integer('connector_id').notNull(),
    evseId: text('evse_id').notNull(),
    /** Plug type as drivers know it: Type2, CCS2, CHAdeMO. */
    plug: text('plug').notNull(),
    maxPowerW: integer('max_power_w').notNull(),
    status: text('status', { enum: connectorStatuses }).notNull().default('Unknown'),
    errorCode: text('error_code'),
    statusAt: ts('status_at'),
  },
  (t) => [primaryKey({ columns: [t.chargerId, t.connectorId] }), uniqueIndex('connectors_evse_id').on(t.evseId)],
)

/** Energy and power over a session, for its live curve, whichever gateway reported them. */
export const meterSamples = pgTable(
  'meter_samples',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id'),
    at: ts('at').notNull(),
    /** Energy delivered in the session so far, in Wh. */
    energyWh: int64('energy_wh'),
    powerW: integer('power_w'),
    socPercent: integer('soc_percent'),
  },
  (t) => [index('meter_samples_session').on(t.sessionId, t.at)],
)

export const sessionStates = [
  'pending', 'starting', 'charging', 'stopping', 'settling', 'completed', 'failed', 'cancelled',
] as const
export type SessionState = (typeof sessionStates)[number]

export const holdStatuses = ['none', 'pending', 'held', 'captured', 'released', 'failed'] as const
export type HoldStatus = (typeof holdStatuses)[number]

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    state: text('state', { enum: sessionStates }).notNull(),
    chargerId: text('charger_id').notNull().references(() => chargers.id),
    connectorId: integer('connector_id').notNull(),
    siteId: text('site_id').notNull().references(() => sites.id),
    method: text('method', { enum: ['card', 'grant', 'open'] }).notNull(),
    /** Per-session OCPP idTag (CiString20). */
    idTag: text('id_tag').notNull(),
    /** The tariff as shown to the driver before starting: a copy, never a reference. */
    tariff: jsonb('tariff').$type<{ currency: string; vatRateBp: number; components: TariffComponent[] }>().notNull(),
    currency: text('currency').notNull(),
    holdAmount: int64('hold_amount').notNull(),
    stopTokenHash: text('stop_token_hash').notNull(),
    /** Hash of the receipt link token, derived from the stop token when the session is created. */
    receiptTokenHash: text('receipt_token_hash').notNull(),
    energyWh: int64('energy_wh').notNull().default(0),
    powerW: integer('power_w').notNull().default(0),
    /** Start and stop on the session's billing clock (ours, or the charger's when it agrees with ours). */
    startedAt: ts('started_at'),
    stoppedAt: ts('stopped_at'),
    /** Start and stop as the charger's own clock reported them, recorded beside the billing clock. */
    chargerStartedAt: ts('charger_started_at'),
    chargerStoppedAt: ts('charger_stopped_at'),
    /** The charger's clock minus ours when the start arrived; null until then. */
    clockSkewMs: int64('clock_skew_ms'),
    /** Our clock when the stop was reported: idle time is observed from here, never inferred. */
    stopSeenAt: ts('stop_seen_at'),
    /** When we saw the connector become Available again after charging (our clock). */
    unpluggedAt: ts('unplugged_at'),
    stopReason: text('stop_reason'),
    /** Why a session failed or was cancelled, in snake_case. */
    failureReason: text('failure_reason'),
    startDeadline: ts('start_deadline'),
    costTotal: int64('cost_total').notNull().default(0),
    /** The final cost, fixed at settlement; live sessions compute theirs from the clock. */
    finalCost: jsonb('final_cost').$type<Cost>(),
    /** The payment provider's id for the hold (Stripe PaymentIntent id, a terminal's authorisation). */
    paymentId: text('payment_id'),
    /** Who keeps the hold when not the app's own provider: a payment terminal adapter ('payter', 'ccv'). */
    paymentProvider: text('payment_provider'),
    holdStatus: text('hold_status', { enum: holdStatuses }).notNull().default('none'),
    /** Capture by then, whatever the charger does: well before the provider lets the hold lapse. */
    captureBy: ts('capture_by'),
    capturedAmount: int64('captured_amount').notNull().default(0),
    releasedAmount: int64('released_amount').notNull().default(0),
    refundedAmount: int64('refunded_amount').notNull().default(0),
    cardBrand: text('card_brand'),
    cardLast4: text('card_last4'),
    cardFingerprint: text('card_fingerprint'),
    receiptNumber: text('receipt_number'),
    /** Why support should look at this session (a sweep step failed, the provider refused a capture…); null when all is well. */
    attention: text('attention'),
    /** Client-chosen key of the create request: a double tap creates one session. */
    createKey: text('create_key'),
    /** The signed-in driver whose history it is in. */
    userId: text('user_id'),
    /** The grant it was started under (method grant, or an RFID tag covered by one). */
    grantId: text('grant_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** Bumped on every change; SSE event ids. */
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('sessions_id_tag').on(t.idTag),
    uniqueIndex('sessions_create_key').on(t.createKey),
    uniqueIndex('sessions_payment_id').on(t.paymentId),
    index('sessions_state').on(t.state),
    index('sessions_charger').on(t.chargerId, t.connectorId),
    index('sessions_fingerprint').on(t.cardFingerprint),
    index('sessions_user').on(t.userId, t.createdAt),
  ],
)

/**
 * Side effects written before they are carried out. The key (session id + action) is also the
 * provider's idempotency key, so a retry after a crash cannot do the thing twice.
 */
export const intents = pgTable(
  'intents',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id').notNull().references(() => sessions.id),
    action: text('action', { enum: ['remote_start', 'remote_stop', 'capture', 'release', 'refund'] }).notNull(),
    key: text('key').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: ['pending', 'done', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** Retried with backoff: not tried again before this. */
    notBefore: ts('not_before'),
    createdAt: ts('created_at').notNull().defaultNow(),
    doneAt: ts('done_at'),
  },
  (t) => [uniqueIndex('intents_key').on(t.key), index('intents_pending').on(t.status)],
)

/** The session's story, in order: state changes, charger messages, payment calls. */
export const sessionEvents = pgTable(
  'session_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id').notNull().references(() => sessions.id),
    at: ts('at').notNull().defaultNow(),
    kind: text('kind').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('session_events_session').on(t.sessionId, t.id)],
)

/** Sequential receipt numbers per seller (org number). */
export const receiptCounters = pgTable('receipt_counters', {
  orgNumber: text('org_number').primaryKey(),
  lastSequence: integer('last_sequence').notNull().default(0),
})

export const receipts = pgTable(
  'receipts',
  {
    number: text('number').primaryKey(),
    sessionId: text('session_id').notNull().references(() => sessions.id),
    /** A session's first document is its simplified invoice; support may reissue it as a full invoice. */
    kind: text('kind', { enum: ['simplified_invoice', 'invoice'] }).notNull().default('simplified_invoice'),
    /** For a reissued document: the number of the one it replaces (which stays as it was). */
    replaces: text('replaces'),
    orgNumber: text('org_number').notNull(),
    sequence: integer('sequence').notNull(),
    tokenHash: text('token_hash').notNull(),
    issuedAt: ts('issued_at').notNull(),
    /** The receipt as issued: immutable. */
    content: jsonb('content').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    uniqueIndex('receipts_session').on(t.sessionId).where(sql`kind = 'simplified_invoice'`),
    uniqueIndex('receipts_seq').on(t.orgNumber, t.sequence),
  ],
)

/** The simulated payment provider's own ledger: it survives restarts as Stripe would. */
export const simulatedPayments = pgTable('simulated_payments', {
  id: text('id').primaryKey(),
  clientSecret: text('client_secret').notNull(),
  amount: int64('amount').notNull(),
  currency: text('currency').notNull(),
  status: text('status').notNull(),
  amountCapturable: int64('amount_capturable').notNull().default(0),
  amountCaptured: int64('amount_captured').notNull().default(0),
  amountRefunded: int64('amount_refunded').notNull().default(0),
  cardBrand: text('card_brand'),
  cardLast4: text('card_last4'),
  cardFingerprint: text('card_fingerprint'),
  declineCode: text('decline_code'),
  captureBefore: ts('capture_before'),
  metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
})

/** Idempotency keys the simulated provider has seen, with the response it gave. */
export const simulatedIdempotency = pgTable('simulated_idempotency', {
  key: text('key').primaryKey(),
  request: text('request').notNull(),
  response: jsonb('response').$type<Record<string, unknown>>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
})

/** Provider webhook events already handled: replays are no-ops. */
export const webhookEvents = pgTable('webhook_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
})

// ——— accounts, roles and access grants ———

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  /** Lower-cased; the sign-in name. */
  email: text('email').notNull().unique(),
  name: text('name'),
  /** The app language the driver last signed in with (sv, en, nb, da, fi, de): mails to them use it. */
  locale: text('locale'),
  createdAt: ts('created_at').notNull().defaultNow(),
})

export const roleNames = ['owner', 'support', 'admin'] as const
export type RoleName = (typeof roleNames)[number]

/** Drivers need no role. `owner` is per site; `support` and `admin` are global (site null). */
export const userRoles = pgTable(
  'user_roles',
  {
    id: serial('id').primaryKey(),
    userId: text('user_id').notNull().references(() => users.id),
    role: text('role', { enum: roleNames }).notNull(),
    siteId: text('site_id').references(() => sites.id),
  },
  (t) => [uniqueIndex('user_roles_unique').on(t.userId, t.role, t.siteId)],
)

export const passkeys = pgTable('passkeys', {
  /** The WebAuthn credential id, base64url. */
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id),
  publicKey: text('public_key').notNull(),
  counter: integer('counter').notNull().default(0),
  transports: jsonb('transports').$type<string[]>().notNull().default([]),
  deviceType: text('device_type'),
  backedUp: boolean('backed_up').notNull().default(false),
  name: text('name'),
  createdAt: ts('created_at').notNull().defaultNow(),
  lastUsedAt: ts('last_used_at'),
})

/** A signed-in device: the cookie holds the token, we keep its hash. */
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: text('user_id').notNull().references(() => users.id),
    userAgent: text('user_agent'),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('auth_sessions_user').on(t.userId)],
)

/** WebAuthn challenges, single use and short-lived. */
export const authChallenges = pgTable('auth_challenges', {
  id: text('id').primaryKey(),
  challenge: text('challenge').notNull(),
  purpose: text('purpose', { enum: ['register', 'sign_in'] }).notNull(),
  userId: text('user_id').references(() => users.id),
  expiresAt: ts('expires_at').notNull(),
})

/** One-time sign-in codes sent by email: stored hashed, limited attempts, single use. */
export const emailCodes = pgTable(
  'email_codes',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    codeHash: text('code_hash').notNull(),
    attempts: integer('attempts').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [index('email_codes_email').on(t.email, t.createdAt)],
)

/** Mail sent without SMTP configured (embedded default): shown in the app in development. */
export const outbox = pgTable('outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  to: text('to').notNull(),
  subject: text('subject').notNull(),
  text: text('text').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
})

/** A grant's own price: free, or a private tariff instead of the site's. */
export type TariffOverride = { kind: 'free' } | { kind: 'tariff'; components: TariffComponent[] }

/** An owner's permission for a driver to charge at a site, or at one charger of it. */
export const grants = pgTable(
  'grants',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    /** Null: every charger of the site. */
    chargerId: text('charger_id').references(() => chargers.id),
    /** Set once the driver has an account (or from the start, when granted to a known email). */
    userId: text('user_id').references(() => users.id),
    email: text('email'),
    inviteId: text('invite_id'),
    label: text('label'),
    validFrom: ts('valid_from'),
    validUntil: ts('valid_until'),
    tariffOverride: jsonb('tariff_override').$type<TariffOverride>(),
    /** Monthly caps; null: none. */
    capEnergyWh: int64('cap_energy_wh'),
    capAmount: int64('cap_amount'),
    /** When the owner last changed the caps: a stop at the cap before that no longer uses up the month. */
    capsChangedAt: ts('caps_changed_at'),
    createdBy: text('created_by').references(() => users.id),
    createdAt: ts('created_at').notNull().defaultNow(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('grants_site').on(t.siteId), index('grants_user').on(t.userId), index('grants_email').on(t.email)],
)

/** An invite link/code that turns into a grant when a driver redeems it. */
export const invites = pgTable('invites', {
  id: text('id').primaryKey(),
  codeHash: text('code_hash').notNull().unique(),
  siteId: text('site_id').notNull().references(() => sites.id),
  chargerId: text('charger_id').references(() => chargers.id),
  label: text('label'),
  /** The grant each redemption creates. */
  grantValidUntil: ts('grant_valid_until'),
  tariffOverride: jsonb('tariff_override').$type<TariffOverride>(),
  capEnergyWh: int64('cap_energy_wh'),
  capAmount: int64('cap_amount'),
  maxUses: integer('max_uses').notNull().default(1),
  uses: integer('uses').notNull().default(0),
  expiresAt: ts('expires_at').notNull(),
  createdBy: text('created_by').references(() => users.id),
  createdAt: ts('created_at').notNull().defaultNow(),
  revokedAt: ts('revoked_at'),
})

/** RFID tags (OCPP idTags) drivers register to their account. */
export const rfidTags = pgTable('rfid_tags', {
  /** Upper-cased: idTags are case-insensitive (CiString20). */
  idTag: text('id_tag').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id),
  label: text('label'),
  createdAt: ts('created_at').notNull().defaultNow(),
})

// ——— support ———

/** Append-only: who did what to which session, when and why. Reads by support are logged too. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().defaultNow(),
    actorId: text('actor_id').references(() => users.id),
    action: text('action').notNull(),
    sessionId: text('session_id').references(() => sessions.id),
    reason: text('reason'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('audit_log_session').on(t.sessionId, t.id)],
)

export const refunds = pgTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull().references(() => sessions.id),
    amount: int64('amount').notNull(),
    reason: text('reason').notNull(),
    /** The client's key: a double submit makes one refund. */
    key: text('key').notNull().unique(),
    providerRefundId: text('provider_refund_id'),
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] }).notNull().default('pending'),
    createdBy: text('created_by').references(() => users.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('refunds_session').on(t.sessionId)],
)

/** Rate limit counters shared by every BFF process (rate-limiter-flexible's Drizzle store). */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: ts('expire'),
})

/** An `Idempotency-Key` once used, with a fingerprint of its request: the key again with another body is refused. */
export const idempotencyKeys = pgTable('idempotency_keys', {
  keyHash: text('key_hash').primaryKey(),
  requestHash: text('request_hash').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
})

/** Keys that sign short-lived tickets and share links, made once and shared by every process. */
export const signingKeys = pgTable('signing_keys', {
  name: text('name').primaryKey(),
  secret: text('secret').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
})

/** One row per readiness check: /readyz writes here to prove the database takes writes. */
export const healthChecks = pgTable('health_checks', {
  id: text('id').primaryKey(),
  checkedAt: ts('checked_at').notNull(),
})

// Each charger gateway keeps its own tables in its adapter folder.
export * from '../charging/ocpp/schema'
export * from '../charging/zaptec/schema'
export * from '../terminals/schema'
export * from '../cluster/schema'
export * from '../payments/collection/schema'
