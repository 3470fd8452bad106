import { defineStore } from 'pinia'
import { ref } from 'vue'
import { ApiError } from '../api/http'
import * as support from '../api/support'
import type { CaseFile, SessionMatch, TerminalTapMatch } from '../api/support'

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError('unknown', String(e), 0))

/** The support console: the last lookup's matches and the case file open now. */
export const useSupportStore = defineStore('support', () => {
  const matches = ref<SessionMatch[] | null>(null)
  /** Card taps on terminals that started no session, found with a search by card last four and date. */
  const taps = ref<TerminalTapMatch[]>([])
  const caseFile = ref<CaseFile | null>(null)
  const error = ref<ApiError | null>(null)
  const busy = ref(false)

  async function run<T>(work: () => Promise<T>): Promise<T | null> {
    busy.value = true
    error.value = null
    try {
      return await work()
    } catch (e) {
      error.value = asApiError(e)
      return null
    } finally {
      busy.value = false
    }
  }

  /** A receipt number opens its session straight away; anything else is a search. Returns the session id to open, if one. */
  async function lookup(typed: string): Promise<string | null> {
    matches.value = null
    taps.value = []
    const found = await run(async () => {
      try {
        return await support.lookupReceipt(typed)
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null
        throw e
      }
    })
    if (found) {
      caseFile.value = found
      return found.session.id
    }
    if (error.value) return null
    const result = await run(() => support.searchSessions({ q: typed }))
    matches.value = result?.matches ?? null
    taps.value = result?.taps ?? []
    return null
  }

  async function search(input: support.SearchInput): Promise<void> {
    const result = await run(() => support.searchSessions(input))
    matches.value = result?.matches ?? null
    taps.value = result?.taps ?? []
  }

  async function open(id: string): Promise<void> {
    if (caseFile.value?.session.id !== id) caseFile.value = null
    const loaded = await run(() => support.fetchCaseFile(id))
    if (loaded) caseFile.value = loaded
  }

  /** Runs an action, then reloads the case file so the timeline shows it. Returns whether it worked. */
  async function act(id: string, action: () => Promise<unknown>): Promise<boolean> {
    const done = await run(action)
    if (done === null) return false
    const loaded = await support.fetchCaseFile(id).catch(() => null)
    if (loaded) caseFile.value = loaded
    return true
  }

  return { matches, taps, caseFile, error, busy, lookup, search, open, act }
})
