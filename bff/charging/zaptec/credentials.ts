/** The owner's Zaptec API password must be readable again (Zaptec's API takes only a password grant): sealed, not hashed. */
import type { Db } from '../../store/db'
import { Sealer } from '../../sealer'

export class CredentialSealer extends Sealer {
  constructor(db: Db) {
    super(db, 'zaptec-credentials', 'Zaptec credential')
  }
}
