/** Die Kartenterminal-Seite der Demo (demo.terminal), Deutsch. */
import type { terminalEn } from './terminal.en'

export const terminalDe: typeof terminalEn = {
  title: 'Kartenterminal (Demo)',
  intro: 'Ein simuliertes Kartenterminal an {charger}, Anschluss {connector}. Halten Sie eine Testkarte hin wie ein Fahrer: Die erste startet das Laden, dieselbe Karte beendet es, eine andere Karte wird abgelehnt. Es fließt kein echtes Geld.',
  screen: 'Auf dem Bildschirm des Terminals',
  waiting: 'Bereit für eine Karte',
  working: 'Wird bearbeitet…',
  qrAlt: 'QR-Code der Quittung auf dem Terminal',
  openReceipt: 'Quittung öffnen',
  cards: 'Testkarten',
  tap: '{card} hinhalten',
  startHint: 'Startet das Laden; erneut hinhalten zum Beenden',
  otherHint: 'Abgelehnt, solange eine andere Karte lädt',
  notReady: 'Das Terminal liest gerade keine Karten. Versuchen Sie es gleich noch einmal.',
  onlyDemo: 'Diese Seite gibt es nur in der Demo (npm start).',
  loading: 'Wird geladen…',
  tapped: '{card} hingehalten.',
}
