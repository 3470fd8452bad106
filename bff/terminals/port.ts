/**
 * The PaymentTerminal port: a card terminal mounted on a charger, in our words. The flow every
 * adapter serves (Payter's "Tap to Start"/"Tap to Stop", CCV's IM30 "authorise, token, capture"):
 *
 * 1. idle: the terminal shows the price in AFIR order and the hold, and waits for a card;
 * 2. a card is read: if its token matches a running session on the charger, that session stops
 *    ("tap to stop"); otherwise the hold is authorised and the session started;
 * 3. a start that cannot happen (connector busy, charger offline, card payment not allowed)
 *    cancels the authorisation at once: a hold is never left open;
 * 4. after the stop the final amount is committed (captured) once, and the terminal shows the
 *    total and a QR code of the receipt.
 */

/** What identifies a card when it is presented again: Payter's cardId, CCV's card token. */
export interface TerminalCard {
  brand: string
  last4: string
  token: string
}

/** What the terminal's display shows: a few lines of text and, optionally, a QR code. */
export interface TerminalScreen {
  lines: string[]
  qr?: string
}

/** An authorisation (hold) the terminal provider keeps. Amounts in minor units. */
export interface TerminalAuthorisation {
  /** The provider's id: Payter's sessionId, CCV's payment reference. */
  id: string
  /** Our reference of the ask, where the provider keeps it (CCV's merchantOrderReference). */
  reference: string | null
  status: 'pending' | 'authorized' | 'declined' | 'committed' | 'cancelled'
  amount: number
  currency: string
  /** What was committed (captured); 0 until then. */
  committed: number
  card: TerminalCard | null
  /** The issuer's or provider's words when declined. */
  message: string | null
}

/** What we ask a terminal to authorise (minor units); `reference` is ours, unique per ask. */
export interface Ask {
  amount: number
  currency: string
  reference: string
}

/** The provider refused a call (bad state, declined); repeating it will not help. */
export class TerminalRefusal extends Error {
  constructor(message: string, readonly code: string) {
    super(message)
  }
}

/**
 * One terminal provider's cloud, spoken to in our words. Transient failures (network, 5xx) throw
 * plain errors and are retried by the caller; refusals throw TerminalRefusal.
 */
export interface PaymentTerminal {
  readonly provider: 'payter' | 'ccv'
  /** Set the terminal's display. */
  show(terminalId: string, screen: TerminalScreen): Promise<void>
  /**
   * Wait for a card to be presented. Payter: the terminal scans for cards (start); CCV: a card
   * token request, used to verify the person stopping is the one who started.
   */
  readCard(terminalId: string): Promise<void>
  /**
   * Authorise a hold. Payter authorises the card just read and answers at once; CCV's IM30 asks
   * for the card now and answers by webhook later (a pending authorisation here). `reference` is
   * ours, unique per ask, and its idempotency key.
   */
  authorise(terminalId: string, o: Ask): Promise<TerminalAuthorisation>
  /**
   * The authorisation an earlier ask made, if the provider took it (the answer was lost: a crash or
   * a timeout in between); null when it made none. Never asks a card of anyone.
   */
  findAuthorisation(terminalId: string, ask: Ask & { askedAt: Date }): Promise<TerminalAuthorisation | null>
  getAuthorisation(terminalId: string, id: string): Promise<TerminalAuthorisation>
  /** Payter commit, CCV capture: takes `amount` (≤ the hold), releases the rest. */
  commit(terminalId: string, id: string, amount: number, idempotencyKey: string): Promise<TerminalAuthorisation>
  /** Payter cancel, CCV reversal: releases the whole hold. */
  cancel(terminalId: string, id: string, idempotencyKey: string): Promise<TerminalAuthorisation>
}
