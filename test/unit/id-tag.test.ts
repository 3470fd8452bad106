import { describe, expect, it } from 'vitest'
import { isSessionIdTag, newIdTag } from '../../bff/domain/id-tag'

describe('newIdTag', () => {
  it('draws 10 000 distinct, valid CiString20 tags', () => {
    const tags = Array.from({ length: 10_000 }, newIdTag)
    expect(new Set(tags).size).toBe(tags.length)
    const invalid = tags.filter((t) => t.length !== 20 || !/^LP[A-Z2-7]{18}$/.test(t) || !isSessionIdTag(t))
    expect(invalid).toEqual([])
  })

  it('uses the whole base32 alphabet at every position', () => {
    const tags = Array.from({ length: 10_000 }, newIdTag)
    for (let position = 2; position < 20; position++) {
      expect(new Set(tags.map((t) => t[position])).size).toBe(32)
    }
  })
})

describe('isSessionIdTag', () => {
  it.each([
    [''],
    ['LP'],
    ['LPAAAAAAAAAAAAAAAAA'], // 19
    ['LPAAAAAAAAAAAAAAAAAAA'], // 21
    ['lpaaaaaaaaaaaaaaaaaa'],
    ['XXAAAAAAAAAAAAAAAAAA'],
    ['LPAAAAAAAAAAAAAAAAA0'], // 0, 1, 8 and 9 are not base32
    ['LPAAAAAAAAAAAAAAAAA1'],
    ['LPAAAAAAAAAAAAAAAAA8'],
    ['LPAAAAAAAAAAAAAAAA-A'],
    ['04E3A2B2C1D0'], // an RFID card uid
  ])('%j is not a session idTag', (tag) => {
    expect(isSessionIdTag(tag)).toBe(false)
  })

  it('accepts the form it issues', () => {
    expect(isSessionIdTag('LPABCDEFGHIJKLMNOPQR')).toBe(true)
    expect(isSessionIdTag('LP234567ZZZZZZZZZZZZ')).toBe(true)
  })
})
