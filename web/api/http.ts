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

interface RequestOptions {
  method?: 'GET' | 'POST'
  body?: unknown
  token?: string
  idempotencyKey?: string
}

/** Calls the BFF and returns its JSON; every non-2xx answer becomes an ApiError. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  if (options.token) headers.Authorization = `Bearer ${options.token}`
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey
  let response: Response
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
  } catch {
    throw new ApiError('network_error', 'No connection', 0)
  }
  const json: unknown = await response.json().catch(() => null)
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error
    throw new ApiError(error?.code ?? 'http_error', error?.message ?? response.statusText, response.status)
  }
  return json as T
}

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
