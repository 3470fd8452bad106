/** Demoens kortterminalside (demo.terminal), norsk bokmål. */
import type { terminalEn } from './terminal.en'

export const terminalNb: typeof terminalEn = {
  title: 'Kortterminal (demo)',
  intro: 'En simulert kortterminal på {charger}, kontakt {connector}. Hold et testkort mot terminalen slik en sjåfør ville gjort: det første starter ladingen, samme kort stopper den, et annet kort avvises. Ingen ekte penger trekkes.',
  screen: 'På terminalens skjerm',
  waiting: 'Klar for et kort',
  working: 'Jobber…',
  qrAlt: 'QR-kode for kvitteringen på terminalen',
  openReceipt: 'Åpne kvitteringen',
  cards: 'Testkort',
  tap: 'Hold {card} mot terminalen',
  startHint: 'Starter ladingen; hold det mot igjen for å stoppe',
  otherHint: 'Avvises mens et annet kort lader',
  notReady: 'Terminalen leser ikke kort akkurat nå. Prøv igjen om litt.',
  onlyDemo: 'Denne siden finnes bare i demoen (npm start).',
  loading: 'Laster…',
  tapped: '{card} holdt mot terminalen.',
}
