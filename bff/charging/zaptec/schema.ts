/**
 * The Zaptec adapter's own tables: installations (how Zaptec's cloud reaches us and how we reach it),
 * which of our chargers are which Zaptec chargers, the sessions Zaptec knows under our session ids,
 * the bearer tokens our token URL issued, and a log of every webhook and API call for support.
 */
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { chargers, sites } from '../../store/schema'

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
const int64 = (name: string) => bigint(name, { mode: 'number' })

/**
 * A Zaptec installation of one of our sites. `webhooks`: Zaptec asks us at session start (web-hook
 * authorization). `api`: we log in to Zaptec's API with the owner's account for live state and stop.
 */
export const zaptecInstallations = pgTable(
  'zaptec_installations',
  {
    id: text('id').primaryKey(),
    siteId: text('site_id').notNull().references(() => sites.id),
    /** Zaptec's installation id (a GUID), as its portal and API show it. */
    zaptecInstallationId: text('zaptec_installation_id'),
    webhooks: boolean('webhooks').notNull().default(false),
    api: boolean('api').notNull().default(false),
    /** How Zaptec authenticates its web hooks: HTTP Basic, or a bearer token from our token URL. */
    webhookAuth: text('webhook_auth', { enum: ['basic', 'oauth'] }).notNull().default('basic'),
    /** The user name Zaptec presents (Basic, or in the token request); unique, it names the installation. */
    webhookUsername: text('webhook_username'),
    /** scrypt of the password we generated and showed once. */
    webhookPasswordHash: text('webhook_password_hash'),
    /** The owner's Zaptec account for the API. The password is stored encrypted (see credentials.ts). */
    apiUsername: text('api_username'),
    apiPasswordSealed: text('api_password_sealed'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('zaptec_installations_webhook_user').on(t.webhookUsername),
    index('zaptec_installations_site').on(t.siteId),
  ],
)

/** Our charger ↔ Zaptec's charger (GUID); the last state the API showed, to tell changes. */
export const zaptecChargers = pgTable(
  'zaptec_chargers',
  {
    chargerId: text('charger_id').primaryKey().references(() => chargers.id),
    installationId: text('installation_id').notNull().references(() => zaptecInstallations.id),
    zaptecChargerId: text('zaptec_charger_id').notNull(),
    /** Zaptec's serial, ZAP000123; informative. */
    deviceId: text('device_id'),
    online: boolean('online'),
    /** Observation 710 ChargerOperationMode: 1 disconnected, 2 waiting, 3 charging, 5 finished. */
    operatingMode: integer('operating_mode'),
    stateAt: ts('state_at'),
  },
  (t) => [uniqueIndex('zaptec_chargers_zaptec_id').on(t.zaptecChargerId), index('zaptec_chargers_installation').on(t.installationId)],
)

export const zaptecSessionStates = ['waiting', 'charging', 'stopping', 'ended', 'expired', 'cancelled'] as const
export type ZaptecSessionState = (typeof zaptecSessionStates)[number]

/**
 * One of our sessions on a Zaptec charger. `waiting`: startCharging was called, the car is not
 * there yet (until `waitUntil`). The session id is what we answer Zaptec's session start with.
 */
export const zaptecSessions = pgTable(
  'zaptec_sessions',
  {
    sessionId: text('session_id').primaryKey(),
    chargerId: text('charger_id').notNull().references(() => chargers.id),
    connectorId: integer('connector_id').notNull(),
    /** The session's own authorisation token, or the driver's RFID tag that started it. */
    token: text('token').notNull(),
    state: text('state', { enum: zaptecSessionStates }).notNull(),
    waitUntil: ts('wait_until'),
    /** API-only sites: when we authorised the waiting charger through the API. */
    authorizedAt: ts('authorized_at'),
    /** Zaptec's own id of the charge session, when its session end named one. */
    zaptecSessionId: text('zaptec_session_id'),
    /** Our clock at approval, and Zaptec's start and end times. */
    approvedAt: ts('approved_at'),
    startedAt: ts('started_at'),
    stoppedAt: ts('stopped_at'),
    stopRequestedAt: ts('stop_requested_at'),
    /** When the API first showed the car gone while the session had not ended (a session end may be lost). */
    disconnectedAt: ts('disconnected_at'),
    energyWh: int64('energy_wh'),
    powerW: integer('power_w'),
    stopCause: text('stop_cause'),
    /** The session side has taken the stop (a crash before that: told again). */
    stopTold: boolean('stop_told').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('zaptec_sessions_charger').on(t.chargerId, t.state), index('zaptec_sessions_zaptec_id').on(t.zaptecSessionId)],
)

/** Bearer tokens our token URL issued to Zaptec: hashed, short-lived. */
export const zaptecWebhookTokens = pgTable(
  'zaptec_webhook_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    installationId: text('installation_id').notNull().references(() => zaptecInstallations.id),
    expiresAt: ts('expires_at').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('zaptec_webhook_tokens_expiry').on(t.expiresAt)],
)

/** Every web hook Zaptec sent and every API call we made: support reads a session's calls here. */
export const zaptecCalls = pgTable(
  'zaptec_calls',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().defaultNow(),
    installationId: text('installation_id'),
    chargerId: text('charger_id'),
    sessionId: text('session_id'),
    /** in: Zaptec called us; out: we called Zaptec. */
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    /** session_start, session_end, token, authorize_charge, command_10001, state, charge_history … */
    kind: text('kind').notNull(),
    /** The HTTP status answered or received; null when the call did not get an answer. */
    status: integer('status'),
    durationMs: integer('duration_ms'),
    /** What happened, without secrets. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('zaptec_calls_session').on(t.sessionId, t.id), index('zaptec_calls_charger').on(t.chargerId, t.id)],
)
