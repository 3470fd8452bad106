/** What a driver scans or types to name a charger: a charger id, an EVSE id or the QR code's URL. */

export type ChargerRef = { kind: 'charger'; chargerId: string } | { kind: 'evse'; evseId: string }

const maxInput = 255
/** OCPP 1.6J chargePointId: it is also the last segment of the charger's WebSocket URL. */
const chargerIdPattern = /^[A-Za-z0-9*\-_.:]{1,48}$/
/** eMI3 / ISO 15118 EVSE id with separators: country, operator, 'E', outlet id (up to 31 chars). */
const evseIdPattern = /^[A-Z]{2}\*[A-Z0-9]{3}\*E(?=[A-Z0-9*]{1,31}$)[A-Z0-9]+(\*[A-Z0-9]+)*$/
const looksLikeEvseId = /^[A-Za-z]{2}\*/
/** A QR code's path ends in /c/<ref>; PUBLIC_URL may carry a path prefix. */
const qrPathPattern = /\/c\/([^/]+)\/?$/i

export function parseChargerRef(input: string): ChargerRef | null {
  const text = input.trim()
  if (text.length === 0 || text.length > maxInput || /\p{Cc}/u.test(text)) return null
  if (/^https?:\/\//i.test(text)) return parseQrUrl(text)
  return parseBareRef(text.replace(/%2A/gi, '*'))
}

/** The URL printed in a charger's QR code. */
export function qrUrlFor(publicUrl: string, chargerId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/c/${encodeURIComponent(chargerId)}`
}

function parseQrUrl(text: string): ChargerRef | null {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return null
  }
  const match = qrPathPattern.exec(url.pathname)
  if (!match) return null
  let ref: string
  try {
    ref = decodeURIComponent(match[1])
  } catch {
    return null
  }
  return /\p{Cc}/u.test(ref) ? null : parseBareRef(ref)
}

function parseBareRef(ref: string): ChargerRef | null {
  if (looksLikeEvseId.test(ref)) {
    const evseId = ref.toUpperCase()
    return evseIdPattern.test(evseId) ? { kind: 'evse', evseId } : null
  }
  // a name of dots only would be a path segment, not a charger
  if (chargerIdPattern.test(ref) && /[A-Za-z0-9]/.test(ref)) return { kind: 'charger', chargerId: ref }
  return null
}
