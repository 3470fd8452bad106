/**
 * Charging sessions: the state machine of DESIGN.md section 4 carried out against storage, the
 * charger gateway and the payment provider. Each job has its own home:
 * - commands.ts: what drivers, support and the cost cap ask (create, authorise, stop, cancel, end);
 * - charger-events.ts: what chargers report (start, meter values, stop, connector status, connection);
 * - settlement.ts: fixing the cost, capture or release, the receipt;
 * - intents.ts: carrying out side effects written down before they happen;
 * - sweep.ts: timeouts, bounds and retries, and the recovery after a restart.
 * This class puts them together and is what the rest of the BFF talks to.
 */
import type { AuthorizeResult, ChargingStarted, ChargingStopped, MeterReading } from '../charging/gateway'
import type { Cost } from '../domain/tariff'
import { SessionCore, type SessionRow, type SessionsOptions } from './core'
import { DriverCommands, type StopReason } from './commands'
import { ChargerEvents } from './charger-events'
import { IntentWorker } from './intents'
import { Settlement } from './settlement'
import { SessionSweep } from './sweep'

export type { SessionRow, SessionsOptions } from './core'
export { startMethodsFor } from './commands'

export class Sessions {
  readonly clock: () => Date
  private readonly core: SessionCore
  private readonly worker: IntentWorker
  private readonly settlement: Settlement
  private readonly commands: DriverCommands
  private readonly events: ChargerEvents
  private readonly sweep: SessionSweep

  constructor(o: SessionsOptions) {
    this.core = new SessionCore(o)
    this.clock = this.core.clock
    this.worker = new IntentWorker(this.core, (id) => this.settlement.completeIfSettled(id))
    this.settlement = new Settlement(this.core, (id) => this.worker.runPending(id))
    this.commands = new DriverCommands(this.core, this.worker, this.settlement)
    this.events = new ChargerEvents(this.core, this.commands, this.worker, this.settlement)
    this.sweep = new SessionSweep(this.core, this.commands, this.worker, this.settlement)
  }

  get settings() {
    return this.core.settings
  }

  // ——— driver, support and cap ———
  create(input: Parameters<DriverCommands['create']>[0]) {
    return this.commands.create(input)
  }
  authorize(session: SessionRow): Promise<SessionRow> {
    return this.commands.authorize(session)
  }
  stop(id: string, reason: StopReason): Promise<SessionRow> {
    return this.commands.stop(id, reason)
  }
  cancel(id: string): Promise<SessionRow> {
    return this.commands.cancel(id)
  }
  end(id: string, reason: string): Promise<SessionRow> {
    return this.commands.end(id, reason)
  }
  holdCanceled(id: string): Promise<void> {
    return this.commands.holdCanceled(id)
  }
  startFromTerminal(input: Parameters<DriverCommands['startFromTerminal']>[0]) {
    return this.commands.startFromTerminal(input)
  }
  stopByCardToken(chargerId: string, token: string): Promise<SessionRow | null> {
    return this.commands.stopByCardToken(chargerId, token)
  }
  stopByCard(chargerId: string, paymentMethodId: string): Promise<SessionRow> {
    return this.commands.stopByCard(chargerId, paymentMethodId)
  }
  get(id: string): Promise<SessionRow> {
    return this.core.get(id)
  }
  costNow(s: Parameters<Settlement['costNow']>[0]): Cost {
    return this.settlement.costNow(s)
  }
  runPendingIntents(sessionId: string): Promise<void> {
    return this.worker.runPending(sessionId)
  }

  // ——— chargers ———
  authorizeToken(e: { chargerId: string; token: string }): Promise<AuthorizeResult> {
    return this.events.authorize(e)
  }
  chargingStarted(e: ChargingStarted): Promise<string | null> {
    return this.events.chargingStarted(e)
  }
  meterReading(e: MeterReading): Promise<void> {
    return this.events.meterReading(e)
  }
  chargingStopped(e: ChargingStopped): Promise<void> {
    return this.events.chargingStopped(e)
  }
  connectorStatus(e: { chargerId: string; connectorId: number; status: string }): Promise<void> {
    return this.events.connectorStatus(e)
  }
  chargerConnection(e: { chargerId: string; online: boolean; lastSeenAt: Date | null }): Promise<void> {
    return this.events.chargerConnection(e)
  }

  // ——— sweep ———
  tick(): Promise<void> {
    return this.sweep.tick()
  }
  startSweeping(seconds = 2): void {
    this.sweep.start(seconds)
  }
  stopSweeping(): void {
    this.sweep.stop()
  }
}
