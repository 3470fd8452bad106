import { hashToken } from '../secrets'

/**
 * The receipt link's token, derived from the session's stop token: whoever may see the session may
 * see its receipt, and the server stores neither token, only their hashes.
 */
export function receiptTokenFor(stopToken: string): string {
  return hashToken(`receipt:${stopToken}`).slice(0, 32)
}
