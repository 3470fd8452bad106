/** Secrets are stored hashed and compared in constant time. */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>

/** A random URL-safe token: stop tokens, receipt tokens, charger passwords. */
export function newToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url')
}

/** For high-entropy tokens a fast hash is enough: they cannot be guessed. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

export function tokenMatches(token: string, hash: string): boolean {
  const a = Buffer.from(hashToken(token))
  const b = Buffer.from(hash)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Passwords (charger Basic auth) get a salted, slow hash: `scrypt$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await scrypt(password, salt, 32)
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`
}

export async function verifyPassword(password: string | Buffer, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await scrypt(password.toString(), Buffer.from(salt, 'base64url'), expected.length)
  return timingSafeEqual(actual, expected)
}
