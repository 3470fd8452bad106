/**
 * Secrets we must read again (an owner's Zaptec API password, an owner's Stripe keys) cannot be
 * hashed like our own: they are sealed with AES-256-GCM under a key made once in signing_keys, one
 * key per kind of secret, apart from the tables that hold them (an export or log of those shows no
 * secret).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Db } from './store/db'
import { signingKeys } from './store/schema'

export class Sealer {
  private key: Promise<Buffer> | null = null

  /** `keyName`: the row in signing_keys; `what`: the secret's name in errors. */
  constructor(
    private readonly db: Db,
    private readonly keyName: string,
    private readonly what: string,
  ) {}

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url. */
  async seal(plain: string): Promise<string> {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', await this.secret(), iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
  }

  async open(sealed: string): Promise<string> {
    const [version, iv, tag, body] = sealed.split('.')
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error(`Not a sealed ${this.what}`)
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
    await this.db.insert(signingKeys).values({ name: this.keyName, secret: randomBytes(32).toString('base64url') }).onConflictDoNothing()
    const [row] = await this.db.select().from(signingKeys).where(eq(signingKeys.name, this.keyName))
    return Buffer.from(row.secret, 'base64url')
  }
}
