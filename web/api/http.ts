/** An error answer from the BFF (`{ error: { code, message } }`), or a failed network call (status 0). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

type ClientResponse = { ok: boolean; status: number; statusText: string; json(): Promise<unknown> }
type ErrorBody = { error: { code: string; message: string } }
/** The body of a successful answer: the route's JSON without its error shape. */
type Success<R> = Exclude<R extends { json(): Promise<infer T> } ? T : never, ErrorBody>

/** Awaits a typed client call and returns its JSON; every non-2xx answer becomes an ApiError. */
export async function call<R extends ClientResponse>(request: Promise<R>): Promise<Success<R>> {
  let response
  try {
    response = await request
  } catch {
    throw new ApiError('network_error', 'No connection', 0)
  }
  const json = await response.json().catch(() => null)
  if (!response.ok) {
    const error = (json as Partial<ErrorBody> | null)?.error
    throw new ApiError(error?.code ?? 'http_error', error?.message ?? response.statusText, response.status)
  }
  return json as Success<R>
}

export const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } })

/** EventSource.CLOSED: the browser gave up on the stream (an error answer) and will not retry by itself. */
const eventSourceClosed = 2

/**
 * Subscribes to a Server-Sent Events stream; returns a function that closes it. `url` may be made
 * anew for each connection (a short-lived ticket): EventSource reconnects by itself after a dropped
 * connection, and when the server refuses it (an expired ticket) a fresh URL is fetched.
 */
export function subscribe<T>(
  url: string | (() => Promise<string>),
  event: string,
  handlers: { onData: (data: T) => void; onOpen?: () => void; onDrop?: () => void },
): () => void {
  if (typeof EventSource === 'undefined') return () => {}
  let source: EventSource | null = null
  let closed = false
  let retry: ReturnType<typeof setTimeout> | undefined
  const reopenLater = () => {
    if (!closed) retry = setTimeout(() => void open(), 3000)
  }
  const open = async () => {
    let address: string
    try {
      address = typeof url === 'string' ? url : await url()
    } catch {
      handlers.onDrop?.()
      return reopenLater()
    }
    if (closed) return
    const current = new EventSource(address)
    source = current
    current.addEventListener(event, (message) => handlers.onData(JSON.parse((message as MessageEvent<string>).data) as T))
    current.addEventListener('open', () => handlers.onOpen?.())
    current.addEventListener('error', () => {
      handlers.onDrop?.()
      if (current.readyState === eventSourceClosed && typeof url !== 'string') reopenLater()
    })
  }
  void open()
  return () => {
    closed = true
    clearTimeout(retry)
    source?.close()
  }
}
