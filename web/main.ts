import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { registerServiceWorker } from './app/update'
import { startInstallWatch } from './app/install'
import { createAppI18n, initialLocale, loadAreas, loadLocale } from './i18n'
import { createAppRouter } from './router'
import './styles.css'

startInstallWatch()
const locale = initialLocale(localStorage, navigator.languages ?? [navigator.language])
document.documentElement.lang = locale
const i18n = createAppI18n(locale)

// A language other than Swedish or English loads first, so the first paint is in it.
void loadLocale(i18n, locale).finally(() => {
  const router = createAppRouter()
  router.beforeEach(async (to) => {
    if (to.meta.areas) await loadAreas(i18n)
  })
  createApp(App, { i18n }).use(createPinia()).use(i18n).use(router).mount('#app')
})
registerServiceWorker()
