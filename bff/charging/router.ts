/**
 * One ChargerGateway for the session side, whatever reaches each charger: commands go to the
 * adapter named in the charger's `gateway` column (read once, then remembered).
 */
import { eq } from 'drizzle-orm'
import type { Db } from '../store/db'
import { chargers } from '../store/schema'
import { ChargerOfflineError, type ChargerGateway, type RemoteResult } from './gateway'

export class GatewayRouter implements ChargerGateway {
  private readonly kinds = new Map<string, string>()

  constructor(
    private readonly db: Db,
    private readonly gateways: Record<string, ChargerGateway>,
  ) {}

  private async gatewayOf(chargerId: string): Promise<ChargerGateway> {
    let kind = this.kinds.get(chargerId)
    if (!kind) {
      const [row] = await this.db.select({ gateway: chargers.gateway }).from(chargers).where(eq(chargers.id, chargerId))
      if (!row) throw new ChargerOfflineError(chargerId)
      kind = row.gateway
      this.kinds.set(chargerId, kind)
    }
    const gateway = this.gateways[kind]
    if (!gateway) throw new Error(`no gateway '${kind}' is running for charger ${chargerId}`)
    return gateway
  }

  async startCharging(chargerId: string, request: { sessionId: string; connectorId: number; token: string }): Promise<RemoteResult> {
    return (await this.gatewayOf(chargerId)).startCharging(chargerId, request)
  }

  async stopCharging(chargerId: string, sessionId: string): Promise<RemoteResult> {
    return (await this.gatewayOf(chargerId)).stopCharging(chargerId, sessionId)
  }

  async askStatus(chargerId: string): Promise<void> {
    return (await this.gatewayOf(chargerId)).askStatus(chargerId)
  }

  async recover(): Promise<void> {
    for (const gateway of Object.values(this.gateways)) await gateway.recover?.()
  }

  isOnline(chargerId: string): boolean {
    const kind = this.kinds.get(chargerId)
    if (kind) return this.gateways[kind]?.isOnline(chargerId) ?? false
    return Object.values(this.gateways).some((g) => g.isOnline(chargerId))
  }
}
