/**
 * Where a scanned or typed charger reference leads. A QR URL of our own origin pointing at /c/… is
 * opened as it is; anything else (charger id, EVSE id, another host's QR URL) goes to /c/<ref>, and
 * the BFF resolves it.
 */
export function chargerRouteFor(payload: string, origin: string): string | null {
  const value = payload.trim()
  if (!value) return null
  try {
    const url = new URL(value)
    if (url.origin === origin && url.pathname.startsWith('/c/') && url.pathname.length > 3) return url.pathname
  } catch {
    // Not a URL: a charger id or an EVSE id.
  }
  return `/c/${encodeURIComponent(value)}`
}
