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

/** Subscribes to a Server-Sent Events stream; returns a function that closes it. */
export function subscribe<T>(
  url: string,
  event: string,
  handlers: { onData: (data: T) => void; onOpen?: () => void; onDrop?: () => void },
): () => void {
  if (typeof EventSource === 'undefined') return () => {}
  // EventSource reconnects by itself and sends Last-Event-ID.
  const source = new EventSource(url)
  source.addEventListener(event, (message) => handlers.onData(JSON.parse((message as MessageEvent<string>).data) as T))
  source.addEventListener('open', () => handlers.onOpen?.())
  source.addEventListener('error', () => handlers.onDrop?.())
  return () => source.close()
}
