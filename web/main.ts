import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { registerServiceWorker } from './app/update'
import { startInstallWatch } from './app/install'
import { createAppI18n, initialLocale, loadAreas, loadLocale, loadScreens } from './i18n'
import { createAppRouter } from './router'
import './styles.css'

startInstallWatch()
const locale = initialLocale(localStorage, navigator.languages ?? [navigator.language])
document.documentElement.lang = locale
const i18n = createAppI18n(locale)

// The driver's language loads before the first paint; of it, what the charger page needs.
void loadLocale(i18n, locale).finally(() => {
  const router = createAppRouter()
  router.beforeEach(async (to) => {
    if (to.name !== 'charger') await loadScreens(i18n)
    if (to.meta.areas) await loadAreas(i18n)
  })
  createApp(App, { i18n }).use(createPinia()).use(i18n).use(router).mount('#app')
})
registerServiceWorker()
