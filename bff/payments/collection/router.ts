/**
 * The payment provider the sessions see: one PaymentProvider that sends each hold to whoever
 * collects for its site. Platform mode: the platform's provider, as a destination charge to the
 * owner's connected account with our fee taken at capture. Own mode: a provider on the owner's own
 * Stripe account. Who collects a hold is written down when it is placed (collected_holds) and every
 * later call on that hold goes the same way, whatever the site's setup says by then.
 */
import { and, eq } from 'drizzle-orm'
import type { Db, Tx } from '../../store/db'
import { sessions, sites } from '../../store/schema'
import {
  PaymentError,
  type Hold,
  type LedgerEntry,
  type PaymentEvent,
  type PaymentProvider,
  type PublicPaymentConfig,
} from '../provider'
import { collectedHolds, collectedRefunds, siteCollections, type CollectionMode, type Seller } from './schema'
import { feeOf, feeRefundedFor } from './fee'
import { KeySealer } from './sealed-keys'
import { AppError } from '../../errors'
import type { StripeAccounts } from './accounts'

type SiteRow = typeof sites.$inferSelect
type SetupRow = typeof siteCollections.$inferSelect
type HoldRow = typeof collectedHolds.$inferSelect

/** The keys of an owner's own Stripe account. */
export interface OwnKeys {
  secretKey: string
  publishableKey: string
  webhookSecret: string
}

export interface SitePaymentsOptions {
  db: Db
  /** The platform's own provider: Stripe, or the simulated one in the demo. */
  platform: PaymentProvider
  /** The platform as the seller on receipts in platform mode; null when not configured (platform mode then refused). */
  platformSeller: Seller | null
  /** A provider on an owner's own account; absent without Stripe (the demo), where the platform's provider keeps every hold. */
  ownAccount?: (keys: OwnKeys) => PaymentProvider
  /**
   * Stripe's account calls (Connect onboarding, own-key checks, payouts). Null with the simulated
   * provider: no destination charges then, and our fee is only booked here.
   */
  accounts: StripeAccounts | null
  /** Our fee for a site that sets up platform mode, in basis points. */
  defaultFeeBp: number
  /**
   * Checks the signatures of Stripe's Connect endpoint (events on connected accounts, such as
   * `account.updated`), which has its own signing secret; absent when none is configured.
   */
  connectEvents?: PaymentProvider
}

export const siteSeller = (site: SiteRow): Seller => ({
  legalName: site.legalName,
  orgNumber: site.orgNumber,
  vatNumber: site.vatNumber,
  address: `${site.street}, ${site.postalCode} ${site.city}`,
})

export class SitePayments implements PaymentProvider {
  readonly name: PaymentProvider['name']
  readonly platform: PaymentProvider
  readonly platformSeller: Seller | null
  readonly connect: boolean
  readonly accounts: StripeAccounts | null
  readonly defaultFeeBp: number
  readonly sealer: KeySealer
  private readonly db: Db
  /** Own-account providers by site, rebuilt when the site's keys change. */
  private readonly own = new Map<string, { updatedAt: number; provider: PaymentProvider }>()

  constructor(private readonly o: SitePaymentsOptions) {
    this.db = o.db
    this.platform = o.platform
    this.name = o.platform.name
    this.platformSeller = o.platformSeller
    this.accounts = o.accounts
    this.connect = o.accounts !== null
    this.defaultFeeBp = o.defaultFeeBp
    this.sealer = new KeySealer(o.db)
  }

  /** Who sells to a driver paying by card at the site now: shown before paying, as the receipt will name it. */
  async cardSeller(site: SiteRow): Promise<Seller> {
    const [setup] = await this.db.select({ mode: siteCollections.mode }).from(siteCollections).where(eq(siteCollections.siteId, site.id))
    return setup?.mode === 'platform' && this.platformSeller ? this.platformSeller : siteSeller(site)
  }

  publicConfig(): PublicPaymentConfig {
    return this.platform.publicConfig()
  }

  /** What the browser confirms a hold at this site with, before the hold exists (Stripe's Payment Element is made first). */
  async siteConfig(siteId: string): Promise<PublicPaymentConfig> {
    if (this.platform.name !== 'stripe') return this.platform.publicConfig()
    const [setup] = await this.db.select().from(siteCollections).where(eq(siteCollections.siteId, siteId))
    return setup?.mode === 'own' && setup.ownPublishableKey ? { provider: 'stripe', publishableKey: setup.ownPublishableKey } : this.platform.publicConfig()
  }

  /** A hold on an owner's own account is confirmed with that account's publishable key. */
  async holdConfig(holdId: string): Promise<PublicPaymentConfig> {
    const row = await this.holdRow(holdId)
    if (row?.mode !== 'own' || this.platform.name !== 'stripe') return this.platform.publicConfig()
    const [setup] = await this.db.select().from(siteCollections).where(eq(siteCollections.siteId, row.siteId))
    if (!setup?.ownPublishableKey) return this.platform.publicConfig()
    return { provider: 'stripe', publishableKey: setup.ownPublishableKey }
  }

  async createHold(input: Parameters<PaymentProvider['createHold']>[0]): Promise<{ hold: Hold; clientSecret: string }> {
    const [site] = await this.db
      .select({ site: sites })
      .from(sessions)
      .innerJoin(sites, eq(sites.id, sessions.siteId))
      .where(eq(sessions.id, input.sessionId))
    if (!site) throw new Error(`no session ${input.sessionId} to place a hold for`)
    const [setup] = await this.db.select().from(siteCollections).where(eq(siteCollections.siteId, site.site.id))
    const collector = await this.collectorFor(site.site, setup ?? null)
    const created = await collector.provider.createHold({ ...input, transferTo: collector.destination ?? undefined })
    await this.db
      .insert(collectedHolds)
      .values({
        paymentId: created.hold.id,
        sessionId: input.sessionId,
        siteId: site.site.id,
        mode: collector.mode,
        destination: collector.destination,
        feeBp: collector.feeBp,
        seller: collector.seller,
      })
      .onConflictDoNothing()
    return created
  }

  async getHold(id: string): Promise<Hold> {
    return (await this.providerOf(await this.holdRow(id))).getHold(id)
  }

  /** Platform mode: our fee on the captured amount is written down first, then carried by the capture. */
  async capture(id: string, amount: number, idempotencyKey: string): Promise<Hold> {
    const row = await this.holdRow(id)
    if (row?.mode !== 'platform') return (await this.providerOf(row)).capture(id, amount, idempotencyKey)
    const fee = feeOf(amount, row.feeBp)
    await this.db.update(collectedHolds).set({ feeAmount: fee }).where(eq(collectedHolds.paymentId, id))
    return this.platform.capture(id, amount, idempotencyKey, row.destination ? { applicationFee: fee } : undefined)
  }

  async release(id: string, idempotencyKey: string): Promise<Hold> {
    return (await this.providerOf(await this.holdRow(id))).release(id, idempotencyKey)
  }

  /**
   * A destination charge's refund reverses the transfer to the owner and our fee in proportion. The
   * fee given back is booked beside the refund, once, for the owner's statement.
   */
  async refund(id: string, amount: number, idempotencyKey: string): Promise<{ refundId: string; amount: number; feeRefunded?: number }> {
    const row = await this.holdRow(id)
    const provider = await this.providerOf(row)
    const result = await provider.refund(id, amount, idempotencyKey, row?.destination ? { reverseTransfer: true } : undefined)
    if (!row) return result
    let feeRefundedSoFar = 0
    if (row.mode === 'platform') {
      if (result.feeRefunded !== undefined) feeRefundedSoFar = result.feeRefunded
      else {
        const hold = await provider.getHold(id)
        feeRefundedSoFar = feeRefundedFor(row.feeAmount ?? 0, hold.amountCaptured, hold.amountRefunded)
      }
    }
    await this.db.transaction(async (tx) => {
      const [locked] = await tx.select().from(collectedHolds).where(eq(collectedHolds.paymentId, id)).for('update')
      const [booked] = await tx
        .insert(collectedRefunds)
        .values({ refundId: result.refundId, paymentId: id, amount: result.amount, feeRefunded: Math.max(0, feeRefundedSoFar - locked.feeRefunded) })
        .onConflictDoNothing()
        .returning()
      if (booked && feeRefundedSoFar > locked.feeRefunded) {
        await tx.update(collectedHolds).set({ feeRefunded: feeRefundedSoFar }).where(eq(collectedHolds.paymentId, id))
      }
    })
    return { ...result, feeRefunded: feeRefundedSoFar }
  }

  /** A card presented to stop is a payment method on the platform, or on one of the own accounts (each id lives on one account). */
  async cardFingerprint(paymentMethodId: string): Promise<string | null> {
    const onPlatform = await this.platform.cardFingerprint(paymentMethodId)
    if (onPlatform || !this.connect) return onPlatform
    const owners = await this.db.select().from(siteCollections).where(eq(siteCollections.mode, 'own'))
    for (const setup of owners) {
      if (!setup.ownSecretKey) continue
      const found = await (await this.ownProvider(setup)).cardFingerprint(paymentMethodId)
      if (found) return found
    }
    return null
  }

  /** Events on the platform account (its holds, and Connect events about connected accounts). */
  parseWebhook(rawBody: string, signature: string | undefined): Promise<PaymentEvent> {
    return this.platform.parseWebhook(rawBody, signature)
  }

  /** Events on connected accounts, from Stripe's Connect endpoint. */
  parseConnectWebhook(rawBody: string, signature: string | undefined): Promise<PaymentEvent> {
    if (!this.o.connectEvents) return Promise.reject(new PaymentError('No Connect webhook secret is configured (STRIPE_CONNECT_WEBHOOK_SECRET).', 'connect_webhooks_off'))
    return this.o.connectEvents.parseWebhook(rawBody, signature)
  }

  /** Events from a site's own Stripe account, checked with that site's webhook secret. */
  async parseSiteWebhook(siteId: string, rawBody: string, signature: string | undefined): Promise<PaymentEvent> {
    const [setup] = await this.db.select().from(siteCollections).where(eq(siteCollections.siteId, siteId))
    if (setup?.mode !== 'own' || !setup.ownSecretKey || !this.connect) throw new PaymentError('This site does not collect on its own Stripe account.', 'not_own_account')
    return (await this.ownProvider(setup)).parseWebhook(rawBody, signature)
  }

  minimumCharge(currency: string): number {
    return this.platform.minimumCharge(currency)
  }

  /** The platform's ledger and every own account's, each payment once. */
  async ledger(range: { from: Date; to: Date }): Promise<LedgerEntry[]> {
    const providers = new Set<PaymentProvider>([this.platform])
    const owners = await this.db.select().from(siteCollections).where(eq(siteCollections.mode, 'own'))
    if (this.connect) for (const setup of owners) if (setup.ownSecretKey) providers.add(await this.ownProvider(setup))
    const entries = new Map<string, LedgerEntry>()
    for (const provider of providers) {
      if (!provider.ledger) continue
      for (const entry of await provider.ledger(range)) entries.set(entry.id, entry)
    }
    return [...entries.values()]
  }

  /** The provider on a site's own account, for its onboarding check and its payouts. */
  async ownProvider(setup: SetupRow): Promise<PaymentProvider> {
    const cached = this.own.get(setup.siteId)
    if (cached && cached.updatedAt === setup.updatedAt.getTime()) return cached.provider
    if (!setup.ownSecretKey || !setup.ownPublishableKey || !setup.ownWebhookSecret) throw new Error(`site ${setup.siteId} has no own Stripe keys`)
    if (!this.o.ownAccount) throw new Error('own Stripe accounts need Stripe to be configured')
    const provider = this.o.ownAccount({
      secretKey: await this.sealer.open(setup.ownSecretKey),
      publishableKey: setup.ownPublishableKey,
      webhookSecret: await this.sealer.open(setup.ownWebhookSecret),
    })
    this.own.set(setup.siteId, { updatedAt: setup.updatedAt.getTime(), provider })
    return provider
  }

  private async holdRow(id: string): Promise<HoldRow | null> {
    const [row] = await this.db.select().from(collectedHolds).where(eq(collectedHolds.paymentId, id))
    return row ?? null
  }

  /**
   * Holds placed before a site had a setup (or without one) are the platform's. Without Stripe (the
   * demo) there are no accounts: the simulated provider keeps every hold.
   */
  private async providerOf(row: Pick<HoldRow, 'mode' | 'siteId'> | null): Promise<PaymentProvider> {
    if (row?.mode !== 'own' || !this.connect) return this.platform
    const [setup] = await this.db.select().from(siteCollections).where(eq(siteCollections.siteId, row.siteId))
    if (!setup?.ownSecretKey) throw new Error(`site ${row.siteId} collects on its own account, whose keys are gone`)
    return this.ownProvider(setup)
  }

  private async collectorFor(
    site: SiteRow,
    setup: SetupRow | null,
  ): Promise<{ mode: CollectionMode; provider: PaymentProvider; destination: string | null; feeBp: number; seller: Seller }> {
    if (setup?.mode === 'own') {
      if (this.connect && !setup.ownSecretKey) throw notReady(`${site.name} takes no card payments yet: its owner has not added the site's Stripe keys.`)
      return { mode: 'own', provider: await this.providerOf({ mode: 'own', siteId: site.id }), destination: null, feeBp: 0, seller: siteSeller(site) }
    }
    if (setup?.mode === 'platform') {
      if (!this.platformSeller) throw notReady('The platform has no seller details (PLATFORM_LEGAL_NAME and the rest): it cannot sell for this site.')
      if (this.connect && (!setup.connectedAccountId || !setup.accountReady)) {
        throw notReady(`${site.name} takes no card payments yet: its owner has not finished setting up payouts on Stripe.`)
      }
      return { mode: 'platform', provider: this.platform, destination: this.connect ? setup.connectedAccountId : null, feeBp: setup.feeBp, seller: this.platformSeller }
    }
    // No setup: the platform collects with no payout and the site sells, as before collection modes existed.
    return { mode: 'platform', provider: this.platform, destination: null, feeBp: 0, seller: siteSeller(site) }
  }
}

/** The site cannot take card payments until its owner finishes the setup: the driver is told so, nothing is held. */
const notReady = (message: string) => new AppError(409, 'collection_not_ready', message)

/** The hold's collection, for the receipt: who sold. Null for sessions with no hold of ours (grants, terminals). */
export async function sellerOfSession(db: Db | Tx, sessionId: string): Promise<Seller | null> {
  const [row] = await db
    .select({ seller: collectedHolds.seller })
    .from(collectedHolds)
    .innerJoin(sessions, and(eq(sessions.id, collectedHolds.sessionId), eq(sessions.paymentId, collectedHolds.paymentId)))
    .where(eq(collectedHolds.sessionId, sessionId))
  return row?.seller ?? null
}
