/** Invite links (/i/:code): preview for anyone, redeem when signed in. */
import { api } from './client'
import { call } from './http'
import type { GrantView, TariffOverride } from './owner'

export interface InvitePreview {
  site: { name: string; city: string; currency: string }
  charger: { id: string; label: string | null } | null
  label: string | null
  terms: { validUntil: string | null; tariffOverride: TariffOverride | null; capEnergyWh: number | null; capAmount: number | null }
  expiresAt: string
  usable: boolean
  reason: null | 'expired' | 'revoked' | 'used_up'
}

const invite = (code: string) => ({ param: { code: encodeURIComponent(code) } })

export const fetchInvite = (code: string): Promise<InvitePreview> => call(api.invites[':code'].$get(invite(code)))

/** Redeeming twice gives the same grant back. */
export const redeemInvite = (code: string): Promise<{ grant: GrantView }> => call(api.invites[':code'].redeem.$post(invite(code)))
