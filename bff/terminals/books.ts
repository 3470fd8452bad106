/**
 * The terminal providers' side of support's reconciliation (bff/support/reconcile.ts): what their
 * clouds say of the authorisations our terminals on a site took in a period.
 * - CCV lists transactions (Payment API, "read a transaction": GET /api/v1/transaction with filters):
 *   the period's authorisations, kept to the site's terminals, then the captures made on them
 *   (originalReferences). The captures are the money CCV moved; they are held against what each
 *   authorisation says was captured.
 * - Payter's Cloud Payment Service documents no transaction list and no settlement report (its API
 *   has terminal, card, UI, session, web hook and API key calls only), so each of our authorisations
 *   is read back one by one (GET session): what it says was committed is what Payter settles.
 * An authorisation that started no session (declined, connector busy, charger offline …) must be
 * released at the provider: one still open, or captured, is a difference of its own.
 */
import { and, eq, gte, inArray, isNull, lt } from 'drizzle-orm'
import type { Db } from '../store/db'
import { chargers } from '../store/schema'
import type { LedgerEntry } from '../payments/provider'
import type { Difference } from '../support/reconcile'
import { paymentTerminals, terminalPayments } from './schema'
import { TerminalRefusal, type TerminalAuthorisation } from './port'
import type { PayterCloud } from './payter/client'
import { toMinor, type CcvCloud, type CcvTransaction } from './ccv/client'

type Payment = typeof terminalPayments.$inferSelect

export class TerminalBooks {
  constructor(private readonly o: { db: Db; payter: PayterCloud | null; ccv: CcvCloud | null }) {}

  /**
   * The providers' entries for `paymentIds` (the period's terminal sessions) and for every other
   * authorisation at the site's terminals in [from, to); differences of the authorisations that
   * started no session.
   */
  async ledger(o: { siteId: string; from: Date; to: Date; paymentIds: string[] }): Promise<{ entries: LedgerEntry[]; differences: Difference[] }> {
    const db = this.o.db
    const terminals = await db
      .select({ id: paymentTerminals.id, provider: paymentTerminals.provider })
      .from(paymentTerminals)
      .innerJoin(chargers, eq(chargers.id, paymentTerminals.chargerId))
      .where(eq(chargers.siteId, o.siteId))
    if (terminals.length === 0) return { entries: [], differences: [] }
    const ids = terminals.map((t) => t.id)
    const [ofSessions, sessionless] = await Promise.all([
      o.paymentIds.length ? db.select().from(terminalPayments).where(inArray(terminalPayments.id, o.paymentIds)) : Promise.resolve([] as Payment[]),
      db
        .select()
        .from(terminalPayments)
        .where(and(inArray(terminalPayments.terminalId, ids), isNull(terminalPayments.sessionId), gte(terminalPayments.createdAt, o.from), lt(terminalPayments.createdAt, o.to))),
    ])
    const ours = [...ofSessions, ...sessionless]
    const entries = [
      ...(this.o.payter ? await this.payter(this.o.payter, ours.filter((p) => p.provider === 'payter')) : []),
      ...(this.o.ccv ? await this.ccv(this.o.ccv, ours.filter((p) => p.provider === 'ccv'), new Set(terminals.filter((t) => t.provider === 'ccv').map((t) => t.id)), o) : []),
    ]
    const without = new Set(sessionless.map((p) => p.id))
    const differences: Difference[] = []
    for (const e of entries) {
      if (!without.has(e.id)) continue
      const p = sessionless.find((x) => x.id === e.id)!
      const why = p.refusal ? ` (${p.refusal})` : ''
      if (e.status === 'requires_capture') {
        differences.push({ kind: 'open_authorisation', sessionId: null, paymentId: e.id, detail: `${p.provider} still holds ${e.amount} on card …${p.cardLast4 ?? '????'} at ${p.terminalId}, which started no session${why}.` })
      }
      if (e.amountCaptured > 0) {
        differences.push({ kind: 'captured_without_receipt', sessionId: null, paymentId: e.id, detail: `${p.provider} captured ${e.amountCaptured} on an authorisation that started no session${why}.` })
      }
    }
    return { entries: entries.filter((e) => !without.has(e.id)), differences }
  }

  /** Payter: each authorisation read back (no list or report in CPS); one it does not know is left out (missing at the provider). */
  private async payter(cloud: PayterCloud, ours: Payment[]): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = []
    for (const p of ours) {
      let a: TerminalAuthorisation
      try {
        a = await cloud.getAuthorisation(p.terminalId, p.id)
      } catch (error) {
        if (error instanceof TerminalRefusal && error.code === 'resource_missing') continue
        throw error
      }
      const status = a.status === 'authorized' ? 'requires_capture' : a.status === 'committed' ? 'succeeded' : a.status === 'pending' ? 'processing' : 'canceled'
      entries.push({ id: a.id, status, amount: a.amount, currency: a.currency, amountCaptured: a.committed, amountRefunded: 0, booked: a.status === 'committed' ? a.committed : null, createdAt: p.createdAt, sessionId: null })
    }
    return entries
  }

  /**
   * CCV: the period's authorisations at the site's terminals (declined and pending ones moved no
   * money and are left out), ours from other periods read by reference, and the captures on them all.
   */
  private async ccv(cloud: CcvCloud, ours: Payment[], terminals: Set<string>, o: { from: Date; to: Date }): Promise<LedgerEntry[]> {
    const listed = (await cloud.transactions({ type: 'authorise', createdAfter: o.from, createdBefore: o.to })).filter(
      (t) => t.status === 'success' && t.details?.terminalId && terminals.has(t.details.terminalId),
    )
    const byRef = new Map(listed.map((t) => [t.reference, t]))
    for (const p of ours) {
      if (byRef.has(p.id)) continue
      try {
        byRef.set(p.id, await cloud.transaction(p.id))
      } catch (error) {
        if (!(error instanceof TerminalRefusal && error.code === 'resource_missing')) throw error
      }
    }
    const references = [...byRef.keys()]
    const captures: CcvTransaction[] = []
    for (let i = 0; i < references.length; i += 50) {
      captures.push(...(await cloud.transactions({ type: 'capture', originalReferences: references.slice(i, i + 50) })))
    }
    const created = new Map(ours.map((p) => [p.id, p.createdAt]))
    return [...byRef.values()].map((t): LedgerEntry => {
      const captured = t.details?.capturedAmount != null ? toMinor(t.details.capturedAmount) : 0
      const moved = captures.filter((c) => c.originalReference === t.reference && c.status === 'success')
      const status =
        t.status === 'pending' ? 'processing' : t.status !== 'success' ? 'canceled' : t.details?.capturedAmount != null ? 'succeeded' : t.details?.reversed ? 'canceled' : 'requires_capture'
      return {
        id: t.reference,
        status,
        amount: toMinor(t.amount ?? 0),
        currency: (t.currency ?? 'eur').toUpperCase(),
        amountCaptured: captured,
        amountRefunded: 0,
        booked: moved.length ? moved.reduce((sum, c) => sum + toMinor(c.amount ?? 0), 0) : null,
        createdAt: created.get(t.reference) ?? (t.created ? new Date(t.created) : o.from),
        sessionId: null,
      }
    })
  }
}
