import type { AccountUser } from '../../web/api/auth'
import type { GrantView, OwnerSite } from '../../web/api/owner'
import type { InvitePreview } from '../../web/api/invites'
import { json, type RecordedCall } from './harness'

export const driver: AccountUser = { id: 'usr_1', email: 'driver@example.com', name: null, roles: [] }
export const owner: AccountUser = { id: 'usr_2', email: 'owner@demo.laddpunkt.test', name: null, roles: [{ role: 'owner', siteId: 'demo' }] }

export const site: OwnerSite = {
  id: 'demo',
  name: 'Demo Garage',
  city: 'Stockholm',
  accessMode: 'paid',
  currency: 'SEK',
  chargers: [
    { id: 'DEMO-1', label: 'Plats 1–2' },
    { id: 'DEMO-2', label: null },
  ],
}

export function grant(overrides: Partial<GrantView> = {}): GrantView {
  return {
    id: 'grt_1',
    siteId: 'demo',
    siteName: 'Demo Garage',
    chargerId: null,
    email: 'neighbour@example.com',
    userId: 'usr_9',
    label: 'Flat 12B',
    validFrom: null,
    validUntil: null,
    tariffOverride: { kind: 'free' },
    capEnergyWh: 150_000,
    capAmount: null,
    createdAt: '2026-01-01T10:00:00Z',
    revokedAt: null,
    status: 'active',
    usedThisMonth: { energyWh: 12_345, amount: 0 },
    ...overrides,
  }
}

export function invitePreview(overrides: Partial<InvitePreview> = {}): InvitePreview {
  return {
    site: { name: 'Demo Garage', city: 'Stockholm', currency: 'SEK' },
    charger: null,
    label: 'Neighbours',
    terms: { validUntil: null, tariffOverride: { kind: 'free' }, capEnergyWh: null, capAmount: null },
    expiresAt: '2099-01-08T10:00:00Z',
    usable: true,
    reason: null,
    ...overrides,
  }
}

type Handler = (call: RecordedCall) => Response | Promise<Response>

/** Answers by "METHOD /path" (query ignored); anything else is a 404 like the BFF's. */
export const routes = (table: Record<string, Handler>) => (call: RecordedCall) => {
  const handler = table[`${call.method} ${call.path.split('?')[0]}`]
  return handler ? handler(call) : json({ error: { code: 'not_found', message: `No such endpoint: ${call.method} ${call.path}` } }, 404)
}
