import type { TestCard } from '../api/payments'

/** Reads the simulated card form; null when a field is clearly not a card value. */
export function parseCard(number: string, expiry: string, cvc: string, now = new Date()): TestCard | null {
  const digits = number.replace(/[\s-]/g, '')
  // "MM/YY", "MM/YYYY", or the four digits alone as typed without the slash.
  const match = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(expiry.trim()) ?? /^(\d{2})(\d{2})$/.exec(expiry.trim())
  if (!/^\d{12,19}$/.test(digits) || !match || !/^\d{3,4}$/.test(cvc.trim())) return null
  const expMonth = Number(match[1])
  if (expMonth < 1 || expMonth > 12) return null
  const century = Math.floor(now.getFullYear() / 100) * 100
  const expYear = match[2].length === 2 ? century + Number(match[2]) : Number(match[2])
  return { number: digits, expMonth, expYear, cvc: cvc.trim() }
}

/**
 * The expiry as it is typed on a numeric keypad, which has no "/": the slash comes by itself
 * ("1229" → "12/29"; "5" → "05/", since no month starts with 5). A slash typed or autofilled is
 * kept ("1/29" → "01/29", "12/2029" → "12/29"), and backspacing over the slash is not undone.
 */
export function formatExpiry(typed: string, previous = ''): string {
  const deleting = typed.length < previous.length
  const slashed = /^\s*(\d{1,2})\s*\/\s*(\d*)\s*$/.exec(typed)
  if (slashed) {
    const month = slashed[1].padStart(2, '0')
    const year = slashed[2].length >= 4 ? slashed[2].slice(2, 4) : slashed[2].slice(0, 2)
    return year || !deleting ? `${month}/${year}` : month
  }
  const digits = typed.replace(/\D/g, '').slice(0, 4)
  if (/^[2-9]$/.test(digits)) return `0${digits}/`
  if (digits.length > 2) return `${digits.slice(0, 2)}/${digits.slice(2)}`
  return digits.length === 2 && !deleting ? `${digits}/` : digits
}

/** "4242424242424242" → "4242 4242 4242 4242" while typing. */
export const groupCardNumber = (value: string) =>
  value.replace(/\D/g, '').slice(0, 19).replace(/(\d{4})(?=\d)/g, '$1 ')
