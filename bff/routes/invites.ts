import { Hono } from 'hono'
import { and, eq, sql } from 'drizzle-orm'
import type { AppContext } from '../app'
import { AppError } from '../errors'
import { requireUser, type AppEnv } from '../auth/viewer'
import { chargers, grants, invites, sites, users } from '../store/schema'
import { newToken } from '../secrets'
import { grantViews, inviteRefusal } from '../grants/service'
import { inviteCodeHash, normalizeInviteCode } from '../grants/invites'
import { rateLimit } from './rate-limit'

const inviteNotFound = () => new AppError(404, 'invite_not_found', 'This invite code is not valid. Check the code, or ask the owner for a new invite.')

const refusals = {
  expired: 'This invite has expired. Ask the owner for a new one.',
  revoked: 'The owner has withdrawn this invite.',
  used_up: 'This invite has been used as many times as the owner allowed.',
} as const

/** Drivers read an invite (no account needed) and redeem it into a grant (signed in). */
export function inviteRoutes(d: AppContext) {
  const now = () => d.sessions.clock()

  async function inviteByCode(raw: string) {
    const code = normalizeInviteCode(raw)
    if (!code) throw inviteNotFound()
    const [invite] = await d.db.select().from(invites).where(eq(invites.codeHash, inviteCodeHash(code)))
    if (!invite) throw inviteNotFound()
    return invite
  }

  return new Hono<AppEnv>()
    // Codes cannot be guessed at this rate; the limit keeps anyone from trying.
    .use(rateLimit(d.limiters.invites, 'invite'))
    .get('/:code', async (c) => {
      const invite = await inviteByCode(c.req.param('code'))
      const [site] = await d.db.select({ name: sites.name, city: sites.city, currency: sites.currency }).from(sites).where(eq(sites.id, invite.siteId))
      const [charger] = invite.chargerId ? await d.db.select({ id: chargers.id, label: chargers.label }).from(chargers).where(eq(chargers.id, invite.chargerId)) : []
      const reason = inviteRefusal(invite, now())
      return c.json({
        site,
        charger: charger ?? null,
        label: invite.label,
        terms: {
          validUntil: invite.grantValidUntil?.toISOString() ?? null,
          tariffOverride: invite.tariffOverride,
          capEnergyWh: invite.capEnergyWh,
          capAmount: invite.capAmount,
        },
        expiresAt: invite.expiresAt.toISOString(),
        usable: reason === null,
        reason,
      })
    })
    .post('/:code/redeem', requireUser, async (c) => {
      const viewer = c.get('viewer')!
      const found = await inviteByCode(c.req.param('code'))
      const at = now()
      const result = await d.db.transaction(async (tx) => {
        // Locked, so that the last use cannot be taken twice.
        const [invite] = await tx.select().from(invites).where(eq(invites.id, found.id)).for('update')
        const [mine] = await tx.select().from(grants).where(and(eq(grants.inviteId, invite.id), eq(grants.userId, viewer.userId)))
        if (mine) return { grant: mine, created: false }
        const reason = inviteRefusal(invite, at)
        if (reason) throw new AppError(409, `invite_${reason}`, refusals[reason])
        const [user] = await tx.select({ email: users.email }).from(users).where(eq(users.id, viewer.userId))
        const [grant] = await tx
          .insert(grants)
          .values({
            id: newToken(12),
            siteId: invite.siteId,
            chargerId: invite.chargerId,
            userId: viewer.userId,
            email: user.email,
            inviteId: invite.id,
            label: invite.label,
            validUntil: invite.grantValidUntil,
            tariffOverride: invite.tariffOverride,
            capEnergyWh: invite.capEnergyWh,
            capAmount: invite.capAmount,
            createdBy: invite.createdBy,
            createdAt: at,
          })
          .returning()
        await tx.update(invites).set({ uses: sql`${invites.uses} + 1` }).where(eq(invites.id, invite.id))
        return { grant, created: true }
      })
      const [view] = await grantViews(d.db, [result.grant], at)
      return c.json({ grant: view }, result.created ? 201 : 200)
    })
}
