/** The demo's card terminal page (demo.terminal), English. */
export const terminalEn = {
  title: 'Card terminal (demo)',
  intro: 'A simulated card terminal on {charger}, connector {connector}. Tap a test card as a driver would: the first starts charging, the same card stops it, another card is refused. No real money moves.',
  screen: 'On the terminal’s screen',
  waiting: 'Ready for a card',
  working: 'Busy…',
  qrAlt: 'QR code of the receipt on the terminal',
  openReceipt: 'Open the receipt',
  cards: 'Test cards',
  tap: 'Tap {card}',
  startHint: 'Starts charging; tap it again to stop',
  otherHint: 'Refused while another card is charging',
  notReady: 'The terminal is not reading cards right now. Try again in a moment.',
  onlyDemo: 'This page is only in the demo (npm start).',
  loading: 'Loading…',
  tapped: 'Tapped {card}.',
}
