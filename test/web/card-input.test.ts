import { describe, expect, it } from 'vitest'
import { formatExpiry, parseCard } from '../../web/pay/card-input'
import { declineKey, declineReasons, isDecline } from '../../web/pay/declines'
import { enScreens as en } from '../../web/locales/screens.en'
import { svScreens as sv } from '../../web/locales/screens.sv'
import { nbScreens as nb } from '../../web/locales/screens.nb'
import { daScreens as da } from '../../web/locales/screens.da'
import { fiScreens as fi } from '../../web/locales/screens.fi'
import { deScreens as de } from '../../web/locales/screens.de'

describe('expiry as typed', () => {
  it.each([
    ['1', '', '1'],
    ['12', '1', '12/'],
    ['122', '12/', '12/2'],
    ['12/29', '12/2', '12/29'],
    ['1229', '', '12/29'],
    ['5', '', '05/'],
    ['0', '', '0'],
    ['1/29', '', '01/29'],
    ['12/2029', '', '12/29'],
    ['12 / 29', '', '12/29'],
    ['12', '12/', '12'], // backspace over the slash takes it away
    ['12/', '12/2', '12'],
  ])('%s (was %s) shows %s', (typed, previous, shown) => {
    expect(formatExpiry(typed, previous)).toBe(shown)
  })

  it('reads MM/YY, MM/YYYY and the four digits alone', () => {
    const now = new Date('2026-03-01T00:00:00Z')
    for (const expiry of ['12/29', '12/2029', '1229', '12 / 29']) {
      expect(parseCard('4242 4242 4242 4242', expiry, '123', now), expiry).toMatchObject({ expMonth: 12, expYear: 2029 })
    }
    expect(parseCard('4242 4242 4242 4242', '13/29', '123', now)).toBeNull()
    expect(parseCard('4242 4242 4242 4242', '122', '123', now)).toBeNull()
  })
})

/** Stripe's decline codes (docs.stripe.com/declines/codes) and the card error codes around them. */
const stripeDeclineCodes = [
  'authentication_required', 'approve_with_id', 'call_issuer', 'card_not_supported', 'card_velocity_exceeded', 'currency_not_supported',
  'do_not_honor', 'do_not_try_again', 'duplicate_transaction', 'expired_card', 'fraudulent', 'generic_decline', 'incorrect_number',
  'incorrect_cvc', 'incorrect_pin', 'incorrect_zip', 'insufficient_funds', 'invalid_account', 'invalid_amount', 'invalid_cvc',
  'invalid_expiry_month', 'invalid_expiry_year', 'invalid_number', 'invalid_pin', 'issuer_not_available', 'lost_card',
  'merchant_blacklist', 'new_account_information_available', 'no_action_taken', 'not_permitted', 'offline_pin_required',
  'online_or_offline_pin_required', 'pickup_card', 'pin_try_exceeded', 'processing_error', 'reenter_transaction', 'restricted_card',
  'revocation_of_all_authorizations', 'revocation_of_authorization', 'security_violation', 'service_not_allowed', 'stolen_card',
  'stop_payment_order', 'testmode_decline', 'transaction_not_allowed', 'try_again_later', 'withdrawal_count_limit_exceeded',
  'card_declined', 'card_not_authorized',
]

describe('decline codes', () => {
  it('knows every Stripe decline code, and each lands on a reason every language words', () => {
    expect(stripeDeclineCodes.filter((code) => !isDecline(code))).toEqual([])
    const lookup = (messages: object, key: string) =>
      key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], messages)
    for (const [code, messages] of Object.entries({ en, sv, nb, da, fi, de })) {
      const missing = Object.keys(declineReasons).filter((reason) => typeof lookup(messages, `pay.decline.${reason}`) !== 'string')
      expect(missing, code).toEqual([])
    }
  })

  it('reads the specific reasons specifically, fraud as a plain decline, and an unknown code as a plain decline', () => {
    expect(declineKey('insufficient_funds')).toBe('pay.decline.insufficientFunds')
    expect(declineKey('incorrect_cvc')).toBe('pay.decline.cvc')
    expect(declineKey('expired_card')).toBe('pay.decline.expired')
    expect(declineKey('stolen_card')).toBe('pay.decline.declined')
    expect(declineKey('fraudulent')).toBe('pay.decline.declined')
    expect(declineKey('no_such_code_yet')).toBe('pay.decline.declined')
    expect(isDecline('network_error')).toBe(false)
  })
})
