/** The charging session's state machine (DESIGN.md section 4). */
import type { SessionState } from '../store/schema'

export type SessionEvent =
  /** Hold placed or access granted; RemoteStart to be sent. */
  | 'start'
  /** StartTransaction from the charger. */
  | 'transaction_started'
  /** Driver, cap or support asked to stop; RemoteStop to be sent. */
  | 'stop_requested'
  /** StopTransaction from the charger. */
  | 'transaction_stopped'
  /** Captured or released: done. */
  | 'settled'
  /** Declined, charger rejected, offline, start timeout. */
  | 'start_failed'
  /** The driver gave up before charging began. */
  | 'cancel'

export const sessionEventNames: readonly SessionEvent[] = [
  'start', 'transaction_started', 'stop_requested', 'transaction_stopped', 'settled', 'start_failed', 'cancel',
]

const transitions: Record<SessionState, Partial<Record<SessionEvent, SessionState>>> = {
  pending: { start: 'starting', start_failed: 'failed', cancel: 'cancelled' },
  starting: { transaction_started: 'charging', start_failed: 'failed', cancel: 'cancelled' },
  charging: { stop_requested: 'stopping', transaction_stopped: 'settling' },
  // a late StartTransaction after the stop was asked for leaves the stop in force
  stopping: { transaction_started: 'stopping', stop_requested: 'stopping', transaction_stopped: 'settling' },
  settling: { settled: 'completed' },
  completed: {},
  failed: {},
  cancelled: {},
}

export class InvalidTransitionError extends Error {
  readonly from: SessionState
  readonly event: SessionEvent

  constructor(from: SessionState, event: SessionEvent) {
    super(`a session in state '${from}' cannot take '${event}'`)
    this.name = 'InvalidTransitionError'
    this.from = from
    this.event = event
  }
}

export function nextState(from: SessionState, event: SessionEvent): SessionState {
  const to = transitions[from]?.[event]
  if (!to) throw new InvalidTransitionError(from, event)
  return to
}

export function canApply(from: SessionState, event: SessionEvent): boolean {
  return transitions[from]?.[event] !== undefined
}

/** Completed, failed or cancelled: nothing more happens to it. */
export function isFinal(s: SessionState): boolean {
  return s === 'completed' || s === 'failed' || s === 'cancelled'
}

/** Starting, charging, stopping or settling: the connector is taken and the session in motion. */
export function isLive(s: SessionState): boolean {
  return s === 'starting' || s === 'charging' || s === 'stopping' || s === 'settling'
}

/** What support may do to a session; one rule for the server and the console. */
export interface SupportFacts {
  state: SessionState
  method: 'card' | 'grant' | 'open'
  holdStatus: 'none' | 'pending' | 'held' | 'captured' | 'released' | 'failed'
  paymentId: string | null
  capturedAmount: number
  /** Refunded, or asked for and not yet refused. */
  refundedAmount: number
  hasReceipt: boolean
  hasSimplifiedInvoice: boolean
}

export interface SupportActions {
  /** Ask the charger to stop, as the driver's stop button does; the session then settles as usual. */
  stop: boolean
  /** Bring the session to an end now, whatever the charger does: settled with what is known, audited. */
  end: boolean
  /** Release a hold the ended session left open. */
  releaseHold: boolean
  refund: boolean
  resendReceipt: boolean
  reissueInvoice: boolean
}

export function supportActions(f: SupportFacts): SupportActions {
  const holdOpen = f.method === 'card' && f.paymentId !== null && (f.holdStatus === 'pending' || f.holdStatus === 'held' || f.holdStatus === 'failed')
  return {
    stop: f.state === 'starting' || f.state === 'charging',
    end: !isFinal(f.state),
    releaseHold: holdOpen && isFinal(f.state),
    refund: f.paymentId !== null && f.capturedAmount - f.refundedAmount > 0,
    resendReceipt: f.hasReceipt,
    reissueInvoice: f.hasSimplifiedInvoice,
  }
}
