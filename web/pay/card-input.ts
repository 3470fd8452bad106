import type { TestCard } from '../api/payments'

/** Reads the simulated card form; null when a field is clearly not a card value. */
export function parseCard(number: string, expiry: string, cvc: string, now = new Date()): TestCard | null {
  const digits = number.replace(/[\s-]/g, '')
  const match = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(expiry.trim())
  if (!/^\d{12,19}$/.test(digits) || !match || !/^\d{3,4}$/.test(cvc.trim())) return null
  const expMonth = Number(match[1])
  if (expMonth < 1 || expMonth > 12) return null
  const century = Math.floor(now.getFullYear() / 100) * 100
  const expYear = match[2].length === 2 ? century + Number(match[2]) : Number(match[2])
  return { number: digits, expMonth, expYear, cvc: cvc.trim() }
}

/** "4242424242424242" → "4242 4242 4242 4242" while typing. */
export const groupCardNumber = (value: string) =>
  value.replace(/\D/g, '').slice(0, 19).replace(/(\d{4})(?=\d)/g, '$1 ')
