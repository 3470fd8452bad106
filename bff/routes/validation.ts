/**
 * Request validation at the edge: zValidator with the project's error shape,
 * `{ error: { code: 'invalid_request', message } }` and status 400.
 */
import { zValidator } from '@hono/zod-validator'
import type { Context } from 'hono'
import type { z } from 'zod'
import { controlCharacterIn } from '../http/input-guard'

type Issue = { path: readonly PropertyKey[]; message: string }

/** The first issue, named by its path: "card.number: Too small". */
function describeIssue(issue: Issue | undefined): string {
  if (!issue) return 'Invalid request'
  const path = issue.path.map(String).join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

/**
 * The zValidator hook: a failed validation answers 400 in the project's error shape, and so does a valid
 * shape with a control character (a NUL byte…) in one of its strings.
 */
export function validationError(result: { success: boolean; data?: unknown; error?: { issues: Issue[] } }, c: Context) {
  if (!result.success) {
    return c.json({ error: { code: 'invalid_request', message: describeIssue(result.error?.issues[0]) } }, 400)
  }
  const control = controlCharacterIn(result.data)
  if (control) {
    return c.json({ error: { code: 'invalid_request', message: `${control}: contains a control character (such as a NUL byte), which is not allowed` } }, 400)
  }
}

export const json = <T extends z.ZodType>(schema: T) => zValidator('json', schema, validationError)
export const query = <T extends z.ZodType>(schema: T) => zValidator('query', schema, validationError)
export const param = <T extends z.ZodType>(schema: T) => zValidator('param', schema, validationError)
