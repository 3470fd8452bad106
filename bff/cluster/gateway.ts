/**
 * A gateway whose chargers hold a connection to one process (OCPP's WebSockets), for any process:
 * a command for a charger connected here goes straight to it; for a charger connected to another
 * process, it is sent there and that process's answer comes back. A charger that no live process
 * holds is offline: the command certainly did not reach it.
 */
import { ChargerOfflineError, type ChargerGateway, type RemoteResult } from '../charging/gateway'
import { CommandFailed, type Cluster, type Command } from './cluster'

type Remote = Pick<ChargerGateway, 'startCharging' | 'stopCharging' | 'askStatus'>

export class ClusterGateway implements ChargerGateway {
  constructor(
    private readonly local: ChargerGateway,
    private readonly cluster: Cluster,
  ) {
    cluster.answerWith((command) => this.run(command))
  }

  startCharging(chargerId: string, request: { sessionId: string; connectorId: number; token: string }): Promise<RemoteResult> {
    return this.send(chargerId, 'startCharging', [request]) as Promise<RemoteResult>
  }

  stopCharging(chargerId: string, sessionId: string): Promise<RemoteResult> {
    return this.send(chargerId, 'stopCharging', [sessionId]) as Promise<RemoteResult>
  }

  async askStatus(chargerId: string): Promise<void> {
    await this.send(chargerId, 'askStatus', [])
  }

  isOnline(chargerId: string): boolean {
    return this.local.isOnline(chargerId) || this.cluster.isHeldElsewhere(chargerId)
  }

  recover(): Promise<void> {
    return this.local.recover?.() ?? Promise.resolve()
  }

  private async send(chargerId: string, op: keyof Remote, args: unknown[]): Promise<unknown> {
    if (this.local.isOnline(chargerId)) return this.run({ op, chargerId, args })
    const holder = await this.cluster.holderOf(chargerId)
    if (!holder || holder === this.cluster.processId) return this.run({ op, chargerId, args })
    try {
      return await this.cluster.ask(holder, { op, chargerId, args })
    } catch (error) {
      // Offline there: not sent. Anything else (no answer, a failed call) may have reached the charger.
      if (error instanceof CommandFailed && error.kind === 'ChargerOfflineError') throw new ChargerOfflineError(chargerId)
      throw error
    }
  }

  /** A command run here, for a charger connected here. */
  private run(command: Command): Promise<unknown> {
    const { chargerId, args } = command
    switch (command.op) {
      case 'startCharging':
        return this.local.startCharging(chargerId, args[0] as { sessionId: string; connectorId: number; token: string })
      case 'stopCharging':
        return this.local.stopCharging(chargerId, String(args[0]))
      case 'askStatus':
        return this.local.askStatus(chargerId)
      default:
        return Promise.reject(new Error(`unknown charger command ${command.op}`))
    }
  }
}
