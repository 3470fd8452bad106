import type { ChargerView, ConnectorView, SessionView } from '../../bff/views'
import { chargeFor } from '../../bff/domain/charge'

export function charger(overrides: Partial<ChargerView> = {}, statuses: ConnectorView['status'][] = ['Available', 'Available']): ChargerView {
  return {
    id: 'DEMO-1',
    label: 'Plats 1–2',
    online: true,
    lastSeenAt: '2026-01-10T10:00:00Z',
    site: {
      id: 'demo',
      name: 'Demo Garage',
      street: 'Sveavägen 44',
      postalCode: '111 34',
      city: 'Stockholm',
      country: 'SE',
      currency: 'SEK',
      timezone: 'Europe/Stockholm',
      accessMode: 'paid',
      seller: { legalName: 'Laddpunkt Demo AB', orgNumber: '559123-4567', vatNumber: 'SE559123456701' },
    },
    connectors: statuses.map((status, i) => ({
      connectorId: i + 1,
      evseId: `SE*LDP*EDEMO1*${i + 1}`,
      plug: 'Type2',
      maxPowerW: 11_000,
      status,
      statusAt: '2026-01-10T10:00:00Z',
    })),
    tariff: {
      currency: 'SEK',
      vatRate: 0.25,
      // Deliberately out of AFIR order: the page must sort.
      components: [
        { type: 'idle', price: 100, unit: 'minute', graceMinutes: 30 },
        { type: 'session', price: 500, unit: 'session' },
        { type: 'energy', price: 495, unit: 'kWh' },
        { type: 'time', price: 25, unit: 'minute' },
      ],
      holdAmount: 30_000,
      minimumCharge: 300,
    },
    startMethods: ['card'],
    qrUrl: 'http://localhost:8080/c/DEMO-1',
    ...overrides,
  }
}

/** A session snapshot; its `charge` follows from the rest, as the BFF's does, unless given. */
export function session(overrides: Partial<SessionView> = {}): SessionView {
  const s: Omit<SessionView, 'charge'> = {
    id: 'ses_1',
    state: 'charging',
    chargerId: 'DEMO-1',
    connectorId: 1,
    evseId: 'SE*LDP*EDEMO1*1',
    siteName: 'Demo Garage',
    method: 'card',
    energyWh: 12_345,
    powerW: 7_360,
    createdAt: new Date(Date.now() - 3_600_000).toISOString(),
    startedAt: new Date(Date.now() - 1_800_000).toISOString(),
    stoppedAt: null,
    unpluggedAt: null,
    stopReason: null,
    failureReason: null,
    startDeadline: null,
    cost: { currency: 'SEK', total: 6_111, vat: 1_222, lines: [] },
    hold: { amount: 30_000, status: 'held', captured: 0, released: 0, refunded: 0 },
    idle: null,
    tariff: charger().tariff,
    card: { brand: 'visa', last4: '4242' },
    receipt: null,
    powerCurve: [
      [Date.now() - 60_000, 7_000],
      [Date.now() - 30_000, 7_400],
      [Date.now(), 7_360],
    ],
    version: 3,
    ...overrides,
  }
  const charge = overrides.charge ?? chargeFor({ method: s.method, cost: s.cost, energyWh: s.energyWh, holdAmount: s.hold.amount, minimumCharge: s.tariff.minimumCharge })
  return { ...s, charge }
}
