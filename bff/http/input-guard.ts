/**
 * Ids, parameters and queries never carry control characters: a NUL byte would reach PostgreSQL (which
 * refuses it in text) and answer 500. They are refused at the edge with 400 and a clear message, as is
 * a path with broken percent-encoding. JSON bodies are checked by the validators (routes/validation.ts).
 */
import { createMiddleware } from 'hono/factory'
import { AppError } from '../errors'

/** C0 controls (NUL … US) and DEL. */
const controlCharacter = /[\u0000-\u001f\u007f]/
/** In free text (notes, reasons) tab and line breaks are fine; the rest is not. */
const controlCharacterInText = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

const refused = (where: string) =>
  new AppError(400, 'invalid_request', `The ${where} contains a control character (such as a NUL byte), which is never valid here.`)

export const refuseControlCharacters = createMiddleware(async (c, next) => {
  const url = new URL(c.req.url)
  for (const segment of url.pathname.split('/')) {
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      throw new AppError(400, 'invalid_request', 'The address has broken percent-encoding (a % not followed by two hex digits).')
    }
    if (controlCharacter.test(decoded)) throw refused('address')
  }
  for (const [name, value] of url.searchParams) {
    if (controlCharacter.test(name) || controlCharacter.test(value)) throw refused('query')
  }
  await next()
})

/** The path ("card.number") of the first string in `value` with a control character, or null. */
export function controlCharacterIn(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') return controlCharacterInText.test(value) ? path.join('.') || 'body' : null
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = controlCharacterIn(item, [...path, String(i)])
      if (found) return found
    }
    return null
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (controlCharacter.test(key)) return [...path, '(a key)'].join('.')
      const found = controlCharacterIn(item, [...path, key])
      if (found) return found
    }
  }
  return null
}
