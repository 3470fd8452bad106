/**
 * Signatures for links and tickets that must not carry a secret of their own: receipt share links
 * (anyone holding the link may read the receipt) and short-lived tickets for EventSource, which cannot
 * send an Authorization header. One random key, made once in the database so that every process
 * signs and checks alike.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { signingKeys } from '../store/schema'

export type SignedPurpose = 'receipt-share' | 'session-events'

export class Signer {
  private key: Promise<Buffer> | null = null

  constructor(private readonly db: Db) {}

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

  private secret(): Promise<Buffer> {
    this.key ??= this.load().catch((error: unknown) => {
      this.key = null
      throw error
    })
    return this.key
  }

  private async load(): Promise<Buffer> {
    // Whoever comes first makes the key; everyone reads the one that won.
    await this.db.insert(signingKeys).values({ name: 'links', secret: randomBytes(32).toString('base64url') }).onConflictDoNothing()
    const [row] = await this.db.select().from(signingKeys).where(eq(signingKeys.name, 'links'))
    return Buffer.from(row.secret, 'base64url')
  }
}
