/** Demon maksupäätesivu (demo.terminal), suomi. */
import type { terminalEn } from './terminal.en'

export const terminalFi: typeof terminalEn = {
  title: 'Maksupääte (demo)',
  intro: 'Simuloitu maksupääte latauspisteessä {charger}, liitin {connector}. Näytä testikorttia kuten kuljettaja: ensimmäinen aloittaa latauksen, sama kortti lopettaa sen, muu kortti hylätään. Oikeaa rahaa ei veloiteta.',
  screen: 'Maksupäätteen näytöllä',
  waiting: 'Valmis lukemaan kortin',
  working: 'Käsitellään…',
  qrAlt: 'Kuitin QR-koodi maksupäätteellä',
  openReceipt: 'Avaa kuitti',
  cards: 'Testikortit',
  tap: 'Näytä {card}',
  startHint: 'Aloittaa latauksen; näytä uudelleen lopettaaksesi',
  otherHint: 'Hylätään, kun toinen kortti lataa',
  notReady: 'Maksupääte ei lue kortteja juuri nyt. Yritä hetken kuluttua uudelleen.',
  onlyDemo: 'Tämä sivu on vain demossa (npm start).',
  loading: 'Ladataan…',
  tapped: '{card} näytetty.',
}
