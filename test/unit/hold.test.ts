import { describe, expect, it } from 'vitest'
import { assumedHoldLifetimeMs, captureDeadline, captureMarginMs, smallestCap } from '../../bff/domain/hold'
import { chargeFor } from '../../bff/domain/charge'
import { supportActions, type SupportFacts } from '../../bff/domain/session'

const placedAt = new Date('2026-05-01T10:00:00Z')
const day = 24 * 3600_000

describe('captureDeadline', () => {
  it('captures half a day before the provider lets the hold lapse', () => {
    const lapse = new Date(placedAt.getTime() + 7 * day)
    expect(captureDeadline(placedAt, lapse)).toEqual(new Date(Math.min(lapse.getTime() - captureMarginMs, placedAt.getTime() + assumedHoldLifetimeMs)))
    const short = new Date(placedAt.getTime() + 2 * day)
    expect(captureDeadline(placedAt, short)).toEqual(new Date(short.getTime() - captureMarginMs))
  })

  it('assumes four days without the provider\'s deadline', () => {
    expect(captureDeadline(placedAt, null)).toEqual(new Date(placedAt.getTime() + 4 * day))
    expect(captureDeadline(placedAt, new Date('nope'))).toEqual(new Date(placedAt.getTime() + 4 * day))
  })

  it('is never before the hold was placed', () => {
    expect(captureDeadline(placedAt, new Date(placedAt.getTime() + 3600_000))).toEqual(placedAt)
  })
})

describe('smallestCap', () => {
  it('is 10.00 or the provider minimum, whichever is larger', () => {
    expect(smallestCap(300)).toBe(1000)
    expect(smallestCap(5000)).toBe(5000)
  })
})

describe('chargeFor: the one amount page, history and receipt show', () => {
  const card = { method: 'card' as const, holdAmount: 30_000, minimumCharge: 300 }

  it('captures the cost, at most the hold', () => {
    expect(chargeFor({ ...card, cost: { total: 1485 }, energyWh: 3000 })).toEqual({ amount: 1485, basis: 'card', cost: 1485, minimumCharge: 300 })
    expect(chargeFor({ ...card, cost: { total: 45_000 }, energyWh: 90_000 })).toMatchObject({ amount: 30_000, basis: 'card', cost: 45_000 })
  })

  it('charges nothing under the provider minimum, and says why', () => {
    expect(chargeFor({ ...card, cost: { total: 207 }, energyWh: 418 })).toEqual({ amount: 0, basis: 'below_minimum', cost: 207, minimumCharge: 300 })
    expect(chargeFor({ ...card, cost: { total: 300 }, energyWh: 606 })).toMatchObject({ amount: 300, basis: 'card' })
  })

  it('charges nothing when no energy was delivered', () => {
    expect(chargeFor({ ...card, cost: { total: 0 }, energyWh: 0 })).toMatchObject({ amount: 0, basis: 'nothing_used' })
    // a session fee alone, with no energy, is not a sale
    expect(chargeFor({ ...card, cost: { total: 500 }, energyWh: 0 })).toMatchObject({ amount: 0, basis: 'nothing_used' })
  })

  it('a grant is invoiced by the owner, never charged to a card; an open charger is free', () => {
    expect(chargeFor({ method: 'grant', cost: { total: 120 }, energyWh: 500, holdAmount: 0, minimumCharge: 300 })).toMatchObject({ amount: 120, basis: 'invoiced_by_owner' })
    expect(chargeFor({ method: 'open', cost: { total: 0 }, energyWh: 500, holdAmount: 0, minimumCharge: 300 })).toMatchObject({ amount: 0, basis: 'free' })
  })
})

describe('supportActions: one rule for the server and the console', () => {
  const base: SupportFacts = {
    state: 'charging', method: 'card', holdStatus: 'held', paymentId: 'pi_1', capturedAmount: 0, refundedAmount: 0,
    hasReceipt: false, hasSimplifiedInvoice: false,
  }

  it('stop only while starting or charging; end for anything not final', () => {
    for (const state of ['pending', 'starting', 'charging', 'stopping', 'settling'] as const) {
      expect(supportActions({ ...base, state }).end).toBe(true)
      expect(supportActions({ ...base, state }).stop).toBe(state === 'starting' || state === 'charging')
    }
    for (const state of ['completed', 'failed', 'cancelled'] as const) {
      expect(supportActions({ ...base, state })).toMatchObject({ end: false, stop: false })
    }
  })

  it('release only an open hold of an ended session; a live one is ended instead', () => {
    expect(supportActions({ ...base, state: 'settling' }).releaseHold).toBe(false)
    expect(supportActions({ ...base, state: 'failed' }).releaseHold).toBe(true)
    expect(supportActions({ ...base, state: 'completed', holdStatus: 'failed' }).releaseHold).toBe(true)
    expect(supportActions({ ...base, state: 'completed', holdStatus: 'released' }).releaseHold).toBe(false)
    expect(supportActions({ ...base, state: 'completed', holdStatus: 'captured' }).releaseHold).toBe(false)
    expect(supportActions({ ...base, state: 'completed', method: 'grant', paymentId: null, holdStatus: 'none' }).releaseHold).toBe(false)
  })

  it('refund what was captured and not yet refunded', () => {
    expect(supportActions({ ...base, state: 'completed', holdStatus: 'captured', capturedAmount: 1485 }).refund).toBe(true)
    expect(supportActions({ ...base, state: 'completed', holdStatus: 'captured', capturedAmount: 1485, refundedAmount: 1485 }).refund).toBe(false)
    expect(supportActions({ ...base, state: 'completed' }).refund).toBe(false)
  })

  it('receipts: resend one that exists, reissue a simplified invoice', () => {
    expect(supportActions({ ...base, state: 'completed', hasReceipt: true, hasSimplifiedInvoice: true })).toMatchObject({ resendReceipt: true, reissueInvoice: true })
    expect(supportActions(base)).toMatchObject({ resendReceipt: false, reissueInvoice: false })
  })
})
