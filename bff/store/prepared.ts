/**
 * Statements built once per database. Building a drizzle select of a whole row costs several times
 * what running it does; a prepared one is built once, and on PostgreSQL it is a named statement,
 * parsed once per connection. For the reads every session change, view and intent makes. Not
 * inside transactions (a prepared statement belongs to the pool, not to the transaction's client).
 */
import type { Db } from './db'

export function prepared<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>()
  return (db) => {
    let statement = built.get(db)
    if (!statement) built.set(db, (statement = build(db)))
    return statement
  }
}
