import { defineStore } from 'pinia'
import { ref } from 'vue'
import { fetchConfig, type AppConfig } from '../api/config'

export const useConfigStore = defineStore('config', () => {
  const config = ref<AppConfig | null>(null)
  let loading: Promise<AppConfig> | null = null

  /** Loads /api/config once per app run. */
  function load(): Promise<AppConfig> {
    loading ??= fetchConfig().then(
      (loaded) => (config.value = loaded),
      (error: unknown) => {
        loading = null
        throw error
      },
    )
    return loading
  }

  return { config, load }
})
