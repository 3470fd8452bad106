/**
 * The ChargerGateway port: what the session logic needs from chargers, and what chargers tell it,
 * in our words — our session id, the connector, energy in Wh, why charging ended — whatever
 * protocol or cloud reaches them. Each adapter (ocpp/, zaptec/ …) keeps its own tables and ids.
 */
import type { ConnectorStatus } from '../store/schema'

export type RemoteResult = 'Accepted' | 'Rejected'

/** The charger is not connected: a command cannot reach it now. */
export class ChargerOfflineError extends Error {
  override readonly name = 'ChargerOfflineError'
  constructor(readonly chargerId: string) {
    super(`Charger ${chargerId} is offline`)
  }
}

export interface ChargerGateway {
  /**
   * Asks the charger to start charging for this session. `token` is the session's own
   * authorisation token (an OCPP idTag). An adapter whose chargers start when a car arrives
   * records that the session waits there.
   */
  startCharging(chargerId: string, request: { sessionId: string; connectorId: number; token: string }): Promise<RemoteResult>
  stopCharging(chargerId: string, sessionId: string): Promise<RemoteResult>
  /** Asks the charger to report its connectors' status again (it may not after a reconnect). */
  askStatus(chargerId: string): Promise<void>
  isOnline(chargerId: string): boolean
  /** Tells the listener again what a crash kept it from taking (run at start and by the sweep). */
  recover?(): Promise<void>
}

/** Why charging ended, in the driver's words. */
export type StopCause = 'unplugged' | 'remote' | 'local' | 'power_loss' | 'charger_reboot' | 'emergency_stop' | 'deauthorized' | 'charger'

export type AuthorizeResult = 'accepted' | 'blocked' | 'invalid'

export interface ChargingStarted {
  chargerId: string
  connectorId: number
  /** The token the charger presented: a session's own, or a driver's RFID tag. */
  token: string
  /** Known when the adapter bound this charging to a session before (a resend). */
  sessionId: string | null
  /** The charger's clock. */
  startedAt: Date
  /** Ours, when the start reached us. */
  receivedAt: Date
}

export interface MeterReading {
  sessionId: string
  at: Date
  /** Delivered in this session so far. */
  energyWh: number | null
  powerW: number | null
  socPercent: number | null
}

export interface ChargingStopped {
  sessionId: string
  chargerId: string
  connectorId: number
  /** Delivered in the session: the charger's final reading, the source of truth. */
  energyWh: number
  /** The charger's clock; null when it did not say. */
  stoppedAt: Date | null
  /** Ours, when the stop reached us. */
  receivedAt: Date
  cause: StopCause
}

/**
 * What chargers tell the rest of the BFF. Each call is awaited after the adapter persisted what it
 * needs and before the charger gets its answer, so one charger's events arrive in order; every call
 * is safe to repeat.
 */
export interface ChargerListener {
  /** Authorize, and the token check of a start. */
  authorize(e: { chargerId: string; connectorId: number | null; token: string }): Promise<AuthorizeResult>
  /** The session this charging belongs to, or null: the adapter refuses it. */
  chargingStarted(e: ChargingStarted): Promise<string | null>
  meterReading(e: MeterReading): Promise<void>
  chargingStopped(e: ChargingStopped): Promise<void>
  connectorStatus(e: { chargerId: string; connectorId: number; status: ConnectorStatus; errorCode: string | null }): Promise<void>
  /** `lastSeenAt`: when we last heard from the charger before this change. */
  chargerConnection(e: { chargerId: string; online: boolean; lastSeenAt: Date | null }): Promise<void>
}
