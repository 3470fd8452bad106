/**
 * Puts a payment terminal on a charger: `npm run cli -- terminal add <terminalId> --charger <id>
 * --provider payter|ccv [--serves 1,2] [--language sv]`. The language is what the terminal displays
 * in (Swedish unless given; adding the terminal again keeps the one it has).
 */
import { eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { connectors } from '../store/schema'
import { AppError } from '../errors'
import { paymentTerminals } from './schema'
import { isTerminalLanguage, terminalLanguages } from './texts'

export async function addTerminal(db: Db, input: { id: string; chargerId: string; provider: string; connectorIds?: number[]; language?: string }) {
  if (input.provider !== 'payter' && input.provider !== 'ccv') throw new AppError(400, 'invalid_provider', '--provider is payter or ccv.')
  if (input.language !== undefined && !isTerminalLanguage(input.language)) {
    throw new AppError(400, 'invalid_language', `--language is one of ${terminalLanguages.join(', ')}.`)
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(input.id)) throw new AppError(400, 'invalid_terminal_id', 'A terminal id is 1–64 letters, digits, dots, dashes or underscores.')
  const own = (await db.select({ id: connectors.connectorId }).from(connectors).where(eq(connectors.chargerId, input.chargerId))).map((c) => c.id)
  if (own.length === 0) throw new AppError(404, 'charger_not_found', `No charger ${input.chargerId}.`)
  const serves = input.connectorIds ?? own
  if (serves.some((c) => !own.includes(c))) throw new AppError(400, 'invalid_connectors', `${input.chargerId} has connectors ${own.join(', ')}.`)
  const [row] = await db
    .insert(paymentTerminals)
    .values({ id: input.id, provider: input.provider, chargerId: input.chargerId, connectorIds: serves, ...(input.language ? { language: input.language } : {}) })
    .onConflictDoUpdate({
      target: paymentTerminals.id,
      set: { provider: input.provider, chargerId: input.chargerId, connectorIds: serves, ...(input.language ? { language: input.language } : {}) },
    })
    .returning()
  return row
}
