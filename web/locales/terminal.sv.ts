/** Demons kortterminalsida (demo.terminal), svenska. */
import type { terminalEn } from './terminal.en'

export const terminalSv: typeof terminalEn = {
  title: 'Kortterminal (demo)',
  intro: 'En simulerad kortterminal på {charger}, uttag {connector}. Blippa ett testkort som en förare skulle göra: det första startar laddningen, samma kort stoppar den, ett annat kort nekas. Inga riktiga pengar dras.',
  screen: 'På terminalens skärm',
  waiting: 'Redo för ett kort',
  working: 'Arbetar…',
  qrAlt: 'QR-kod för kvittot på terminalen',
  openReceipt: 'Öppna kvittot',
  cards: 'Testkort',
  tap: 'Blippa {card}',
  startHint: 'Startar laddningen; blippa igen för att stoppa',
  otherHint: 'Nekas medan ett annat kort laddar',
  notReady: 'Terminalen läser inga kort just nu. Försök igen om en stund.',
  onlyDemo: 'Den här sidan finns bara i demon (npm start).',
  loading: 'Laddar…',
  tapped: '{card} blippat.',
}
