/**
 * The ChargerGateway port: what the session logic needs from chargers, whatever protocol or cloud
 * API reaches them. OCPP 1.6J (ocpp.ts) is one implementation; a charger maker's cloud API could be
 * another, without touching the sessions.
 */
import type { ConnectorStatus, transactions } from '../store/schema'

export type RemoteResult = 'Accepted' | 'Rejected'

/** The charger is not connected: a command cannot reach it now. */
export class ChargerOfflineError extends Error {
  constructor(readonly chargerId: string) {
    super(`Charger ${chargerId} is offline`)
  }
}

export interface ChargerGateway {
  remoteStart(chargerId: string, request: { connectorId: number; idTag: string }): Promise<RemoteResult>
  remoteStop(chargerId: string, transactionId: number): Promise<RemoteResult>
  /** Asks the charger to report its connectors' status again (it may not after a reconnect). */
  askStatus(chargerId: string): Promise<void>
  isOnline(chargerId: string): boolean
}

export type IdTagStatus = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx'

/** A transaction as persisted in the transactions table when the event is delivered. */
export interface TransactionEvent {
  transactionId: number
  chargerId: string
  connectorId: number
  idTag: string
  meterStartWh: number
  /** Charger's clock. */
  startedAt: Date
  meterStopWh: number | null
  stoppedAt: Date | null
  stopReason: string | null
  /** Our clock when the start, and the stop, reached us. */
  receivedAt: Date
  stopReceivedAt: Date | null
}

/** A stored transaction as the listener gets it. */
export const transactionEvent = (row: typeof transactions.$inferSelect): TransactionEvent => ({
  transactionId: row.id,
  chargerId: row.chargerId,
  connectorId: row.connectorId,
  idTag: row.idTag,
  meterStartWh: row.meterStartWh,
  startedAt: row.startedAt,
  meterStopWh: row.meterStopWh,
  stoppedAt: row.stoppedAt,
  stopReason: row.stopReason,
  receivedAt: row.receivedAt,
  stopReceivedAt: row.stopReceivedAt,
})

export interface MeterSample {
  at: Date
  energyWh: number | null
  powerW: number | null
  socPercent: number | null
}

/**
 * What chargers tell the rest of the BFF. Each call is awaited after the message is persisted and
 * before the charger gets its answer, so events of one charger arrive in order.
 */
export interface ChargerListener {
  /** Authorize, and the idTag check of StartTransaction. */
  authorize(e: { chargerId: string; connectorId: number | null; idTag: string }): Promise<IdTagStatus>
  transactionStarted(tx: TransactionEvent): Promise<void>
  meterValues(tx: TransactionEvent, sample: MeterSample): Promise<void>
  transactionStopped(tx: TransactionEvent): Promise<void>
  connectorStatus(e: { chargerId: string; connectorId: number; status: ConnectorStatus; errorCode: string | null; at: Date }): Promise<void>
  /** `lastSeenAt`: when we last heard from the charger before this change. */
  chargerConnection(e: { chargerId: string; online: boolean; lastSeenAt: Date | null }): Promise<void>
}
