import { describe, expect, it } from 'vitest'
import { feeOf, feeRefundedFor } from '../../bff/payments/collection/fee'

describe('the platform fee', () => {
  it('is basis points of what was captured, rounded half up once', () => {
    expect(feeOf(10_000, 500)).toBe(500)
    expect(feeOf(321, 500)).toBe(16) // 16.05
    expect(feeOf(330, 500)).toBe(17) // 16.5 rounds up
    expect(feeOf(329, 500)).toBe(16) // 16.45
    expect(feeOf(0, 500)).toBe(0)
    expect(feeOf(1234, 0)).toBe(0)
  })

  it('never exceeds the amount and refuses what is not money or not a rate', () => {
    expect(feeOf(7, 10_000)).toBe(7)
    expect(() => feeOf(1.5, 500)).toThrow(RangeError)
    expect(() => feeOf(-1, 500)).toThrow(RangeError)
    expect(() => feeOf(100, 10_001)).toThrow(RangeError)
    expect(() => feeOf(100, 2.5)).toThrow(RangeError)
  })
})

describe('the fee given back by refunds', () => {
  it('follows the running refunded total in proportion, and a full refund gives back the whole fee', () => {
    expect(feeRefundedFor(16, 321, 0)).toBe(0)
    expect(feeRefundedFor(16, 321, 160)).toBe(8) // 7.975
    expect(feeRefundedFor(16, 321, 107)).toBe(5) // 5.33
    expect(feeRefundedFor(16, 321, 321)).toBe(16)
    expect(feeRefundedFor(17, 333, 111) + (feeRefundedFor(17, 333, 222) - feeRefundedFor(17, 333, 111)) + (feeRefundedFor(17, 333, 333) - feeRefundedFor(17, 333, 222))).toBe(17)
    expect(feeRefundedFor(0, 0, 0)).toBe(0)
  })
})
