/**
 * The support audit log: append-only. Nothing in the code updates or deletes its rows; every read
 * of a session by support, every action and every sweep decision adds one.
 */
import type { Db, Tx } from '../store/db'
import { auditLog } from '../store/schema'

export interface AuditEntry {
  /** The support user; null for the scheduled sweep. */
  actorId: string | null
  action: string
  sessionId?: string | null
  reason?: string | null
  data?: Record<string, unknown>
  at: Date
}

export async function audit(db: Db | Tx, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    at: entry.at,
    actorId: entry.actorId,
    action: entry.action,
    sessionId: entry.sessionId ?? null,
    reason: entry.reason ?? null,
    data: entry.data ?? {},
  })
}
