import { Hono, type Context } from 'hono'
import { and, asc, desc, eq, inArray } from 'drizzle-orm'
import { z } from 'zod'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { hasRole, requireUser, type AppEnv } from '../auth/viewer'
import { normalizeEmail } from '../auth/accounts'
import { chargers, grants, invites, sites, users } from '../store/schema'
import { newToken } from '../secrets'
import { assertTariff } from '../domain/tariff'
import type { TariffOverride } from '../domain/grant'
import { grantViews, inviteView, type GrantRow } from '../grants/service'
import { inviteCodeHash, newInviteCode } from '../grants/invites'
import { mailGrant } from '../grants/mail'
import { json } from './validation'

const component = z.discriminatedUnion('type', [
  z.object({ type: z.literal('energy'), price: z.number().int().min(0), unit: z.literal('kWh') }),
  z.object({ type: z.literal('time'), price: z.number().int().min(0), unit: z.literal('minute') }),
  z.object({ type: z.literal('session'), price: z.number().int().min(0), unit: z.literal('session') }),
  z.object({ type: z.literal('idle'), price: z.number().int().min(0), unit: z.literal('minute'), graceMinutes: z.number().int().min(0).max(1440), capAmount: z.number().int().min(0).max(1_000_000).optional() }),
])
export const tariffOverrideSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('free') }),
  z.object({ kind: z.literal('tariff'), components: z.array(component).min(1).max(4) }),
])
const instant = z.iso.datetime({ offset: true })
const cap = z.number().int().min(1).max(100_000_000)
const id = z.string().min(1).max(48)

const grantFields = {
  chargerId: id.nullable().optional(),
  label: z.string().trim().max(80).nullable().optional(),
  validFrom: instant.nullable().optional(),
  validUntil: instant.nullable().optional(),
  tariffOverride: tariffOverrideSchema.nullable().optional(),
  capEnergyWh: cap.nullable().optional(),
  capAmount: cap.nullable().optional(),
}
const newGrant = z.object({ email: z.email().max(254), ...grantFields })
const grantChange = z.object({ email: z.email().max(254).optional(), ...grantFields })
const newInvite = z.object({
  chargerId: id.optional(),
  label: z.string().trim().max(80).optional(),
  expiresInDays: z.number().int().min(1).max(90),
  maxUses: z.number().int().min(1).max(1000),
  grantValidUntil: instant.optional(),
  tariffOverride: tariffOverrideSchema.optional(),
  capEnergyWh: cap.optional(),
  capAmount: cap.optional(),
})

type SiteRow = typeof sites.$inferSelect

/** Whether a change sets a cap to another value: a stop at the old cap then no longer uses up the month. */
const capsChange = (g: GrantRow, body: { capEnergyWh?: number | null; capAmount?: number | null }) =>
  (body.capEnergyWh !== undefined && body.capEnergyWh !== g.capEnergyWh) || (body.capAmount !== undefined && body.capAmount !== g.capAmount)

const toDate = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : new Date(v))

/** Routes for a site's owner (or an admin): their sites, the grants and invites of each. */
export function ownerRoutes(d: AppContext) {
  return new Hono<AppEnv>().use(requireUser).get('/sites', async (c) => {
    const viewer = c.get('viewer')!
    const admin = viewer.roles.some((r) => r.role === 'admin')
    const ownIds = viewer.roles.filter((r) => r.role === 'owner' && r.siteId).map((r) => r.siteId!)
    const rows = admin ? await d.db.select().from(sites).orderBy(asc(sites.name)) : ownIds.length ? await d.db.select().from(sites).where(inArray(sites.id, ownIds)).orderBy(asc(sites.name)) : []
    const list = rows.length
      ? await d.db.select({ id: chargers.id, label: chargers.label, siteId: chargers.siteId }).from(chargers).where(inArray(chargers.siteId, rows.map((s) => s.id))).orderBy(asc(chargers.id))
      : []
    return c.json({
      sites: rows.map((s) => ({
        id: s.id,
        name: s.name,
        city: s.city,
        accessMode: s.accessMode,
        currency: s.currency,
        chargers: list.filter((ch) => ch.siteId === s.id).map((ch) => ({ id: ch.id, label: ch.label })),
      })),
    })
  })
}

/** /api/sites/:id/grants and /api/sites/:id/invites: the site's owner or an admin only. */
export function siteAccessRoutes(d: AppContext) {
  const now = () => d.sessions.clock()

  /** The site, if the viewer owns it. Others get 403 whether or not the site exists. */
  async function ownedSite(c: Context<AppEnv>): Promise<SiteRow> {
    const viewer = c.get('viewer')!
    const siteId = c.req.param('id')!
    if (!hasRole(viewer, 'owner', siteId)) throw new AppError(403, 'forbidden', 'Only the owner of this site may manage its access.')
    const [site] = await d.db.select().from(sites).where(eq(sites.id, siteId))
    if (!site) throw new AppError(404, 'site_not_found', 'No such site.')
    return site
  }

  async function assertCharger(site: SiteRow, chargerId: string | null | undefined) {
    if (!chargerId) return
    const [row] = await d.db.select({ id: chargers.id }).from(chargers).where(and(eq(chargers.id, chargerId), eq(chargers.siteId, site.id)))
    if (!row) throw new AppError(400, 'charger_not_in_site', `Charger ${chargerId} is not at ${site.name}.`)
  }

  function assertOverride(site: SiteRow, override: TariffOverride | null | undefined) {
    if (!override || override.kind !== 'tariff') return
    try {
      assertTariff({ currency: site.currency, vatRateBp: 2500, components: override.components })
    } catch (error) {
      throw new AppError(400, 'invalid_tariff', (error as Error).message)
    }
  }

  function assertWindow(from: Date | null | undefined, until: Date | null | undefined) {
    if (from && until && until.getTime() <= from.getTime()) throw new AppError(400, 'invalid_window', 'validUntil must be after validFrom.')
  }

  async function userIdOf(email: string): Promise<string | null> {
    const [user] = await d.db.select({ id: users.id }).from(users).where(eq(users.email, email))
    return user?.id ?? null
  }

  async function grantOf(site: SiteRow, grantId: string): Promise<GrantRow> {
    const [g] = await d.db.select().from(grants).where(and(eq(grants.id, grantId), eq(grants.siteId, site.id)))
    if (!g) throw new AppError(404, 'grant_not_found', 'No such grant at this site.')
    return g
  }

  const one = async (g: GrantRow) => (await grantViews(d.db, [g], now()))[0]

  return new Hono<AppEnv>()
    .use('/:id/*', requireUser)
    .get('/:id/grants', async (c) => {
      const site = await ownedSite(c)
      const rows = await d.db.select().from(grants).where(eq(grants.siteId, site.id)).orderBy(desc(grants.createdAt))
      return c.json({ grants: await grantViews(d.db, rows, now()) })
    })
    .post('/:id/grants', json(newGrant), async (c) => {
      const site = await ownedSite(c)
      const body = c.req.valid('json')
      await assertCharger(site, body.chargerId)
      assertOverride(site, body.tariffOverride)
      const validFrom = toDate(body.validFrom) ?? null
      const validUntil = toDate(body.validUntil) ?? null
      assertWindow(validFrom, validUntil)
      const email = normalizeEmail(body.email)
      const [g] = await d.db
        .insert(grants)
        .values({
          id: newToken(12),
          siteId: site.id,
          chargerId: body.chargerId ?? null,
          userId: await userIdOf(email),
          email,
          label: body.label || null,
          validFrom,
          validUntil,
          tariffOverride: body.tariffOverride ?? null,
          capEnergyWh: body.capEnergyWh ?? null,
          capAmount: body.capAmount ?? null,
          createdBy: c.get('viewer')!.userId,
          createdAt: now(),
        })
        .returning()
      // The grant stands whether or not the mail gets out; the driver can still sign in and find it.
      await mailGrant(d.db, d.mailer, { grant: g, site, publicUrl: d.publicUrl }).catch((error: unknown) =>
        d.logger.warn({ err: error, grantId: g.id }, 'could not mail the driver about their access'),
      )
      return c.json({ grant: await one(g) }, 201)
    })
    .patch('/:id/grants/:grantId', json(grantChange), async (c) => {
      const site = await ownedSite(c)
      const g = await grantOf(site, c.req.param('grantId'))
      if (g.revokedAt) throw new AppError(409, 'grant_revoked', 'This grant is revoked; make a new one instead.')
      const body = c.req.valid('json')
      await assertCharger(site, body.chargerId)
      assertOverride(site, body.tariffOverride)
      const validFrom = toDate(body.validFrom)
      const validUntil = toDate(body.validUntil)
      assertWindow(validFrom === undefined ? g.validFrom : validFrom, validUntil === undefined ? g.validUntil : validUntil)
      const email = body.email ? normalizeEmail(body.email) : undefined
      const [updated] = await d.db
        .update(grants)
        .set({
          chargerId: body.chargerId,
          label: body.label === undefined ? undefined : body.label || null,
          validFrom,
          validUntil,
          tariffOverride: body.tariffOverride,
          capEnergyWh: body.capEnergyWh,
          capAmount: body.capAmount,
          ...(capsChange(g, body) ? { capsChangedAt: now() } : {}),
          ...(email && email !== g.email ? { email, userId: await userIdOf(email) } : {}),
        })
        .where(eq(grants.id, g.id))
        .returning()
      return c.json({ grant: await one(updated) })
    })
    .delete('/:id/grants/:grantId', async (c) => {
      const site = await ownedSite(c)
      const g = await grantOf(site, c.req.param('grantId'))
      // New starts are refused from now on; a session already running finishes.
      const [revoked] = g.revokedAt ? [g] : await d.db.update(grants).set({ revokedAt: now() }).where(eq(grants.id, g.id)).returning()
      return c.json({ grant: await one(revoked) })
    })
    .get('/:id/invites', async (c) => {
      const site = await ownedSite(c)
      const rows = await d.db.select().from(invites).where(eq(invites.siteId, site.id)).orderBy(desc(invites.createdAt))
      return c.json({ invites: rows.map((i) => inviteView(i, now())) })
    })
    .post('/:id/invites', json(newInvite), async (c) => {
      const site = await ownedSite(c)
      const body = c.req.valid('json')
      await assertCharger(site, body.chargerId)
      assertOverride(site, body.tariffOverride)
      const code = newInviteCode()
      const at = now()
      const [invite] = await d.db
        .insert(invites)
        .values({
          id: newToken(12),
          codeHash: inviteCodeHash(code),
          siteId: site.id,
          chargerId: body.chargerId ?? null,
          label: body.label || null,
          grantValidUntil: toDate(body.grantValidUntil) ?? null,
          tariffOverride: body.tariffOverride ?? null,
          capEnergyWh: body.capEnergyWh ?? null,
          capAmount: body.capAmount ?? null,
          maxUses: body.maxUses,
          expiresAt: new Date(at.getTime() + body.expiresInDays * 86_400_000),
          createdBy: c.get('viewer')!.userId,
          createdAt: at,
        })
        .returning()
      return c.json({ invite: inviteView(invite, at), code, url: `${d.publicUrl}/i/${code}` }, 201)
    })
    .delete('/:id/invites/:inviteId', async (c) => {
      const site = await ownedSite(c)
      const [invite] = await d.db.select().from(invites).where(and(eq(invites.id, c.req.param('inviteId')), eq(invites.siteId, site.id)))
      if (!invite) throw new AppError(404, 'invite_not_found', 'No such invite at this site.')
      const [revoked] = invite.revokedAt ? [invite] : await d.db.update(invites).set({ revokedAt: now() }).where(eq(invites.id, invite.id)).returning()
      return c.json({ invite: inviteView(revoked, now()) })
    })
}
