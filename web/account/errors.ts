import type { ApiError } from '../api/http'
import { errorText } from '../app/api-error'

type Translate = (key: string, values?: Record<string, unknown>) => string
type HasKey = (key: string) => boolean

/** Errors of accounts, grants and invites in our words (`account.errors.*`), else the app-wide text. */
export function accountErrorText(error: ApiError, t: Translate, te: HasKey): string {
  const key = `account.errors.${error.code}`
  if (te(key)) return t(key)
  return errorText(error, t, te)
}
