/**
 * What a card terminal displays, in its configured language: Swedish unless set, any of the app's
 * six languages when set (`terminal add --language`). The whole BFF with a Payter terminal behind the
 * local fake of Payter's cloud, from the price before the tap to the total and the receipt QR code.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { connectCharger, startTestSystem, until, type TestSystem } from '../support/system'
import { startFakePayter, payterTestCards, type FakePayter } from '../../bff/sim/payter-cloud'
import { paymentTerminals, sessions, terminalPayments } from '../../bff/store/schema'
import { addTerminal } from '../../bff/terminals/provision'
import { terminalLanguages, terminalTexts } from '../../bff/terminals/texts'
import type { SimChargePoint } from '../../bff/sim/charge-point'

let sys: TestSystem | undefined
let cp: SimChargePoint | undefined
let payter: FakePayter
afterEach(async () => {
  await cp?.close()
  await sys?.close()
  await payter?.close()
  cp = sys = undefined
})

/** NBSP and narrow NBSP, as Intl writes them between number and currency, read as plain spaces. */
const plain = (lines: string[]) => lines.map((l) => l.replace(/[\u00a0\u202f]/g, ' '))

describe('terminal texts', () => {
  it('every language has its own words, none left in English', () => {
    for (const key of ['tapToStart', 'declined', 'wrongCard', 'stopping', 'notStarted', 'presentCard'] as const) {
      expect(new Set(terminalLanguages.map((l) => terminalTexts[l][key])).size).toBe(terminalLanguages.length)
    }
  })

  it('Swedish unless configured; a German terminal speaks German from the price to the receipt', async () => {
    payter = await startFakePayter()
    const { openDemoStore } = await import('../support/store')
    const store = await openDemoStore()
    await addTerminal(store.db, { id: 'P68-SV', chargerId: 'DEMO-1', provider: 'payter', connectorIds: [1] })
    await addTerminal(store.db, { id: 'P68-DE', chargerId: 'DEMO-1', provider: 'payter', connectorIds: [2], language: 'de' })
    await expect(addTerminal(store.db, { id: 'P68-XX', chargerId: 'DEMO-1', provider: 'payter', language: 'xx' })).rejects.toMatchObject({ code: 'invalid_language' })
    // Adding a terminal again keeps its language.
    await addTerminal(store.db, { id: 'P68-DE', chargerId: 'DEMO-1', provider: 'payter', connectorIds: [2] })
    expect((await store.db.select().from(paymentTerminals).where(eq(paymentTerminals.id, 'P68-DE')))[0].language).toBe('de')
    const system = await startTestSystem({ store, terminals: { payter: { apiUrl: payter.url, apiKey: payter.apiKey } } })
    const close = system.close
    system.close = async () => {
      await close()
      await store.close()
    }
    sys = system
    cp = await connectCharger(system)

    // Before any tap: the price in AFIR order and the hold.
    expect(plain(payter.screen('P68-SV').lines)).toEqual([
      'DEMO-1',
      '4,95 kr/kWh',
      'Tomgångsavgift 1,00 kr/min efter 30 min',
      'Reserverat belopp 300,00 kr; du betalar bara det du använder',
      'Blippa ditt kort för att starta',
    ])
    expect(plain(payter.screen('P68-DE').lines)).toEqual([
      'DEMO-1',
      '4,95 SEK/kWh',
      'Standgebühr 1,00 SEK/min nach 30 min',
      'Reservierung 300,00 SEK; Sie zahlen nur, was Sie nutzen',
      'Zum Starten Karte vorhalten',
    ])

    // The German terminal: start, another card refused, stop by the same card, total and receipt.
    expect(await payter.tap('P68-DE', payterTestCards[0])).toBe(true)
    const payment = await until('started', async () => (await system.store.db.select().from(terminalPayments)).find((p) => p.terminalId === 'P68-DE' && p.status === 'started') ?? null)
    expect(payter.screen('P68-DE').lines).toEqual(['Anschluss 2: Fahrzeug anschließen', 'Stoppen: dieselbe Karte vorhalten oder Stecker ziehen'])
    await cp.plugIn(2)
    const session = async () => (await system.store.db.select().from(sessions).where(eq(sessions.paymentId, payment.id)))[0]
    await until('energy', async () => (await session()).energyWh > 1000)
    await payter.tap('P68-DE', payterTestCards[1])
    await until('refused', () => payter.screen('P68-DE').lines[0] === 'Mit dieser Karte wurde hier kein Ladevorgang gestartet')
    expect(payter.screen('P68-DE').lines[1]).toBe('Es wurde nichts belastet')
    await payter.tap('P68-DE', payterTestCards[0])
    await until('stopping', () => payter.screen('P68-DE').lines[0] === 'Der Ladevorgang wird beendet')
    await until('settling', async () => (await session()).state === 'settling')
    await cp.unplug(2)
    const done = await until('completed', async () => ((await session()).state === 'completed' ? session() : null))
    const end = await until('receipt QR', () => (payter.screen('P68-DE').qrCode ? payter.screen('P68-DE') : null))
    const total = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'SEK' }).format(done.capturedAmount! / 100)
    expect(end.lines.slice(0, 3)).toEqual([
      `Gesamt ${total}`,
      `${new Intl.NumberFormat('de-DE', { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(done.energyWh / 1000)} kWh`,
      `Beleg ${done.receiptNumber}: Code scannen`,
    ])
    // The Swedish terminal beside it was never touched: still its idle screen.
    expect(payter.screen('P68-SV').lines.at(-1)).toBe('Blippa ditt kort för att starta')
  })
})
