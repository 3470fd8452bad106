import { defineStore } from 'pinia'
import { ref } from 'vue'
import {
  createGrant,
  createInvite,
  fetchGrants,
  fetchInvites,
  fetchOwnerSites,
  revokeGrant,
  revokeInvite,
  updateGrant,
  type GrantTerms,
  type GrantView,
  type InviteView,
  type NewGrant,
  type NewInvite,
  type OwnerSite,
} from '../api/owner'
import type { ApiError } from '../api/http'
import { asApiError } from './account'

export const useOwnerStore = defineStore('owner', () => {
  const sites = ref<OwnerSite[] | null>(null)
  const siteId = ref<string | null>(null)
  const grants = ref<GrantView[] | null>(null)
  const invites = ref<InviteView[] | null>(null)
  const error = ref<ApiError | null>(null)
  const busy = ref(false)

  async function guarded<T>(action: () => Promise<T>): Promise<T | null> {
    error.value = null
    try {
      return await action()
    } catch (e) {
      error.value = asApiError(e)
      return null
    }
  }

  const loadSites = () => guarded(async () => (sites.value = (await fetchOwnerSites()).sites))

  /** One site's grants and invites; the sites list too, for the site's name and chargers. */
  async function openSite(id: string) {
    siteId.value = id
    grants.value = null
    invites.value = null
    await guarded(async () => {
      const [g, i] = await Promise.all([fetchGrants(id), fetchInvites(id), sites.value ? null : loadSites()])
      if (siteId.value !== id) return
      grants.value = g.grants
      invites.value = i.invites
    })
  }

  async function busyWith<T>(action: () => Promise<T>): Promise<T | null> {
    if (busy.value) return null
    busy.value = true
    try {
      return await guarded(action)
    } finally {
      busy.value = false
    }
  }

  const replaceGrant = (grant: GrantView) => (grants.value = [grant, ...(grants.value ?? []).filter((g) => g.id !== grant.id)])
  const replaceInvite = (invite: InviteView) => (invites.value = [invite, ...(invites.value ?? []).filter((i) => i.id !== invite.id)])

  const grant = (id: string, body: NewGrant) => busyWith(async () => replaceGrant((await createGrant(id, body)).grant))

  const change = (id: string, grantId: string, terms: GrantTerms) => busyWith(async () => replaceGrant((await updateGrant(id, grantId, terms)).grant))

  const revoke = (id: string, grantId: string) => busyWith(async () => replaceGrant((await revokeGrant(id, grantId)).grant))

  /** Returns the link and code, shown once. */
  const invite = (id: string, body: NewInvite) =>
    busyWith(async () => {
      const created = await createInvite(id, body)
      replaceInvite(created.invite)
      return { code: created.code, url: created.url }
    })

  const revokeInviteOf = (id: string, inviteId: string) => busyWith(async () => replaceInvite((await revokeInvite(id, inviteId)).invite))

  return { sites, siteId, grants, invites, error, busy, loadSites, openSite, grant, change, revoke, invite, revokeInvite: revokeInviteOf }
})
