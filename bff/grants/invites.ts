/** Invite codes: 10 characters a person can read out and type, shown once, stored hashed. */
import { randomInt } from 'node:crypto'
import { hashToken } from '../secrets'

/** No 0/O, 1/I/L: nothing to confuse when typed from a screen or a sticker. */
const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
export const inviteCodeLength = 10

export function newInviteCode(): string {
  return Array.from({ length: inviteCodeLength }, () => alphabet[randomInt(alphabet.length)]).join('')
}

/** As typed: lower case, spaces and dashes allowed. Null when it cannot be a code. */
export function normalizeInviteCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, '').toUpperCase()
  return code.length === inviteCodeLength && [...code].every((ch) => alphabet.includes(ch)) ? code : null
}

export const inviteCodeHash = (code: string) => hashToken(`invite:${code}`)
