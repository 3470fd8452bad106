/** The OCPP adapter's own tables: the transactions chargers report, each bound to one of our sessions. */
import { bigint, boolean, index, integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core'
import { chargers } from '../../store/schema'

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
const int64 = (name: string) => bigint(name, { mode: 'number' })

/** OCPP transactions as the charger reports them; bound to a session through the idTag it presented. */
export const transactions = pgTable(
  'transactions',
  {
    /** The OCPP transactionId we hand to the charger. */
    id: serial('id').primaryKey(),
    chargerId: text('charger_id').notNull().references(() => chargers.id),
    connectorId: integer('connector_id').notNull(),
    idTag: text('id_tag').notNull(),
    /** Our session, once the session side accepted the start. */
    sessionId: text('session_id'),
    meterStartWh: int64('meter_start_wh').notNull(),
    meterStopWh: int64('meter_stop_wh'),
    /** The charger's own clock, also for messages delivered late. */
    startedAt: ts('started_at').notNull(),
    stoppedAt: ts('stopped_at'),
    stopReason: text('stop_reason'),
    /** Our clock when StartTransaction and StopTransaction arrived. */
    receivedAt: ts('received_at').notNull().defaultNow(),
    stopReceivedAt: ts('stop_received_at'),
    /** The session side has taken the stop (a crash before that: told again on recovery). */
    stopTold: boolean('stop_told').notNull().default(false),
  },
  (t) => [index('transactions_charger').on(t.chargerId, t.connectorId), index('transactions_session').on(t.sessionId)],
)
