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
  private readonly secret: () => Promise<Buffer>

  /** `keyName`: the row in signing_keys; `what`: the secret's name in errors. */
  constructor(
    db: Db,
    keyName: string,
    private readonly what: string,
  ) {
    this.secret = storedKey(db, keyName)
  }

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
}

/**
 * A random 32-byte key made once in signing_keys under `name` and read by every process: whoever
 * comes first makes it, everyone reads the one that won. Read once, kept; a failed read is tried again.
 */
export function storedKey(db: Db, name: string): () => Promise<Buffer> {
  let key: Promise<Buffer> | null = null
  const load = async () => {
    await db.insert(signingKeys).values({ name, secret: randomBytes(32).toString('base64url') }).onConflictDoNothing()
    const [row] = await db.select().from(signingKeys).where(eq(signingKeys.name, name))
    return Buffer.from(row.secret, 'base64url')
  }
  return () =>
    (key ??= load().catch((error: unknown) => {
      key = null
      throw error
    }))
}
