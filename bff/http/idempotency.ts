/**
 * `Idempotency-Key` bound to its request: the same key again with the same request repeats the answer
 * (the service dedupes by key), with another request it is refused, 422 `idempotency_key_reused`, as
 * Stripe does. The key's hash and the request's fingerprint are kept in `idempotency_keys`; the first
 * request to insert wins, a concurrent one waits on the primary key and compares.
 */
import { eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { idempotencyKeys } from '../store/schema'
import { hashToken } from '../secrets'
import { AppError } from '../errors'

/** JSON with object keys sorted, so that the same request always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

/** Records `key` for `request` under `scope` ("POST /api/sessions"), or throws when it was used for another request. */
export async function claimIdempotencyKey(db: Db, scope: string, key: string, request: unknown): Promise<void> {
  const keyHash = hashToken(`${scope}\n${key}`)
  const requestHash = hashToken(canonical(request))
  const inserted = await db.insert(idempotencyKeys).values({ keyHash, requestHash }).onConflictDoNothing().returning({ keyHash: idempotencyKeys.keyHash })
  if (inserted.length > 0) return
  const [first] = await db.select({ requestHash: idempotencyKeys.requestHash }).from(idempotencyKeys).where(eq(idempotencyKeys.keyHash, keyHash))
  if (first && first.requestHash !== requestHash) {
    throw new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different request. Send a new key with a new request.')
  }
}
