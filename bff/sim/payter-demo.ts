/**
 * The embedded demo's payment terminal: a Payter P68 on DEMO-3 (connector 1), behind the local fake
 * of Payter's Cloud Payment Service (payter-cloud.ts). The demo page /demo/terminal/<id> shows its
 * screen and "taps" the test cards below through the demo-only API (bff/routes/demo-terminals.ts).
 * The API key here is public on purpose, for the demo only, like the demo chargers' passwords.
 */
import { eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { connectors } from '../store/schema'
import { paymentTerminals } from '../terminals/schema'
import { startFakePayter, type FakePayter, type TestCard } from './payter-cloud'

export const demoPayter = { terminalId: 'P68-DEMO-3', chargerId: 'DEMO-3', connectorIds: [1], apiKey: 'demo-payter-api-key' } as const

/** The demo page's cards: one starts and stops, the other is refused while the first one charges. */
export const demoPayterCards: TestCard[] = [
  { cardId: 'demo-card-visa-4242', brand: 'visa', last4: '4242' },
  { cardId: 'demo-card-mastercard-5555', brand: 'mastercard', last4: '5555' },
]

/** Puts the demo terminal on DEMO-3, once. Returns whether it seeded. */
export async function seedPayterDemo(db: Db): Promise<boolean> {
  const [connector] = await db.select({ id: connectors.connectorId }).from(connectors).where(eq(connectors.chargerId, demoPayter.chargerId)).limit(1)
  if (!connector) return false
  const inserted = await db
    .insert(paymentTerminals)
    .values({ id: demoPayter.terminalId, provider: 'payter', chargerId: demoPayter.chargerId, connectorIds: [...demoPayter.connectorIds] })
    .onConflictDoNothing()
    .returning({ id: paymentTerminals.id })
  return inserted.length > 0
}

/** What the demo API needs of the fake: its display and a tap. */
export type DemoTerminalCloud = Pick<FakePayter, 'screen' | 'tap' | 'terminals'>

/** Starts the fake CPS for the demo; hand `url` and `apiKey` to startSystem's `terminals.payter`. */
export const startPayterDemo = () => startFakePayter({ apiKey: demoPayter.apiKey })
