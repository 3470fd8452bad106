/** Per-session OCPP idTags, so Authorize and StartTransaction bind to the right session. */
import { randomBytes } from 'node:crypto'

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const prefix = 'LP'
/** OCPP 1.6 idToken is CiString20. */
const length = 20
const sessionIdTagPattern = /^LP[A-Z2-7]{18}$/

/** 'LP' and 18 random base32 characters (90 bits). */
export function newIdTag(): string {
  const bytes = randomBytes(length - prefix.length)
  // 256 is a multiple of 32, so the low five bits of each byte are uniform
  return prefix + Array.from(bytes, (b) => base32[b & 31]).join('')
}

export function isSessionIdTag(s: string): boolean {
  return sessionIdTagPattern.test(s)
}
