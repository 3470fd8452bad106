/** A session's Zaptec web hooks and API calls, for support's timeline (beside OCPP's messages). */
import { asc, eq } from 'drizzle-orm'
import type { Db } from '../../store/db'
import { zaptecCalls } from './schema'

export interface ZaptecCallEntry {
  at: Date
  kind: string
  direction: 'in' | 'out'
  status: number | null
  summary: string
  data: Record<string, unknown>
}

const names: Record<string, string> = {
  session_start: 'Session start web hook',
  session_end: 'Session end web hook',
  authorize_charge: 'authorise charger (API)',
  command_10001: 'deauthorize and stop, command 10001 (API)',
}

export async function zaptecCallsOfSession(db: Db, sessionId: string): Promise<ZaptecCallEntry[]> {
  const rows = await db.select().from(zaptecCalls).where(eq(zaptecCalls.sessionId, sessionId)).orderBy(asc(zaptecCalls.id))
  return rows.map((r) => ({
    at: r.at,
    kind: `zaptec_${r.kind}`,
    direction: r.direction,
    status: r.status,
    summary: `${r.direction === 'in' ? 'Zaptec → us' : 'us → Zaptec'}: ${names[r.kind] ?? r.kind}, ${r.status === null ? 'no answer' : `HTTP ${r.status}`}${typeof r.data.decision === 'string' ? ` (${r.data.decision})` : ''}`,
    data: r.data,
  }))
}
