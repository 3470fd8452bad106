/**
 * Card checks for the simulated provider: what Stripe.js checks before submitting, and what the
 * issuer answers for Stripe's test card numbers. Pure functions; the full number never leaves here.
 */
import { createHmac } from 'node:crypto'
import { PaymentError } from './provider'

export interface CardInput {
  /** Digits, spaces and dashes allowed: "4242 4242 4242 4242". */
  number: string
  expMonth: number
  /** Four digits, or two (20xx). */
  expYear: number
  cvc: string
}

export interface CheckedCard {
  brand: string
  last4: string
  fingerprint: string
  /** The digits only; for the issuer's answer, never to be stored. */
  number: string
}

/** Stripe's wording, so the simulated flow reads like the real one. */
export const cardMessages = {
  card_declined: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  expired_card: 'Your card has expired.',
  incorrect_cvc: "Your card's security code is incorrect.",
  incorrect_number: 'Your card number is incorrect.',
  invalid_cvc: "Your card's security code is invalid.",
  invalid_expiry_month: "Your card's expiration month is invalid.",
  lost_card: 'Your card was declined.',
  stolen_card: 'Your card was declined.',
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
  card_velocity_exceeded: 'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
} as const

export type CardErrorCode = keyof typeof cardMessages

/** Stripe's test cards that the issuer refuses, by the refusal. */
const declinedTestCards: Record<string, CardErrorCode> = {
  '4000000000000002': 'card_declined',
  '4000000000009995': 'insufficient_funds',
  '4000000000000069': 'expired_card',
  '4000000000000127': 'incorrect_cvc',
  '4000000000009987': 'lost_card',
  '4000000000009979': 'stolen_card',
  '4000000000000119': 'processing_error',
  '4000000000006975': 'card_velocity_exceeded',
}

/** A fixed key: the same number gets the same fingerprint across restarts, as with Stripe. */
const fingerprintKey = 'laddpunkt-simulated-card-fingerprint'

export function cardError(code: CardErrorCode): PaymentError {
  return new PaymentError(cardMessages[code], code)
}

export function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

export function cardBrand(digits: string): string {
  const two = Number(digits.slice(0, 2))
  const four = Number(digits.slice(0, 4))
  if (digits.startsWith('4')) return 'visa'
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard'
  if (two === 34 || two === 37) return 'amex'
  if (digits.startsWith('6011') || digits.startsWith('65') || (four >= 6440 && four <= 6499)) return 'discover'
  if (two === 35) return 'jcb'
  if (two === 36 || two === 30 || two === 38) return 'diners'
  return 'unknown'
}

export function cardFingerprint(digits: string): string {
  return createHmac('sha256', fingerprintKey).update(digits).digest('base64url').slice(0, 16)
}

/** Checks number (Luhn), expiry and CVC the way Stripe.js does; throws a PaymentError. */
export function checkCard(card: CardInput, now: Date): CheckedCard {
  const digits = card.number.replace(/[\s-]/g, '')
  if (!/^\d{12,19}$/.test(digits) || !luhnValid(digits)) throw cardError('incorrect_number')
  if (!Number.isInteger(card.expMonth) || card.expMonth < 1 || card.expMonth > 12) {
    throw cardError('invalid_expiry_month')
  }
  const year = card.expYear < 100 ? 2000 + card.expYear : card.expYear
  const thisMonth = now.getUTCFullYear() * 12 + now.getUTCMonth()
  if (year * 12 + (card.expMonth - 1) < thisMonth) throw cardError('expired_card')
  if (!/^\d{3,4}$/.test(card.cvc)) throw cardError('invalid_cvc')
  return { brand: cardBrand(digits), last4: digits.slice(-4), fingerprint: cardFingerprint(digits), number: digits }
}

/** The issuer's answer to an authorisation: null approves. */
export function issuerDecline(card: CheckedCard): CardErrorCode | null {
  return declinedTestCards[card.number] ?? null
}
