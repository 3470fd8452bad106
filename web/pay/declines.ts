/**
 * Why a card was refused, in the driver's words: the BFF and Stripe.js pass the provider's code,
 * never a text to show (the provider's message is English whatever the driver reads). Every Stripe
 * decline code (docs.stripe.com/declines/codes) and the card error codes around it land on one of
 * these reasons; an unknown code reads as a plain decline. Codes that point at fraud (lost, stolen,
 * fraudulent) read as a plain decline too, as Stripe advises.
 */
export const declineReasons = {
  declined: ['card_declined', 'generic_decline', 'fraudulent', 'lost_card', 'stolen_card', 'pickup_card', 'merchant_blacklist', 'security_violation', 'do_not_try_again', 'testmode_decline', 'live_mode_test_card', 'payment_intent_payment_attempt_failed'],
  callIssuer: ['call_issuer', 'do_not_honor', 'no_action_taken', 'restricted_card', 'invalid_account', 'new_account_information_available', 'not_permitted', 'revocation_of_all_authorizations', 'revocation_of_authorization', 'stop_payment_order'],
  insufficientFunds: ['insufficient_funds'],
  limitExceeded: ['card_velocity_exceeded', 'withdrawal_count_limit_exceeded'],
  expired: ['expired_card'],
  cvc: ['incorrect_cvc', 'invalid_cvc'],
  number: ['incorrect_number', 'invalid_number'],
  expiry: ['invalid_expiry_month', 'invalid_expiry_year'],
  pin: ['incorrect_pin', 'invalid_pin', 'pin_try_exceeded', 'offline_pin_required', 'online_or_offline_pin_required'],
  postalCode: ['incorrect_zip'],
  authentication: ['authentication_required', 'approve_with_id', 'payment_intent_authentication_failure', 'card_not_authorized'],
  notSupported: ['card_not_supported', 'transaction_not_allowed', 'service_not_allowed'],
  currency: ['currency_not_supported'],
  tryAgain: ['processing_error', 'reenter_transaction', 'try_again_later', 'issuer_not_available', 'card_decline_rate_limit_exceeded'],
  duplicate: ['duplicate_transaction'],
  amount: ['invalid_amount'],
} as const

export type DeclineReason = keyof typeof declineReasons

const reasonOf = new Map<string, DeclineReason>(
  Object.entries(declineReasons).flatMap(([reason, codes]) => codes.map((code) => [code, reason as DeclineReason])),
)

/** Whether an error code is the card being refused (rather than, say, the connection). */
export const isDecline = (code: string) => reasonOf.has(code)

/** The message key (`pay.decline.*`) for a provider's code. */
export const declineKey = (code: string) => `pay.decline.${reasonOf.get(code) ?? 'declined'}`
