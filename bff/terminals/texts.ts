/**
 * What a card terminal on a charger displays, in each of the app's languages. A terminal shows its
 * own configured language (`terminal add --language`, Swedish unless set): the driver at a terminal
 * is unknown until the card is read, and the price must be readable before the tap. Money and
 * energy are formatted as the PWA formats them in that language.
 */
import { formatKwh, formatPrice, type UiLocale } from '../../web/format'

export const terminalLanguages: UiLocale[] = ['sv', 'en', 'nb', 'da', 'fi', 'de']

export const isTerminalLanguage = (code: string | null | undefined): code is UiLocale => !!code && (terminalLanguages as string[]).includes(code)

/** Why a start did not happen, for the reasons the terminal can explain; any other is `couldNotStart`. */
type StartRefusal = 'connector_busy' | 'charger_offline' | 'method_not_allowed'

export interface TerminalTexts {
  perKwh: (price: string) => string
  perMinute: (price: string) => string
  perSession: (price: string) => string
  idleFee: (price: string, graceMinutes: number) => string
  hold: (amount: string) => string
  tapToStart: string
  pickConnector: (connectors: string) => string
  presentCard: string
  presentStartCard: string
  authorising: (amount: string) => string
  notAuthorised: string
  declined: string
  nothingCharged: string
  notCharged: string
  plugIn: (connector: number) => string
  howToStop: string
  stopping: string
  receiptFollows: string
  wrongCard: string
  couldNotStart: string
  refused: Record<StartRefusal, string>
  notStarted: string
  total: (amount: string) => string
  energy: (kwh: string) => string
  scanReceipt: (number: string) => string
  unreadable: string
}

export const terminalTexts: Record<UiLocale, TerminalTexts> = {
  sv: {
    perKwh: (p) => `${p}/kWh`,
    perMinute: (p) => `${p}/min`,
    perSession: (p) => `${p} per laddning`,
    idleFee: (p, grace) => `Tomgångsavgift ${p}/min efter ${grace} min`,
    hold: (a) => `Reserverat belopp ${a}; du betalar bara det du använder`,
    tapToStart: 'Blippa ditt kort för att starta',
    pickConnector: (list) => `Välj uttag (${list}) och blippa ditt kort`,
    presentCard: 'Blippa ditt kort',
    presentStartCard: 'Blippa kortet du startade med',
    authorising: (a) => `Reserverar ${a}…`,
    notAuthorised: 'Kortet kunde inte godkännas',
    declined: 'Kortet nekades',
    nothingCharged: 'Inget har debiterats',
    notCharged: 'Ditt kort har inte debiterats',
    plugIn: (c) => `Uttag ${c}: anslut din bil`,
    howToStop: 'Stoppa: blippa samma kort, eller koppla ur',
    stopping: 'Laddningen stoppas',
    receiptFollows: 'Ditt kvitto visas här om en stund',
    wrongCard: 'Det här kortet startade ingen laddning här',
    couldNotStart: 'Laddningen kunde inte starta',
    refused: {
      connector_busy: 'Någon laddar redan vid det här uttaget',
      charger_offline: 'Laddaren är inte ansluten just nu',
      method_not_allowed: 'Kortbetalning tas inte emot vid den här laddaren',
    },
    notStarted: 'Laddningen startade inte',
    total: (a) => `Totalt ${a}`,
    energy: (kwh) => `${kwh} kWh`,
    scanReceipt: (n) => `Kvitto ${n}: skanna koden`,
    unreadable: 'Kortet kunde inte läsas',
  },
  en: {
    perKwh: (p) => `${p}/kWh`,
    perMinute: (p) => `${p}/min`,
    perSession: (p) => `${p} per session`,
    idleFee: (p, grace) => `Idle fee ${p}/min after ${grace} min`,
    hold: (a) => `Hold ${a}; you pay only what you use`,
    tapToStart: 'Tap your card to start',
    pickConnector: (list) => `Pick a connector (${list}) and tap your card`,
    presentCard: 'Present your card',
    presentStartCard: 'Present the card you started with',
    authorising: (a) => `Authorising ${a}…`,
    notAuthorised: 'The card could not be authorised',
    declined: 'Card declined',
    nothingCharged: 'Nothing was charged',
    notCharged: 'Your card was not charged',
    plugIn: (c) => `Connector ${c}: plug in your car`,
    howToStop: 'To stop: tap the same card, or unplug',
    stopping: 'Charging is stopping',
    receiptFollows: 'Your receipt follows here in a moment',
    wrongCard: 'This card did not start a charging session here',
    couldNotStart: 'Charging could not start',
    refused: {
      connector_busy: 'Someone is already charging at this connector',
      charger_offline: 'The charger is not connected right now',
      method_not_allowed: 'Card payment is not accepted at this charger',
    },
    notStarted: 'Charging did not start',
    total: (a) => `Total ${a}`,
    energy: (kwh) => `${kwh} kWh`,
    scanReceipt: (n) => `Receipt ${n}: scan the code`,
    unreadable: 'The card could not be read',
  },
  nb: {
    perKwh: (p) => `${p}/kWh`,
    perMinute: (p) => `${p}/min`,
    perSession: (p) => `${p} per lading`,
    idleFee: (p, grace) => `Tomgangsgebyr ${p}/min etter ${grace} min`,
    hold: (a) => `Reservert beløp ${a}; du betaler bare det du bruker`,
    tapToStart: 'Hold kortet ditt mot leseren for å starte',
    pickConnector: (list) => `Velg uttak (${list}) og hold kortet mot leseren`,
    presentCard: 'Hold kortet ditt mot leseren',
    presentStartCard: 'Hold kortet du startet med mot leseren',
    authorising: (a) => `Reserverer ${a}…`,
    notAuthorised: 'Kortet kunne ikke godkjennes',
    declined: 'Kortet ble avvist',
    nothingCharged: 'Ingenting er belastet',
    notCharged: 'Kortet ditt er ikke belastet',
    plugIn: (c) => `Uttak ${c}: koble til bilen`,
    howToStop: 'Stopp: hold samme kort mot leseren, eller koble fra',
    stopping: 'Ladingen stoppes',
    receiptFollows: 'Kvitteringen vises her om et øyeblikk',
    wrongCard: 'Dette kortet startet ingen lading her',
    couldNotStart: 'Ladingen kunne ikke starte',
    refused: {
      connector_busy: 'Noen lader allerede ved dette uttaket',
      charger_offline: 'Laderen er ikke tilkoblet akkurat nå',
      method_not_allowed: 'Kortbetaling godtas ikke ved denne laderen',
    },
    notStarted: 'Ladingen startet ikke',
    total: (a) => `Totalt ${a}`,
    energy: (kwh) => `${kwh} kWh`,
    scanReceipt: (n) => `Kvittering ${n}: skann koden`,
    unreadable: 'Kortet kunne ikke leses',
  },
  da: {
    perKwh: (p) => `${p}/kWh`,
    perMinute: (p) => `${p}/min`,
    perSession: (p) => `${p} pr. opladning`,
    idleFee: (p, grace) => `Tomgangsgebyr ${p}/min efter ${grace} min`,
    hold: (a) => `Reserveret beløb ${a}; du betaler kun for det, du bruger`,
    tapToStart: 'Hold dit kort mod læseren for at starte',
    pickConnector: (list) => `Vælg stik (${list}) og hold dit kort mod læseren`,
    presentCard: 'Hold dit kort mod læseren',
    presentStartCard: 'Hold det kort, du startede med, mod læseren',
    authorising: (a) => `Reserverer ${a}…`,
    notAuthorised: 'Kortet kunne ikke godkendes',
    declined: 'Kortet blev afvist',
    nothingCharged: 'Der er ikke trukket noget',
    notCharged: 'Dit kort er ikke blevet trukket',
    plugIn: (c) => `Stik ${c}: tilslut din bil`,
    howToStop: 'Stop: hold det samme kort mod læseren, eller tag stikket ud',
    stopping: 'Opladningen stopper',
    receiptFollows: 'Din kvittering vises her om et øjeblik',
    wrongCard: 'Dette kort har ikke startet en opladning her',
    couldNotStart: 'Opladningen kunne ikke starte',
    refused: {
      connector_busy: 'Nogen lader allerede ved dette stik',
      charger_offline: 'Laderen er ikke forbundet lige nu',
      method_not_allowed: 'Kortbetaling modtages ikke ved denne lader',
    },
    notStarted: 'Opladningen startede ikke',
    total: (a) => `I alt ${a}`,
    energy: (kwh) => `${kwh} kWh`,
    scanReceipt: (n) => `Kvittering ${n}: scan koden`,
    unreadable: 'Kortet kunne ikke læses',
  },
  fi: {
    perKwh: (p) => `${p}/kWh`,
    perMinute: (p) => `${p}/min`,
    perSession: (p) => `${p} / lataus`,
    idleFee: (p, grace) => `Seisontamaksu ${p}/min ${grace} min jälkeen`,
    hold: (a) => `Varaus ${a}; maksat vain käyttämästäsi`,
    tapToStart: 'Aloita näyttämällä korttiasi lukijalle',
    pickConnector: (list) => `Valitse liitin (${list}) ja näytä korttiasi lukijalle`,
    presentCard: 'Näytä korttiasi lukijalle',
    presentStartCard: 'Näytä kortti, jolla aloitit',
    authorising: (a) => `Varataan ${a}…`,
    notAuthorised: 'Korttia ei voitu hyväksyä',
    declined: 'Kortti hylättiin',
    nothingCharged: 'Mitään ei veloitettu',
    notCharged: 'Korttiasi ei veloitettu',
    plugIn: (c) => `Liitin ${c}: kytke autosi`,
    howToStop: 'Lopeta: näytä sama kortti tai irrota johto',
    stopping: 'Lataus pysähtyy',
    receiptFollows: 'Kuittisi näkyy tässä hetken kuluttua',
    wrongCard: 'Tällä kortilla ei aloitettu latausta täällä',
    couldNotStart: 'Lataus ei voinut alkaa',
    refused: {
      connector_busy: 'Tässä liittimessä ladataan jo',
      charger_offline: 'Laturi ei ole juuri nyt yhteydessä',
      method_not_allowed: 'Tällä laturilla ei voi maksaa kortilla',
    },
    notStarted: 'Lataus ei alkanut',
    total: (a) => `Yhteensä ${a}`,
    energy: (kwh) => `${kwh} kWh`,
    scanReceipt: (n) => `Kuitti ${n}: skannaa koodi`,
    unreadable: 'Korttia ei voitu lukea',
  },
  de: {
    perKwh: (p) => `${p}/kWh`,
    perMinute: (p) => `${p}/min`,
    perSession: (p) => `${p} pro Ladevorgang`,
    idleFee: (p, grace) => `Standgebühr ${p}/min nach ${grace} min`,
    hold: (a) => `Reservierung ${a}; Sie zahlen nur, was Sie nutzen`,
    tapToStart: 'Zum Starten Karte vorhalten',
    pickConnector: (list) => `Anschluss wählen (${list}) und Karte vorhalten`,
    presentCard: 'Karte vorhalten',
    presentStartCard: 'Die Karte vorhalten, mit der Sie gestartet haben',
    authorising: (a) => `${a} werden reserviert…`,
    notAuthorised: 'Die Karte konnte nicht autorisiert werden',
    declined: 'Karte abgelehnt',
    nothingCharged: 'Es wurde nichts belastet',
    notCharged: 'Ihre Karte wurde nicht belastet',
    plugIn: (c) => `Anschluss ${c}: Fahrzeug anschließen`,
    howToStop: 'Stoppen: dieselbe Karte vorhalten oder Stecker ziehen',
    stopping: 'Der Ladevorgang wird beendet',
    receiptFollows: 'Ihr Beleg erscheint gleich hier',
    wrongCard: 'Mit dieser Karte wurde hier kein Ladevorgang gestartet',
    couldNotStart: 'Der Ladevorgang konnte nicht starten',
    refused: {
      connector_busy: 'An diesem Anschluss wird bereits geladen',
      charger_offline: 'Die Ladestation ist gerade nicht verbunden',
      method_not_allowed: 'Kartenzahlung wird an dieser Ladestation nicht angenommen',
    },
    notStarted: 'Der Ladevorgang hat nicht begonnen',
    total: (a) => `Gesamt ${a}`,
    energy: (kwh) => `${kwh} kWh`,
    scanReceipt: (n) => `Beleg ${n}: Code scannen`,
    unreadable: 'Die Karte konnte nicht gelesen werden',
  },
}

/** The words and the number formats of one terminal language. */
export function terminalWords(language: UiLocale) {
  const t = terminalTexts[language]
  return {
    ...t,
    price: (minor: number, currency: string) => formatPrice(minor, currency, language),
    kwh: (wh: number) => formatKwh(wh, language),
    /** Why a start was refused: the reasons the terminal can name, else that charging could not start. */
    refusal: (code: string) => (code in t.refused ? t.refused[code as StartRefusal] : t.couldNotStart),
  }
}
export type TerminalWords = ReturnType<typeof terminalWords>
