/** A site owner's pages: their sites, grants and invites. */
import type { GrantView, InviteView } from '../../bff/grants/service'
import { api } from './client'
import { call } from './http'

import type { TariffOverride } from '../../bff/domain/grant'
export type { GrantStatus, TariffOverride } from '../../bff/domain/grant'
export type { GrantView, InviteView }

export interface OwnerSite {
  id: string
  name: string
  city: string
  accessMode: 'open' | 'private' | 'paid'
  currency: string
  chargers: { id: string; label: string | null }[]
}

/** The terms every grant made from an invite gets. */
export interface GrantTerms {
  chargerId?: string | null
  label?: string | null
  validFrom?: string | null
  validUntil?: string | null
  tariffOverride?: TariffOverride | null
  capEnergyWh?: number | null
  capAmount?: number | null
}

export interface NewGrant extends GrantTerms {
  email: string
}

export interface NewInvite {
  chargerId?: string
  label?: string
  expiresInDays: number
  maxUses: number
  grantValidUntil?: string
  tariffOverride?: TariffOverride
  capEnergyWh?: number
  capAmount?: number
}

const site = (id: string) => ({ param: { id: encodeURIComponent(id) } })
const grant = (id: string, grantId: string) => ({ param: { id: encodeURIComponent(id), grantId: encodeURIComponent(grantId) } })
const invite = (id: string, inviteId: string) => ({ param: { id: encodeURIComponent(id), inviteId: encodeURIComponent(inviteId) } })
const grants = api.sites[':id'].grants
const invites = api.sites[':id'].invites

export const fetchOwnerSites = (): Promise<{ sites: OwnerSite[] }> => call(api.owner.sites.$get())

export const fetchGrants = (siteId: string): Promise<{ grants: GrantView[] }> => call(grants.$get(site(siteId)))

export const createGrant = (siteId: string, body: NewGrant): Promise<{ grant: GrantView }> => call(grants.$post({ ...site(siteId), json: body }))

export const updateGrant = (siteId: string, grantId: string, changes: GrantTerms): Promise<{ grant: GrantView }> =>
  call(grants[':grantId'].$patch({ ...grant(siteId, grantId), json: changes }))

export const revokeGrant = (siteId: string, grantId: string): Promise<{ grant: GrantView }> => call(grants[':grantId'].$delete(grant(siteId, grantId)))

export const fetchInvites = (siteId: string): Promise<{ invites: InviteView[] }> => call(invites.$get(site(siteId)))

/** The code is shown once: only its hash is kept. */
export const createInvite = (siteId: string, body: NewInvite): Promise<{ invite: InviteView; code: string; url: string }> =>
  call(invites.$post({ ...site(siteId), json: body }))

export const revokeInvite = (siteId: string, inviteId: string): Promise<{ invite: InviteView }> =>
  call(invites[':inviteId'].$delete(invite(siteId, inviteId)))
