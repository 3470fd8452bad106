import { describe, expect, it } from 'vitest'
import { parseChargerRef, qrUrlFor, type ChargerRef } from '../../bff/domain/charger-ref'

const charger = (chargerId: string): ChargerRef => ({ kind: 'charger', chargerId })
const evse = (evseId: string): ChargerRef => ({ kind: 'evse', evseId })

describe('parseChargerRef', () => {
  it.each([
    // charger ids, as OCPP chargePointIds
    ['DEMO-1', charger('DEMO-1')],
    ['  DEMO-1\n', charger('DEMO-1')],
    ['demo-1', charger('demo-1')], // charge point ids keep their case
    ['CP_01.a:b*c', charger('CP_01.a:b*c')],
    ['1', charger('1')],
    ['A'.repeat(48), charger('A'.repeat(48))],
    ['DEMO*1', charger('DEMO*1')], // a star, but not after two letters
    // EVSE ids
    ['SE*LDP*EDEMO1*1', evse('SE*LDP*EDEMO1*1')],
    ['se*ldp*edemo1*1', evse('SE*LDP*EDEMO1*1')],
    ['SE%2ALDP%2AEDEMO1%2A1', evse('SE*LDP*EDEMO1*1')],
    ['se%2aldp%2aedemo1%2a2', evse('SE*LDP*EDEMO1*2')],
    ['DE*AB7*E840*6487', evse('DE*AB7*E840*6487')],
    ['NL*ALF*E000000001', evse('NL*ALF*E000000001')],
    [`SE*LDP*E${'1'.repeat(31)}`, evse(`SE*LDP*E${'1'.repeat(31)}`)],
    // QR code URLs
    ['https://laddpunkt.example/c/DEMO-1', charger('DEMO-1')],
    ['http://localhost:8080/c/DEMO-1', charger('DEMO-1')],
    ['https://laddpunkt.example/c/DEMO-1/', charger('DEMO-1')],
    ['https://laddpunkt.example/c/DEMO-1?utm_source=sticker#top', charger('DEMO-1')],
    ['https://laddpunkt.example/c/SE*LDP*EDEMO1*1', evse('SE*LDP*EDEMO1*1')],
    ['https://laddpunkt.example/c/SE%2ALDP%2AEDEMO1%2A1', evse('SE*LDP*EDEMO1*1')],
    ['https://laddpunkt.example/c/se%2aldp%2aedemo1%2a1', evse('SE*LDP*EDEMO1*1')],
    ['https://laddpunkt.example/c/CP%3A01', charger('CP:01')],
    ['HTTPS://LADDPUNKT.EXAMPLE/C/DEMO-1', charger('DEMO-1')], // QR alphanumeric mode is upper case
    ['https://example.com/laddpunkt/c/DEMO-2', charger('DEMO-2')], // PUBLIC_URL with a path
    ['  https://laddpunkt.example/c/DEMO-3  ', charger('DEMO-3')],
  ])('%j -> %j', (input, expected) => {
    expect(parseChargerRef(input)).toEqual(expected)
  })

  it.each([
    [''],
    ['   '],
    ['A'.repeat(49)], // chargePointId is at most 48
    ['x'.repeat(256)],
    [`https://laddpunkt.example/c/${'A'.repeat(240)}`], // over 255 in all
    ['DEMO 1'],
    ['DEMO-1\u0000'],
    ['DEMO\u00071'],
    ['DEMO-1\u200b'], // zero-width space
    ['DEMO‑1'], // non-breaking hyphen
    ['ＤＥＭＯ-1'], // full-width letters
    ['laddstation-ö'],
    ['../'],
    ['..'],
    ['.'],
    ['../../etc/passwd'],
    ['DEMO-1/..'],
    ['DEMO/1'],
    ['DEMO%2D1'],
    ['%'],
    ['SE*LDP'], // an EVSE id, cut short
    ['SE*LDP*'],
    ['SE*LDP*1234'], // no E
    ['SE*LD*EDEMO1*1'], // operator must be 3
    ['SE*LDPX*EDEMO1*1'],
    ['SE*LDP*EDEMO1*'], // trailing separator
    ['SE*LDP*EDEMO1**1'],
    ['SE*L-P*EDEMO1*1'],
    [`SE*LDP*E${'1'.repeat(32)}`], // outlet id over 31
    ['SÅ*LDP*EDEMO1*1'],
    ['https://laddpunkt.example/'],
    ['https://laddpunkt.example/c/'],
    ['https://laddpunkt.example/c'],
    ['https://laddpunkt.example/x/DEMO-1'],
    ['https://laddpunkt.example/c/DEMO-1/extra'],
    ['https://laddpunkt.example/c/..%2F..%2Fetc'],
    ['https://laddpunkt.example/c/%2E%2E'],
    ['https://laddpunkt.example/c/DEMO%201'],
    ['https://laddpunkt.example/c/DEMO%00'],
    ['https://laddpunkt.example/c/%E0%A4%A'], // broken percent-encoding
    ['https://laddpunkt.example/c/%F0%9F%94%8C'], // a plug emoji
    ['https://'],
    ['https://exa mple.com/c/DEMO-1'],
    ['ftp://laddpunkt.example/c/DEMO-1'],
    ['javascript:alert(1)'],
    ['laddpunkt://c/DEMO-1'],
  ])('%j is not a charger', (input) => {
    expect(parseChargerRef(input)).toBeNull()
  })

  it('reads back every demo charger and EVSE from its QR code', () => {
    for (const id of ['DEMO-1', 'DEMO-2', 'DEMO-3', 'DEMO-4']) {
      expect(parseChargerRef(qrUrlFor('http://localhost:8080', id))).toEqual(charger(id))
      for (const connector of [1, 2]) {
        const evseId = `SE*LDP*E${id.replace('-', '')}*${connector}`
        expect(parseChargerRef(qrUrlFor('https://laddpunkt.example', evseId))).toEqual(evse(evseId))
      }
    }
  })
})

describe('qrUrlFor', () => {
  it.each([
    ['https://laddpunkt.example', 'DEMO-1', 'https://laddpunkt.example/c/DEMO-1'],
    ['https://laddpunkt.example/', 'DEMO-1', 'https://laddpunkt.example/c/DEMO-1'],
    ['http://localhost:8080', 'CP:01', 'http://localhost:8080/c/CP%3A01'],
    ['https://example.com/laddpunkt', 'DEMO-2', 'https://example.com/laddpunkt/c/DEMO-2'],
  ])('%s + %s -> %s', (publicUrl, id, url) => {
    expect(qrUrlFor(publicUrl, id)).toBe(url)
  })
})
