import { describe, expect, it } from 'vitest'
import { assertMinorUnits, roundHalfUp, roundUp, vatOf } from '../../bff/domain/money'

describe('roundHalfUp', () => {
  it.each([
    [0n, 1n, 0],
    [0n, 7n, 0],
    [5n, 10n, 1], // 0.5 up
    [4n, 10n, 0],
    [15n, 10n, 2],
    [25n, 10n, 3],
    [4999n, 10000n, 0], // 0.4999 down
    [5000n, 10000n, 1],
    [14999n, 10000n, 1],
    [15000n, 10000n, 2],
    [1n, 3n, 0],
    [2n, 3n, 1],
    [7n, 2n, 4],
    [49_999_999_999n, 100_000_000_000n, 0],
    [50_000_000_000n, 100_000_000_000n, 1],
    [-5n, 10n, -1], // away from zero below zero too
    [-4n, 10n, 0],
  ])('%d / %d = %d', (n, d, expected) => {
    expect(roundHalfUp(n, d)).toBe(expected)
  })

  it('never yields negative zero', () => {
    expect(Object.is(roundHalfUp(-4n, 10n), 0)).toBe(true)
  })

  it('lands within half a unit, ties going up, for every small rational', () => {
    const wrong: string[] = []
    for (let d = 1n; d <= 60n; d++) {
      for (let n = 0n; n <= 1500n; n++) {
        const r = BigInt(roundHalfUp(n, d))
        const twiceError = 2n * (n - r * d)
        // n/d - r is in [-1/2, 1/2): a tie (+1/2 exactly) is never left below
        if (!(twiceError >= -d && twiceError < d)) wrong.push(`${n}/${d} -> ${r}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('refuses a zero or negative denominator', () => {
    expect(() => roundHalfUp(1n, 0n)).toThrow(RangeError)
    expect(() => roundHalfUp(1n, -3n)).toThrow(RangeError)
  })

  it('refuses results beyond the safe integer range', () => {
    expect(() => roundHalfUp(2n ** 60n, 1n)).toThrow(RangeError)
    expect(roundHalfUp(BigInt(Number.MAX_SAFE_INTEGER), 1n)).toBe(Number.MAX_SAFE_INTEGER)
  })
})

describe('roundUp', () => {
  it.each([
    [0n, 5n, 0],
    [1n, 5n, 1],
    [5n, 5n, 1],
    [6n, 5n, 2],
    [10n, 5n, 2],
    [1n, 3_600_000n, 1],
  ])('%d / %d -> %d', (n, d, expected) => {
    expect(roundUp(n, d)).toBe(expected)
  })

  it('refuses a zero denominator', () => {
    expect(() => roundUp(1n, 0n)).toThrow(RangeError)
  })
})

describe('vatOf', () => {
  it.each([
    [12500, 2500, 2500],
    [0, 2500, 0],
    [1, 2500, 0], // 0.2
    [2, 2500, 0], // 0.4
    [3, 2500, 1], // 0.6
    [5, 2500, 1],
    [10, 2500, 2],
    [30000, 2500, 6000],
    [6111, 2500, 1222], // 1222.2
    [6113, 2500, 1223], // 1222.6
    [14, 1200, 2], // 14 × 12/112 = 1.5 exactly: half up
    [13, 1200, 1], // 1.39
    [106, 600, 6],
    [1000, 0, 0],
    [1000, 10000, 500],
  ])('VAT in %d at %d bp is %d', (total, bp, expected) => {
    expect(vatOf(total, bp)).toBe(expected)
  })

  it('is round(total × rate / (1 + rate)) and leaves a non-negative net, for many totals and rates', () => {
    const wrong: string[] = []
    for (const bp of [0, 600, 1200, 2000, 2400, 2500, 2550, 10000]) {
      let previous = 0
      for (let total = 0; total <= 20_000; total += 1) {
        const vat = vatOf(total, bp)
        const net = total - vat
        // exact: total×bp/(10000+bp) − vat is in [-1/2, 1/2), ties up
        const d = BigInt(10_000 + bp)
        const twiceError = 2n * (BigInt(total) * BigInt(bp) - BigInt(vat) * d)
        const ok = Number.isInteger(vat) && vat + net === total && net >= 0 && vat >= previous // monotone
          && twiceError >= -d && twiceError < d
        if (!ok) wrong.push(`${total} at ${bp} bp -> ${vat}`)
        previous = vat
      }
    }
    expect(wrong).toEqual([])
  })

  it('is a fifth of the gross at 25 % for multiples of 5', () => {
    for (let total = 0; total <= 1_000_000; total += 995) {
      if (total % 5 === 0) expect(vatOf(total, 2500)).toBe(total / 5)
    }
  })

  it('refuses a bad total or rate', () => {
    expect(() => vatOf(-1, 2500)).toThrow(RangeError)
    expect(() => vatOf(1.5, 2500)).toThrow(RangeError)
    expect(() => vatOf(100, -1)).toThrow(RangeError)
    expect(() => vatOf(100, 10001)).toThrow(RangeError)
    expect(() => vatOf(100, 25.5)).toThrow(RangeError)
  })
})

describe('assertMinorUnits', () => {
  it.each([0, 1, 30000, Number.MAX_SAFE_INTEGER])('accepts %d', (n) => {
    expect(() => assertMinorUnits(n, 'amount')).not.toThrow()
  })

  it.each([-1, 0.5, 1.0000001, NaN, Infinity, -Infinity, 2 ** 53])('refuses %d, naming the field', (n) => {
    expect(() => assertMinorUnits(n, 'hold amount')).toThrow(/hold amount/)
  })
})
