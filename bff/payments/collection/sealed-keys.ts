/**
 * An owner's Stripe secret key and webhook secret must be readable again to call Stripe and check
 * signatures, so they cannot be hashed: they are sealed with AES-256-GCM under a key made once in
 * signing_keys, apart from site_collections (an export or log of that table shows no key).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Db } from '../../store/db'
import { signingKeys } from '../../store/schema'

const keyName = 'owner-payment-keys'

export class KeySealer {
  private key: Promise<Buffer> | null = null

  constructor(private readonly db: Db) {}

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url. */
  async seal(plain: string): Promise<string> {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', await this.secret(), iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
  }

  async open(sealed: string): Promise<string> {
    const [version, iv, tag, body] = sealed.split('.')
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('Not a sealed payment key')
    const decipher = createDecipheriv('aes-256-gcm', await this.secret(), Buffer.from(iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
  }

  private secret(): Promise<Buffer> {
    this.key ??= this.load().catch((error: unknown) => {
      this.key = null
      throw error
    })
    return this.key
  }

  private async load(): Promise<Buffer> {
    await this.db.insert(signingKeys).values({ name: keyName, secret: randomBytes(32).toString('base64url') }).onConflictDoNothing()
    const [row] = await this.db.select().from(signingKeys).where(eq(signingKeys.name, keyName))
    return Buffer.from(row.secret, 'base64url')
  }
}
