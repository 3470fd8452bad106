import { ref } from 'vue'
import type { ApiError } from '../api/http'
import { asApiError } from '../stores/account'

/**
 * One request at a time with its outcome for the page: `busy` while it runs (buttons disabled,
 * no double submit), then either `error` or whatever `notice` the action set.
 */
export function useAction() {
  const busy = ref(false)
  const error = ref<ApiError | null>(null)
  const notice = ref<string | null>(null)

  async function act(action: () => Promise<void>) {
    if (busy.value) return
    busy.value = true
    error.value = null
    notice.value = null
    try {
      await action()
    } catch (e) {
      error.value = asApiError(e)
    } finally {
      busy.value = false
    }
  }

  return { busy, error, notice, act }
}
