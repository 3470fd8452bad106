import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { registerServiceWorker } from './app/update'
import { createAppI18n, initialLocale } from './i18n'
import { createAppRouter } from './router'
import './styles.css'

const locale = initialLocale(localStorage, navigator.languages ?? [navigator.language])
document.documentElement.lang = locale
const i18n = createAppI18n(locale)

createApp(App, { i18n }).use(createPinia()).use(i18n).use(createAppRouter()).mount('#app')
registerServiceWorker()
