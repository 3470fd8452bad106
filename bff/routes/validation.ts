/**
 * Request validation at the edge: zValidator with the project's error shape,
 * `{ error: { code: 'invalid_request', message } }` and status 400.
 */
import { zValidator } from '@hono/zod-validator'
import type { Context } from 'hono'
import type { z } from 'zod'

type Issue = { path: readonly PropertyKey[]; message: string }

/** The first issue, named by its path: "card.number: Too small". */
function describeIssue(issue: Issue | undefined): string {
  if (!issue) return 'Invalid request'
  const path = issue.path.map(String).join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

/** The zValidator hook: a failed validation answers 400 in the project's error shape. */
export function validationError(result: { success: boolean; error?: { issues: Issue[] } }, c: Context) {
  if (!result.success) {
    return c.json({ error: { code: 'invalid_request', message: describeIssue(result.error?.issues[0]) } }, 400)
  }
}

export const json = <T extends z.ZodType>(schema: T) => zValidator('json', schema, validationError)
export const query = <T extends z.ZodType>(schema: T) => zValidator('query', schema, validationError)
export const param = <T extends z.ZodType>(schema: T) => zValidator('param', schema, validationError)
