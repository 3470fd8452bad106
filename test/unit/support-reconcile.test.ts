import { describe, expect, it } from 'vitest'
import { reconcile, type OurPayment } from '../../bff/support/reconcile'
import type { LedgerEntry } from '../../bff/payments/provider'

const now = new Date('2025-03-02T12:00:00Z')
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000)

function ours(over: Partial<OurPayment> = {}): OurPayment {
  return {
    sessionId: 's1',
    state: 'completed',
    paymentId: 'pi_1',
    createdAt: hoursAgo(2),
    holdAmount: 30000,
    holdStatus: 'captured',
    capturedAmount: 1200,
    releasedAmount: 28800,
    refundedAmount: 0,
    receipt: { number: '5591234567-000001', total: 1200, nothingCharged: false },
    ...over,
  }
}

/** The provider's entry; its balance books what it captured unless a test says otherwise. */
function theirs(over: Partial<LedgerEntry> = {}): LedgerEntry {
  const entry = { id: 'pi_1', status: 'succeeded' as const, amount: 30000, currency: 'SEK', amountCaptured: 1200, amountRefunded: 0, createdAt: hoursAgo(2), sessionId: 's1', ...over }
  return { ...entry, booked: 'booked' in over ? (over.booked ?? null) : entry.amountCaptured > 0 ? entry.amountCaptured : null }
}

const kinds = (o: OurPayment[], l: LedgerEntry[], staleHoldHours = 24) => reconcile(o, l, { now, staleHoldHours }).differences.map((d) => d.kind).sort()

describe('reconcile', () => {
  it('a clean captured session has no difference', () => {
    expect(kinds([ours()], [theirs()])).toEqual([])
  })

  it('a released session with nothing charged has no difference', () => {
    const released = ours({ holdStatus: 'released', capturedAmount: 0, releasedAmount: 30000, receipt: { number: 'n', total: 0, nothingCharged: true } })
    expect(kinds([released], [theirs({ status: 'canceled', amountCaptured: 0 })])).toEqual([])
  })

  it('a free (grant) session without a payment has no difference', () => {
    expect(kinds([ours({ paymentId: null, capturedAmount: 0, holdAmount: 0, holdStatus: 'none' })], [])).toEqual([])
  })

  it('captured at the provider, no receipt of ours', () => {
    expect(kinds([ours({ receipt: null, state: 'settling', holdStatus: 'held', capturedAmount: 0 })], [theirs()])).toEqual(['amount_mismatch', 'captured_without_receipt'])
    expect(kinds([ours({ receipt: null, state: 'settling' })], [theirs()])).toEqual(['captured_without_receipt'])
  })

  it('a receipt for money the provider never captured', () => {
    const d = kinds([ours({ capturedAmount: 0 })], [theirs({ status: 'canceled', amountCaptured: 0 })])
    expect(d).toEqual(['amount_mismatch', 'receipt_without_capture', 'status_mismatch'])
  })

  it('amount mismatch between our capture and theirs, and between the receipt and our capture', () => {
    expect(kinds([ours()], [theirs({ amountCaptured: 1300 })])).toEqual(['amount_mismatch'])
    expect(kinds([ours({ receipt: { number: 'n', total: 1100, nothingCharged: false } })], [theirs()])).toEqual(['amount_mismatch'])
  })

  it("the provider's balance books another amount than the payment captured, or nothing", () => {
    expect(kinds([ours()], [theirs({ booked: 1100 })])).toEqual(['balance_mismatch'])
    expect(kinds([ours()], [theirs({ booked: null })])).toEqual(['balance_mismatch'])
    expect(kinds([ours()], [theirs({ booked: 1200 })])).toEqual([])
  })

  it('refunds that do not add up', () => {
    expect(kinds([ours({ refundedAmount: 200 })], [theirs({ amountRefunded: 0 })])).toEqual(['refund_mismatch'])
    expect(kinds([ours({ refundedAmount: 200 })], [theirs({ amountRefunded: 200 })])).toEqual([])
  })

  it('a hold older than N hours still uncaptured, at any state of ours', () => {
    const held = ours({ state: 'failed', holdStatus: 'held', capturedAmount: 0, receipt: null })
    expect(kinds([held], [theirs({ status: 'requires_capture', amountCaptured: 0, createdAt: hoursAgo(25) })])).toEqual(['stale_hold'])
    expect(kinds([held], [theirs({ status: 'requires_capture', amountCaptured: 0, createdAt: hoursAgo(23) })])).toEqual([])
    expect(kinds([held], [theirs({ status: 'requires_capture', amountCaptured: 0, createdAt: hoursAgo(3) })], 2)).toEqual(['stale_hold'])
    const live = ours({ state: 'charging', holdStatus: 'held', capturedAmount: 0, receipt: null })
    expect(kinds([live], [theirs({ status: 'requires_capture', amountCaptured: 0, createdAt: hoursAgo(30) })])).toEqual(['stale_hold'])
  })

  it('we say released, the provider still holds', () => {
    const released = ours({ state: 'cancelled', holdStatus: 'released', capturedAmount: 0, receipt: null })
    expect(kinds([released], [theirs({ status: 'requires_capture', amountCaptured: 0 })])).toEqual(['status_mismatch'])
  })

  it('a payment of ours the provider does not know, and one of theirs we do not know', () => {
    const r = reconcile([ours()], [theirs({ id: 'pi_other', sessionId: 'zz' })], { now, staleHoldHours: 24 })
    expect(r.differences.map((d) => [d.kind, d.sessionId, d.paymentId])).toEqual([
      ['missing_at_provider', 's1', 'pi_1'],
      ['unknown_at_provider', null, 'pi_other'],
    ])
    expect(r.differences[1].detail).toContain('zz')
    expect(kinds([ours({ paymentId: null })], [])).toEqual(['missing_at_provider'])
  })

  it('rows and totals set both sides side by side', () => {
    const r = reconcile(
      [ours(), ours({ sessionId: 's2', paymentId: 'pi_2', capturedAmount: 500, releasedAmount: 29500, refundedAmount: 100, receipt: { number: 'm', total: 500, nothingCharged: false } })],
      [theirs(), theirs({ id: 'pi_2', sessionId: 's2', amountCaptured: 500, amountRefunded: 100 })],
      { now, staleHoldHours: 24 },
    )
    expect(r.differences).toEqual([])
    expect(r.totals).toEqual({ sessions: 2, captured: 1700, refunded: 100, released: 58300, providerCaptured: 1700, providerRefunded: 100 })
    expect(r.rows[1]).toMatchObject({ sessionId: 's2', receiptNumber: 'm', provider: { status: 'succeeded', captured: 500, refunded: 100 } })
  })
})
