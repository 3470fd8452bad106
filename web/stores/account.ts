import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { fetchMe, signOut as signOutHere, signOutEverywhere, type AccountUser } from '../api/auth'
import { ApiError } from '../api/http'

/** Any failure as an ApiError, so pages show one kind of message. */
export const asApiError = (e: unknown) =>
  e instanceof ApiError ? e : new ApiError('unknown', e instanceof Error ? e.message : String(e), 0)

export const useAccountStore = defineStore('account', () => {
  const user = ref<AccountUser | null>(null)
  /** True once /api/auth/me has answered (or failed) in this app run. */
  const known = ref(false)
  let loading: Promise<AccountUser | null> | null = null

  const signedIn = computed(() => user.value !== null)
  const ownerSiteIds = computed(() => (user.value?.roles ?? []).filter((r) => r.role === 'owner' && r.siteId).map((r) => r.siteId as string))
  const isOwner = computed(() => ownerSiteIds.value.length > 0 || (user.value?.roles ?? []).some((r) => r.role === 'admin'))
  const isSupport = computed(() => (user.value?.roles ?? []).some((r) => r.role === 'support' || r.role === 'admin'))

  /** Who is signed in, asked once per app run; offline the driver is treated as a guest. */
  function load(): Promise<AccountUser | null> {
    loading ??= fetchMe().then(
      (answer) => {
        user.value = answer?.user ?? null
        known.value = true
        return user.value
      },
      () => {
        known.value = true
        loading = null
        return user.value
      },
    )
    return loading
  }

  async function signedInAs(next: AccountUser) {
    user.value = next
    known.value = true
    loading = Promise.resolve(next)
  }

  async function signOut(everywhere = false) {
    await (everywhere ? signOutEverywhere() : signOutHere())
    user.value = null
    loading = Promise.resolve(null)
  }

  return { user, known, signedIn, ownerSiteIds, isOwner, isSupport, load, signedInAs, signOut }
})

/** Whether this browser can do passkeys at all (secure context with WebAuthn). */
export const passkeysSupported = () => typeof window !== 'undefined' && window.isSecureContext !== false && typeof window.PublicKeyCredential === 'function'
