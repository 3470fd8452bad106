/**
 * Stands in for hono/utils/cookie in the browser bundle: hono's typed client imports its cookie
 * serializer for the `cookie` request option, which a browser never uses (it sends cookies itself).
 */
export const serialize = (name: string, value: string) => `${name}=${encodeURIComponent(value)}`
