/**
 * What several BFF processes on one PostgreSQL share: who is alive, which process holds which
 * charger's connection, and leases on work only one process may do at a time.
 */
import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core'

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

/** A running BFF process; alive while its heartbeat is fresh. */
export const processes = pgTable('processes', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  startedAt: ts('started_at').notNull(),
  heartbeatAt: ts('heartbeat_at').notNull(),
})

/** The process that holds a charger's connection now (OCPP: its WebSocket). */
export const chargerLinks = pgTable(
  'charger_links',
  {
    chargerId: text('charger_id').primaryKey(),
    processId: text('process_id').notNull(),
    connectedAt: ts('connected_at').notNull(),
  },
  (t) => [index('charger_links_process').on(t.processId)],
)

/** Work one process at a time may do (a session's intents, a sweep); taken over when it expires. */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: ts('expires_at').notNull(),
})
