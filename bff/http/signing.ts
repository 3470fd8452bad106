/**
 * Signatures for links and tickets that must not carry a secret of their own: receipt share links
 * (anyone holding the link may read the receipt) and short-lived tickets for EventSource, which cannot
 * send an Authorization header. One random key, made once in the database so that every process
 * signs and checks alike.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Db } from '../store/db'
import { storedKey } from '../sealer'

export type SignedPurpose = 'receipt-share' | 'session-events'

export class Signer {
  private readonly secret: () => Promise<Buffer>

  constructor(db: Db) {
    this.secret = storedKey(db, 'links')
  }

  /** The signature of `subject` for `purpose`: 43 URL-safe characters. */
  async sign(purpose: SignedPurpose, subject: string): Promise<string> {
    return createHmac('sha256', await this.secret()).update(`${purpose}\n${subject}`).digest('base64url')
  }

  async verify(purpose: SignedPurpose, subject: string, signature: string): Promise<boolean> {
    const expected = Buffer.from(await this.sign(purpose, subject))
    const given = Buffer.from(signature)
    return expected.length === given.length && timingSafeEqual(expected, given)
  }

  /** A ticket for `subject`, valid until `expiresAt`: `<unix seconds>.<signature>`. */
  async ticket(purpose: SignedPurpose, subject: string, expiresAt: Date): Promise<string> {
    const until = Math.floor(expiresAt.getTime() / 1000)
    return `${until}.${await this.sign(purpose, `${subject}\n${until}`)}`
  }

  async checkTicket(purpose: SignedPurpose, subject: string, ticket: string, now: Date): Promise<boolean> {
    const [until, signature, extra] = ticket.split('.')
    if (!/^\d{1,12}$/.test(until ?? '') || !signature || extra !== undefined) return false
    if (Number(until) * 1000 <= now.getTime()) return false
    return this.verify(purpose, `${subject}\n${until}`, signature)
  }
}
