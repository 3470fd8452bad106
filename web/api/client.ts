import { hc } from 'hono/client'
import type { AppType } from '../../bff/app'

/**
 * The one typed client of the BFF: request and response shapes come from the BFF's routes.
 * `fetch` is looked up at call time, so the page (and tests) always use the current one.
 */
export const api = hc<AppType>('/', { fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) }).api
