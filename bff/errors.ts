import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** An error a client should see: `{ error: { code, message } }` with this status. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export const notFound = (code: string, message: string) => new AppError(404, code, message)
