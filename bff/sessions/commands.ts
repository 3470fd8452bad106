/** What drivers (and support, and the cost cap) ask of a session: create, authorise, stop, cancel, end. */
import { and, eq, inArray } from 'drizzle-orm'
import { chargers, connectors, grants, sessions, sites, tariffs } from '../store/schema'
import type { SessionState } from '../store/schema'
import { AppError, notFound } from '../errors'
import { canApply, isFinal } from '../domain/session'
import type { Tariff } from '../domain/tariff'
import { newIdTag } from '../domain/id-tag'
import { captureDeadline, smallestCap } from '../domain/hold'
import { grantComponents } from '../domain/grant'
import { hashToken, newToken } from '../secrets'
import { decideStart } from '../grants/service'
import { receiptTokenFor } from './tokens'
import type { Change, SessionCore, SessionRow } from './core'
import type { IntentWorker } from './intents'
import type { Settlement } from './settlement'

/** Starting, charging, stopping or settling: the connector is taken. */
export const liveStates: SessionState[] = ['starting', 'charging', 'stopping', 'settling']

/** How recently a charger now offline must have been heard from for a start to wait for it. */
const reconnectingWindowMs = 2 * 60_000

export type StopReason = 'driver' | 'card' | 'hold_limit' | 'grant_cap' | 'support' | 'hold_lapsing' | 'hold_lapsed'

export function startMethodsFor(accessMode: 'open' | 'private' | 'paid'): ('card' | 'grant' | 'open')[] {
  return accessMode === 'open' ? ['open'] : accessMode === 'private' ? ['grant'] : ['card']
}

/** A new session in `pending`: its own idTag, its copy of the tariff, its stop and receipt tokens stored hashed. */
function pendingSession(o: { id: string; chargerId: string; connectorId: number; siteId: string; tariff: Tariff; stopToken: string; now: Date }) {
  return {
    id: o.id,
    state: 'pending' as const,
    chargerId: o.chargerId,
    connectorId: o.connectorId,
    siteId: o.siteId,
    idTag: newIdTag(),
    tariff: o.tariff,
    currency: o.tariff.currency,
    stopTokenHash: hashToken(o.stopToken),
    receiptTokenHash: hashToken(receiptTokenFor(o.stopToken)),
    createdAt: o.now,
    updatedAt: o.now,
  }
}

/** A terminal's card token as stored: hashed, and apart from the provider's card fingerprints. */
function terminalCardKey(token: string): string {
  return `terminal:${hashToken(token)}`
}

function stopTokenFor(idempotencyKey: string, sessionId: string): string {
  return hashToken(`stop:${idempotencyKey}:${sessionId}`)
}

export class DriverCommands {
  constructor(
    private readonly core: SessionCore,
    private readonly worker: IntentWorker,
    private readonly settlement: Settlement,
  ) {}

  async create(input: {
    chargerId: string
    connectorId: number
    method: 'card' | 'grant' | 'open'
    capAmount?: number
    idempotencyKey?: string
    /** The signed-in driver: the session goes into their history; needed for method grant. */
    userId?: string | null
  }): Promise<{ session: SessionRow; stopToken: string; clientSecret: string | null }> {
    const { db, clock } = this.core
    const createKey = input.idempotencyKey ? hashToken(`create:${input.idempotencyKey}`) : null
    if (createKey) {
      const [existing] = await db.select().from(sessions).where(eq(sessions.createKey, createKey))
      if (existing) return this.replayCreate(existing, input.idempotencyKey!)
    }
    const place = await this.placeOf(input.chargerId, input.connectorId)
    const allowed = startMethodsFor(place.site.accessMode)
    // Grants may open any site; whether this driver's does is decided below.
    if (input.method !== 'grant' && !allowed.includes(input.method)) {
      throw new AppError(403, 'method_not_allowed', `This charger cannot be started with "${input.method}". Use: ${allowed.join(', ')}.`)
    }
    if (!this.core.chargers.isOnline(input.chargerId)) {
      throw new AppError(409, 'charger_offline', 'The charger is offline right now. Nothing was charged; try another charger or try again shortly.')
    }
    await this.assertConnectorFree(input.chargerId, input.connectorId)
    let grant: typeof grants.$inferSelect | null = null
    if (input.method === 'grant') {
      if (!input.userId) throw new AppError(401, 'sign_in_required', 'Sign in to charge with your access.')
      const decision = await decideStart(db, { userId: input.userId, siteId: place.site.id, chargerId: input.chargerId, now: clock() })
      if (!decision.ok) throw new AppError(403, decision.code, decision.message)
      grant = decision.grant
    }
    const floor = smallestCap(this.core.payments.minimumCharge(place.tariff.currency))
    if (input.capAmount !== undefined && (input.capAmount < floor || input.capAmount > place.tariff.holdAmount)) {
      throw new AppError(400, 'invalid_cap', `The cap must be between ${floor} and ${place.tariff.holdAmount} (minor units).`)
    }
    const holdAmount = input.method === 'card' ? (input.capAmount ?? place.tariff.holdAmount) : 0
    const id = newToken(12)
    // With an idempotency key the stop token is derived from it, so a replayed create can answer again.
    const stopToken = input.idempotencyKey ? stopTokenFor(input.idempotencyKey, id) : newToken()
    const components = grant ? grantComponents(grant, place.tariff.components) : place.tariff.components
    const tariff: Tariff = { currency: place.tariff.currency, vatRateBp: place.tariff.vatRateBp, components }
    const [session] = await db
      .insert(sessions)
      .values({
        ...pendingSession({ id, chargerId: input.chargerId, connectorId: input.connectorId, siteId: place.site.id, tariff, stopToken, now: clock() }),
        method: input.method,
        holdAmount,
        createKey,
        holdStatus: input.method === 'card' ? 'pending' : 'none',
        userId: input.userId ?? null,
        grantId: grant?.id ?? null,
      })
      .onConflictDoNothing()
      .returning()
    if (!session) {
      // A concurrent request with the same key won the race: answer as it did.
      const [existing] = await db.select().from(sessions).where(eq(sessions.createKey, createKey!))
      return this.replayCreate(existing, input.idempotencyKey!)
    }
    await this.core.log(id, 'created', { method: input.method, holdAmount, tariff, ...(grant ? { grantId: grant.id } : {}) })
    if (input.method !== 'card') return { session: await this.beginStart(session), stopToken, clientSecret: null }
    return { ...(await this.placeHold(session)), stopToken }
  }

  private async replayCreate(session: SessionRow, idempotencyKey: string) {
    const stopToken = stopTokenFor(idempotencyKey, session.id)
    if (session.method !== 'card') return { session, stopToken, clientSecret: null }
    return { ...(await this.placeHold(session)), stopToken }
  }

  /**
   * Creates the provider's hold for a card session. Idempotent by session: called again (a replayed
   * create) it gets the same hold and client secret back from the provider.
   */
  private async placeHold(session: SessionRow): Promise<{ session: SessionRow; clientSecret: string }> {
    const [site] = await this.core.db.select().from(sites).where(eq(sites.id, session.siteId))
    const { hold, clientSecret } = await this.core.payments.createHold({
      amount: session.holdAmount,
      currency: session.currency,
      sessionId: session.id,
      description: `Charging at ${site.name}, ${session.chargerId}/${session.connectorId}`,
      idempotencyKey: `${session.id}:hold`,
    })
    if (session.paymentId) return { session: await this.core.get(session.id), clientSecret }
    const updated = await this.core.change(session.id, (s) =>
      s.paymentId ? null : { patch: { paymentId: hold.id }, log: [{ kind: 'hold_created', data: { provider: this.core.payments.name, paymentId: hold.id, amount: hold.amount } }] },
    )
    return { session: updated, clientSecret }
  }

  /**
   * After the driver confirmed the card: verify the hold, then start the charger. `session` as the
   * request already read it (the start's change reads it again under its lock).
   */
  async authorize(session: SessionRow): Promise<SessionRow> {
    const id = session.id
    if (session.state !== 'pending') return session
    if (session.method !== 'card' || !session.paymentId) throw new AppError(409, 'no_hold', 'This session has no card hold to authorise.')
    const hold = await this.core.payments.getHold(session.paymentId)
    if (hold.status !== 'requires_capture' || hold.amountCapturable < session.holdAmount) {
      if (hold.status === 'canceled') {
        await this.fail(id, 'hold_canceled')
        throw new AppError(409, 'hold_canceled', 'The card hold was cancelled. Start again to charge.')
      }
      throw new AppError(402, 'card_not_authorized', hold.failureMessage ?? 'The card has not been authorised yet.')
    }
    const now = this.core.clock()
    // The hold is recorded in the same change that starts (or fails) the session.
    return this.beginStart(session, {
      patch: {
        holdStatus: 'held',
        captureBy: captureDeadline(now, hold.captureBefore),
        cardBrand: hold.card?.brand ?? null,
        cardLast4: hold.card?.last4 ?? null,
        cardFingerprint: hold.card?.fingerprint ?? null,
      },
      log: [{ kind: 'hold_placed', data: { amount: hold.amount, captureBefore: hold.captureBefore } }],
    })
  }

  /** pending -> starting: RemoteStart is written as an intent, then sent. `held`: the hold just verified, recorded with it. */
  private async beginStart(session: SessionRow, held?: Change): Promise<SessionRow> {
    const id = session.id
    if (!this.core.chargers.isOnline(session.chargerId) && !(await this.reconnecting(session.chargerId))) {
      await this.fail(id, 'charger_offline', held)
      return this.core.get(id)
    }
    try {
      await this.assertConnectorFree(session.chargerId, session.connectorId, id)
    } catch (error) {
      await this.fail(id, 'connector_busy', held)
      throw error
    }
    const deadline = new Date(this.core.clock().getTime() + this.core.settings.startTimeoutSeconds * 1000)
    const started = await this.core.change(id, (s) =>
      canApply(s.state, 'start')
        ? { event: 'start', patch: { ...held?.patch, startDeadline: deadline }, intents: [{ action: 'remote_start' }], log: held?.log }
        : null,
    )
    await this.worker.runPending(id)
    return started.state === 'starting' ? this.core.get(id) : started
  }

  /**
   * Stop from the phone, by card, by support, by the cost cap or before the hold lapses. `detached`:
   * the RemoteStop goes out after the caller returns (asked from inside a charger's event).
   */
  async stop(id: string, reason: StopReason, o: { detached?: boolean } = {}): Promise<SessionRow> {
    const session = await this.core.change(id, (s) => {
      if (s.state === 'pending' || s.state === 'starting') return this.cancelChange(s, reason === 'driver' ? 'driver_cancelled' : reason)
      if (s.state === 'charging') {
        return { event: 'stop_requested', patch: { stopReason: reason }, intents: [{ action: 'remote_stop' }], log: [{ kind: 'stop_requested', data: { reason } }] }
      }
      return null
    })
    if (o.detached) setImmediate(() => void this.worker.runPending(id).catch((error) => this.core.logger.warn({ err: error, session: id }, 'stop intent failed; the sweep retries')))
    else await this.worker.runPending(id)
    return session.state === 'stopping' ? this.core.get(id) : session
  }

  async cancel(id: string): Promise<SessionRow> {
    await this.core.change(id, (s) => (canApply(s.state, 'cancel') ? this.cancelChange(s, 'driver_cancelled') : null))
    await this.worker.runPending(id)
    return this.core.get(id)
  }

  /**
   * Support ends a session now, whatever the charger does: before charging it is cancelled and the
   * hold released; while charging it is settled with the energy known so far (and the charger told
   * to stop); while waiting for the unplug it is settled without waiting longer.
   */
  async end(id: string, reason: string): Promise<SessionRow> {
    const now = this.core.clock()
    const session = await this.core.change(id, (s): Change | null => {
      if (isFinal(s.state) || s.state === 'settling') return null
      if (canApply(s.state, 'cancel')) return this.cancelChange(s, 'support_ended')
      return {
        event: 'transaction_stopped',
        patch: { stoppedAt: now, stopSeenAt: now, unpluggedAt: now, powerW: 0, stopReason: 'support' },
        intents: s.startedAt !== null ? [{ action: 'remote_stop', keySuffix: 'end' }] : [],
        log: [{ kind: 'ended_by_support', data: { reason, energyWh: s.energyWh } }],
      }
    })
    if (session.state === 'settling' || session.state === 'completed') await this.settlement.settleIfDue(id, 'support')
    await this.worker.runPending(id)
    return this.core.get(id)
  }

  /**
   * The provider cancelled the hold by itself (it lapsed, or was cancelled outside us). Before
   * charging the session is cancelled; while charging it is stopped, since nothing pays for it any
   * more, and support sees why; after a release we asked for it is simply released.
   */
  async holdCanceled(id: string): Promise<void> {
    const session = await this.core.change(id, (s): Change | null => {
      if (s.holdStatus !== 'held' && s.holdStatus !== 'pending') return null
      // Settled already: the intent worker reads the provider's state and records it.
      if (s.state === 'settling' && s.finalCost) return null
      if (isFinal(s.state)) return { patch: { holdStatus: 'released', releasedAmount: s.holdAmount }, log: [{ kind: 'released', data: { amount: s.holdAmount, by: 'provider' } }] }
      if (canApply(s.state, 'cancel')) {
        return { event: 'cancel', patch: { holdStatus: 'released', releasedAmount: s.holdAmount, failureReason: 'hold_canceled' }, log: [{ kind: 'cancelled', data: { reason: 'hold_canceled' } }] }
      }
      return { patch: { attention: 'hold_lapsed' }, log: [{ kind: 'hold_canceled_by_provider' }] }
    })
    if (session.state === 'charging') await this.stop(id, 'hold_lapsed')
  }

  private cancelChange(s: SessionRow, reason: string): Change {
    return { event: 'cancel', patch: { failureReason: reason }, intents: this.core.releaseIntents(s), log: [{ kind: 'cancelled', data: { reason } }] }
  }

  /**
   * A card tapped on a payment terminal mounted on the charger: the terminal's authorisation is the
   * hold, kept by the terminal's adapter (`provider`), and the charger is started at once. Answered
   * again for the same authorisation (a retried callback) without new tokens.
   */
  async startFromTerminal(input: {
    chargerId: string
    connectorId: number
    /** The terminal adapter that keeps the hold: 'payter', 'ccv'. */
    provider: string
    /** The terminal provider's id of the authorisation. */
    paymentId: string
    holdAmount: number
    /** What identifies the card when it is presented again (CCV's card token, Payter's cardId); stored hashed. */
    card: { brand: string; last4: string; token: string }
  }): Promise<{ session: SessionRow; stopToken: string | null; receiptToken: string | null }> {
    const { db, clock } = this.core
    const [replay] = await db.select().from(sessions).where(eq(sessions.paymentId, input.paymentId))
    if (replay) return { session: replay, stopToken: null, receiptToken: null }
    const place = await this.placeOf(input.chargerId, input.connectorId)
    if (!startMethodsFor(place.site.accessMode).includes('card')) throw new AppError(403, 'method_not_allowed', 'This charger does not take card payment.')
    if (!this.core.chargers.isOnline(input.chargerId)) throw new AppError(409, 'charger_offline', 'The charger is offline right now.')
    await this.assertConnectorFree(input.chargerId, input.connectorId)
    const id = newToken(12)
    const stopToken = newToken()
    const now = clock()
    const tariff: Tariff = { currency: place.tariff.currency, vatRateBp: place.tariff.vatRateBp, components: place.tariff.components }
    const [session] = await db
      .insert(sessions)
      .values({
        ...pendingSession({ id, chargerId: input.chargerId, connectorId: input.connectorId, siteId: place.site.id, tariff, stopToken, now }),
        method: 'card',
        holdAmount: input.holdAmount,
        paymentId: input.paymentId,
        paymentProvider: input.provider,
        holdStatus: 'held',
        captureBy: captureDeadline(now, null),
        cardBrand: input.card.brand,
        cardLast4: input.card.last4,
        cardFingerprint: terminalCardKey(input.card.token),
      })
      .onConflictDoNothing()
      .returning()
    if (!session) return { session: (await db.select().from(sessions).where(eq(sessions.paymentId, input.paymentId)))[0], stopToken: null, receiptToken: null }
    const held: Change = {
      patch: {},
      log: [
        { kind: 'created', data: { method: 'card', terminal: input.provider, holdAmount: input.holdAmount, tariff } },
        { kind: 'hold_placed', data: { amount: input.holdAmount, provider: input.provider, paymentId: input.paymentId } },
      ],
    }
    return { session: await this.beginStart(session, held), stopToken, receiptToken: receiptTokenFor(stopToken) }
  }

  /** "Tap to stop" at a terminal: the card that started a running session on this charger stops it; null for any other card. */
  async stopByCardToken(chargerId: string, token: string): Promise<SessionRow | null> {
    const [session] = await this.core.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.chargerId, chargerId), eq(sessions.cardFingerprint, terminalCardKey(token)), inArray(sessions.state, ['starting', 'charging'])))
    return session ? this.stop(session.id, 'card') : null
  }

  /** "Tap to stop": the same card presented again stops the session it pays for. */
  async stopByCard(chargerId: string, paymentMethodId: string): Promise<SessionRow> {
    const fingerprint = await this.core.payments.cardFingerprint(paymentMethodId)
    const [session] = fingerprint
      ? await this.core.db
          .select()
          .from(sessions)
          .where(and(eq(sessions.chargerId, chargerId), eq(sessions.cardFingerprint, fingerprint), inArray(sessions.state, ['starting', 'charging'])))
      : []
    if (!session) {
      throw notFound(
        'no_matching_session',
        'No running session on this charger was paid with this card. If you paid with Apple Pay or Google Pay, present the phone or watch you paid with: a wallet card has its own number.',
      )
    }
    return this.stop(session.id, 'card')
  }

  async fail(id: string, reason: string, held?: Change): Promise<void> {
    await this.core.change(id, (s) =>
      canApply(s.state, 'start_failed')
        ? {
            event: 'start_failed',
            patch: { ...held?.patch, failureReason: reason },
            intents: this.core.releaseIntents(s),
            log: [...(held?.log ?? []), { kind: 'failed', data: { reason } }],
          }
        : null,
    )
    await this.worker.runPending(id)
  }

  /**
   * A charger heard from moments ago is most likely reconnecting (after our restart, or a blip):
   * the start waits for it — the RemoteStart goes out when it is back, bounded by the start timeout.
   */
  private async reconnecting(chargerId: string): Promise<boolean> {
    const [charger] = await this.core.db.select({ lastSeenAt: chargers.lastSeenAt }).from(chargers).where(eq(chargers.id, chargerId))
    return !!charger?.lastSeenAt && this.core.clock().getTime() - charger.lastSeenAt.getTime() < reconnectingWindowMs
  }

  /** The connector with its charger's site and tariff. */
  private async placeOf(chargerId: string, connectorId: number) {
    const [place] = await this.core.db
      .select({ site: sites, tariff: tariffs })
      .from(connectors)
      .innerJoin(chargers, eq(chargers.id, connectors.chargerId))
      .innerJoin(sites, eq(sites.id, chargers.siteId))
      .innerJoin(tariffs, eq(tariffs.id, chargers.tariffId))
      .where(and(eq(connectors.chargerId, chargerId), eq(connectors.connectorId, connectorId)))
    if (!place) throw notFound('connector_not_found', `Charger ${chargerId} has no connector ${connectorId}.`)
    return place
  }

  async assertConnectorFree(chargerId: string, connectorId: number, except?: string): Promise<void> {
    const busy = await this.core.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.chargerId, chargerId), eq(sessions.connectorId, connectorId), inArray(sessions.state, liveStates)))
    if (busy.some((b) => b.id !== except)) {
      throw new AppError(409, 'connector_busy', 'Someone is already charging at this connector. Pick another one.')
    }
  }
}
