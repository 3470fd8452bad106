/**
 * The mails we send, in each of the app's languages: the driver's own (the language they used the
 * app in), else the language of the site's country, else English.
 */
import type { UiLocale } from '../../web/format'

export const mailLanguages: UiLocale[] = ['sv', 'en', 'nb', 'da', 'fi', 'de']

export const isMailLanguage = (code: string | null | undefined): code is UiLocale => !!code && (mailLanguages as string[]).includes(code)

const countryLanguage: Record<string, UiLocale> = { SE: 'sv', NO: 'nb', DK: 'da', FI: 'fi', DE: 'de', AT: 'de', CH: 'de' }

/** The first language we know for the reader: theirs, then the site's country's, then English. */
export function mailLanguage(...candidates: (string | null | undefined)[]): UiLocale {
  for (const candidate of candidates) {
    if (isMailLanguage(candidate)) return candidate
    const byCountry = candidate ? countryLanguage[candidate.toUpperCase()] : undefined
    if (byCountry) return byCountry
  }
  return 'en'
}

interface MailTexts {
  signInCode: { subject: string; body: (code: string) => string }
  granted: {
    subject: (site: string) => string
    intro: (site: string, where: string) => string
    wholeSite: string
    charger: (id: string) => string
    free: string
    privatePrice: (price: string) => string
    sitePrice: string
    capEnergy: (kwh: string) => string
    capAmount: (amount: string) => string
    until: (date: string) => string
    howTo: string
    signIn: (url: string) => string
  }
  receipt: {
    subject: (kind: 'receipt' | 'invoice', number: string, seller: string) => string
    attached: string
    refunded: (date: string, amount: string) => string
  }
}

export const mailTexts: Record<UiLocale, MailTexts> = {
  sv: {
    signInCode: {
      subject: 'Din kod till Laddpunkt',
      body: (code) => `Din inloggningskod till Laddpunkt är ${code}\n\nDen gäller i 10 minuter. Om du inte bad om den kan du strunta i det här mejlet.`,
    },
    granted: {
      subject: (site) => `Du har fått tillgång till laddning på ${site}`,
      intro: (site, where) => `Ägaren till ${site} har gett dig tillgång att ladda: ${where}.`,
      wholeSite: 'alla laddare på platsen',
      charger: (id) => `laddaren ${id}`,
      free: 'Laddningen är gratis för dig.',
      privatePrice: (price) => `Ditt pris: ${price}. Ägaren fakturerar dig; inget kort debiteras i appen.`,
      sitePrice: 'Du betalar platsens pris. Ägaren fakturerar dig; inget kort debiteras i appen.',
      capEnergy: (kwh) => `Högst ${kwh} per månad.`,
      capAmount: (amount) => `Högst ${amount} per månad.`,
      until: (date) => `Tillgången gäller till och med ${date}.`,
      howTo: 'Logga in i Laddpunkt med den här e-postadressen och skanna laddarens QR-kod för att börja.',
      signIn: (url) => `Logga in: ${url}`,
    },
    receipt: {
      subject: (kind, number, seller) => `${kind === 'invoice' ? 'Faktura' : 'Kvitto'} ${number} från ${seller}`,
      attached: 'Dokumentet finns bifogat som PDF.',
      refunded: (date, amount) => `Återbetalt ${date}: ${amount}`,
    },
  },
  en: {
    signInCode: {
      subject: 'Your Laddpunkt code',
      body: (code) => `Your Laddpunkt sign-in code is ${code}\n\nIt is valid for 10 minutes. If you did not ask for it, ignore this mail.`,
    },
    granted: {
      subject: (site) => `You have access to charge at ${site}`,
      intro: (site, where) => `The owner of ${site} has given you access to charge: ${where}.`,
      wholeSite: 'every charger at the site',
      charger: (id) => `charger ${id}`,
      free: 'Charging is free for you.',
      privatePrice: (price) => `Your price: ${price}. The owner invoices you; no card is charged in the app.`,
      sitePrice: 'You pay the site’s price. The owner invoices you; no card is charged in the app.',
      capEnergy: (kwh) => `At most ${kwh} a month.`,
      capAmount: (amount) => `At most ${amount} a month.`,
      until: (date) => `Your access is valid until ${date}.`,
      howTo: 'Sign in to Laddpunkt with this email address and scan the charger’s QR code to start.',
      signIn: (url) => `Sign in: ${url}`,
    },
    receipt: {
      subject: (kind, number, seller) => `${kind === 'invoice' ? 'Invoice' : 'Receipt'} ${number} from ${seller}`,
      attached: 'The document is attached as a PDF.',
      refunded: (date, amount) => `Refunded ${date}: ${amount}`,
    },
  },
  nb: {
    signInCode: {
      subject: 'Koden din til Laddpunkt',
      body: (code) => `Innloggingskoden din til Laddpunkt er ${code}\n\nDen gjelder i 10 minutter. Hvis du ikke ba om den, kan du se bort fra denne e-posten.`,
    },
    granted: {
      subject: (site) => `Du har fått tilgang til lading på ${site}`,
      intro: (site, where) => `Eieren av ${site} har gitt deg tilgang til å lade: ${where}.`,
      wholeSite: 'alle ladere på stedet',
      charger: (id) => `laderen ${id}`,
      free: 'Ladingen er gratis for deg.',
      privatePrice: (price) => `Din pris: ${price}. Eieren fakturerer deg; ingen kort belastes i appen.`,
      sitePrice: 'Du betaler stedets pris. Eieren fakturerer deg; ingen kort belastes i appen.',
      capEnergy: (kwh) => `Høyst ${kwh} per måned.`,
      capAmount: (amount) => `Høyst ${amount} per måned.`,
      until: (date) => `Tilgangen gjelder til og med ${date}.`,
      howTo: 'Logg inn i Laddpunkt med denne e-postadressen, og skann laderens QR-kode for å starte.',
      signIn: (url) => `Logg inn: ${url}`,
    },
    receipt: {
      subject: (kind, number, seller) => `${kind === 'invoice' ? 'Faktura' : 'Kvittering'} ${number} fra ${seller}`,
      attached: 'Dokumentet er vedlagt som PDF.',
      refunded: (date, amount) => `Refundert ${date}: ${amount}`,
    },
  },
  da: {
    signInCode: {
      subject: 'Din kode til Laddpunkt',
      body: (code) => `Din login-kode til Laddpunkt er ${code}\n\nDen gælder i 10 minutter. Hvis du ikke har bedt om den, kan du se bort fra denne mail.`,
    },
    granted: {
      subject: (site) => `Du har fået adgang til opladning på ${site}`,
      intro: (site, where) => `Ejeren af ${site} har givet dig adgang til at oplade: ${where}.`,
      wholeSite: 'alle ladere på stedet',
      charger: (id) => `laderen ${id}`,
      free: 'Opladningen er gratis for dig.',
      privatePrice: (price) => `Din pris: ${price}. Ejeren fakturerer dig; der trækkes ikke på noget kort i appen.`,
      sitePrice: 'Du betaler stedets pris. Ejeren fakturerer dig; der trækkes ikke på noget kort i appen.',
      capEnergy: (kwh) => `Højst ${kwh} om måneden.`,
      capAmount: (amount) => `Højst ${amount} om måneden.`,
      until: (date) => `Adgangen gælder til og med ${date}.`,
      howTo: 'Log ind i Laddpunkt med denne mailadresse, og scan laderens QR-kode for at starte.',
      signIn: (url) => `Log ind: ${url}`,
    },
    receipt: {
      subject: (kind, number, seller) => `${kind === 'invoice' ? 'Faktura' : 'Kvittering'} ${number} fra ${seller}`,
      attached: 'Dokumentet er vedhæftet som PDF.',
      refunded: (date, amount) => `Refunderet ${date}: ${amount}`,
    },
  },
  fi: {
    signInCode: {
      subject: 'Laddpunkt-koodisi',
      body: (code) => `Laddpunkt-kirjautumiskoodisi on ${code}\n\nSe on voimassa 10 minuuttia. Jos et pyytänyt sitä, voit jättää tämän viestin huomiotta.`,
    },
    granted: {
      subject: (site) => `Sinulla on latausoikeus kohteessa ${site}`,
      intro: (site, where) => `Kohteen ${site} omistaja on antanut sinulle latausoikeuden: ${where}.`,
      wholeSite: 'kaikki kohteen laturit',
      charger: (id) => `laturi ${id}`,
      free: 'Lataus on sinulle maksuton.',
      privatePrice: (price) => `Hintasi: ${price}. Omistaja laskuttaa sinua; sovelluksessa ei veloiteta korttia.`,
      sitePrice: 'Maksat kohteen hinnan. Omistaja laskuttaa sinua; sovelluksessa ei veloiteta korttia.',
      capEnergy: (kwh) => `Enintään ${kwh} kuukaudessa.`,
      capAmount: (amount) => `Enintään ${amount} kuukaudessa.`,
      until: (date) => `Oikeus on voimassa ${date} asti.`,
      howTo: 'Kirjaudu Laddpunktiin tällä sähköpostiosoitteella ja skannaa laturin QR-koodi aloittaaksesi.',
      signIn: (url) => `Kirjaudu: ${url}`,
    },
    receipt: {
      subject: (kind, number, seller) => `${kind === 'invoice' ? 'Lasku' : 'Kuitti'} ${number}, ${seller}`,
      attached: 'Asiakirja on liitteenä PDF-tiedostona.',
      refunded: (date, amount) => `Hyvitetty ${date}: ${amount}`,
    },
  },
  de: {
    signInCode: {
      subject: 'Ihr Laddpunkt-Code',
      body: (code) => `Ihr Anmeldecode für Laddpunkt lautet ${code}\n\nEr ist 10 Minuten gültig. Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail.`,
    },
    granted: {
      subject: (site) => `Sie dürfen bei ${site} laden`,
      intro: (site, where) => `Der Eigentümer von ${site} hat Ihnen Zugang zum Laden gegeben: ${where}.`,
      wholeSite: 'alle Ladesäulen des Standorts',
      charger: (id) => `Ladesäule ${id}`,
      free: 'Das Laden ist für Sie kostenlos.',
      privatePrice: (price) => `Ihr Preis: ${price}. Der Eigentümer stellt Ihnen die Kosten in Rechnung; in der App wird keine Karte belastet.`,
      sitePrice: 'Sie zahlen den Preis des Standorts. Der Eigentümer stellt Ihnen die Kosten in Rechnung; in der App wird keine Karte belastet.',
      capEnergy: (kwh) => `Höchstens ${kwh} pro Monat.`,
      capAmount: (amount) => `Höchstens ${amount} pro Monat.`,
      until: (date) => `Ihr Zugang gilt bis einschließlich ${date}.`,
      howTo: 'Melden Sie sich mit dieser E-Mail-Adresse bei Laddpunkt an und scannen Sie den QR-Code der Ladesäule, um zu starten.',
      signIn: (url) => `Anmelden: ${url}`,
    },
    receipt: {
      subject: (kind, number, seller) => `${kind === 'invoice' ? 'Rechnung' : 'Beleg'} ${number} von ${seller}`,
      attached: 'Das Dokument ist als PDF angehängt.',
      refunded: (date, amount) => `Erstattet am ${date}: ${amount}`,
    },
  },
}
