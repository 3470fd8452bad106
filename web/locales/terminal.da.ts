/** Demoens kortterminalside (demo.terminal), dansk. */
import type { terminalEn } from './terminal.en'

export const terminalDa: typeof terminalEn = {
  title: 'Kortterminal (demo)',
  intro: 'En simuleret kortterminal på {charger}, stik {connector}. Hold et testkort mod terminalen, som en bilist ville: det første starter opladningen, samme kort stopper den, et andet kort afvises. Ingen rigtige penge trækkes.',
  screen: 'På terminalens skærm',
  waiting: 'Klar til et kort',
  working: 'Arbejder…',
  qrAlt: 'QR-kode til kvitteringen på terminalen',
  openReceipt: 'Åbn kvitteringen',
  cards: 'Testkort',
  tap: 'Hold {card} mod terminalen',
  startHint: 'Starter opladningen; hold det mod igen for at stoppe',
  otherHint: 'Afvises, mens et andet kort lader',
  notReady: 'Terminalen læser ikke kort lige nu. Prøv igen om lidt.',
  onlyDemo: 'Denne side findes kun i demoen (npm start).',
  loading: 'Indlæser…',
  tapped: '{card} holdt mod terminalen.',
}
