/**
 * The demo-only terminal API (/api/demo/terminals, bff/routes/demo-terminals.ts): mounted only in the
 * embedded demo, so it is called with plain fetch (the typed client knows only the always-there routes).
 */
import { ApiError } from '../api/http'

export interface DemoTerminalView {
  terminal: { id: string; chargerId: string; connectorIds: number[] }
  screen: { lines: string[]; qrUrl: string | null }
  scanning: boolean
  cards: { id: string; brand: string; last4: string }[]
}

async function demoCall<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, init)
  } catch {
    throw new ApiError('network_error', 'No connection', 0)
  }
  const body = (await response.json().catch(() => null)) as ({ error?: { code: string; message: string } } & T) | null
  if (!response.ok) throw new ApiError(body?.error?.code ?? 'http_error', body?.error?.message ?? response.statusText, response.status)
  return body as T
}

const base = (id: string) => `/api/demo/terminals/${encodeURIComponent(id)}`

export const fetchDemoTerminal = (id: string) => demoCall<DemoTerminalView>(base(id))

export const tapDemoCard = (id: string, cardId: string) =>
  demoCall<DemoTerminalView & { tapped: boolean }>(`${base(id)}/tap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ cardId }),
  })

/** The receipt QR code on the terminal's screen, as an image (a fresh one for each new link). */
export const demoTerminalQrUrl = (id: string, qrUrl: string) => `${base(id)}/qr.svg?v=${encodeURIComponent(qrUrl.slice(-16))}`
