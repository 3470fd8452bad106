import { defineStore } from 'pinia'
import { ref } from 'vue'
import {
  fetchCollection,
  fetchPayouts,
  fetchStatement,
  refreshCollection,
  saveOwnKeys,
  startConnect,
  type CollectionView,
  type OwnKeys,
  type Payout,
  type Statement,
} from '../api/collection'
import type { ApiError } from '../api/http'
import { asApiError } from './account'

/** One site's money for its owner: who collects, one month's statement, the payouts. */
export const useCollectionStore = defineStore('collection', () => {
  const siteId = ref<string | null>(null)
  const collection = ref<CollectionView | null>(null)
  const statement = ref<Statement | null>(null)
  const payouts = ref<Payout[] | null>(null)
  const error = ref<ApiError | null>(null)
  const busy = ref(false)

  async function attempt<T>(work: () => Promise<T>): Promise<T | null> {
    error.value = null
    try {
      return await work()
    } catch (e) {
      error.value = asApiError(e)
      return null
    }
  }

  async function open(id: string, month: string, returning: boolean) {
    siteId.value = id
    collection.value = null
    statement.value = null
    payouts.value = null
    // Back from Stripe's onboarding: ask Stripe how the account stands now.
    const answer = await attempt(() => (returning ? refreshCollection(id) : fetchCollection(id)))
    if (!answer || siteId.value !== id) return
    collection.value = answer.collection
    await Promise.all([loadStatement(month), attempt(async () => (payouts.value = (await fetchPayouts(id)).payouts))])
  }

  async function loadStatement(month: string) {
    const id = siteId.value
    if (!id) return
    const answer = await attempt(() => fetchStatement(id, month))
    if (answer && siteId.value === id) statement.value = answer.statement
  }

  async function busyWith<T>(work: () => Promise<T>): Promise<T | null> {
    if (busy.value) return null
    busy.value = true
    try {
      return await attempt(work)
    } finally {
      busy.value = false
    }
  }

  /** The onboarding link to go to, or null when it could not be made. */
  const connect = async (id: string) => (await busyWith(() => startConnect(id)))?.url ?? null

  async function refresh(id: string) {
    const answer = await busyWith(() => refreshCollection(id))
    if (answer) collection.value = answer.collection
  }

  async function saveKeys(id: string, keys: OwnKeys): Promise<boolean> {
    const answer = await busyWith(() => saveOwnKeys(id, keys))
    if (answer) collection.value = answer.collection
    return answer !== null
  }

  return { siteId, collection, statement, payouts, error, busy, open, loadStatement, connect, refresh, saveKeys }
})
