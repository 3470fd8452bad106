/** An owner's Stripe secret key and webhook secret must be readable again to call Stripe and check signatures: sealed, not hashed. */
import type { Db } from '../../store/db'
import { Sealer } from '../../sealer'

export class KeySealer extends Sealer {
  constructor(db: Db) {
    super(db, 'owner-payment-keys', 'payment key')
  }
}
