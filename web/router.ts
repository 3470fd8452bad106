import { createRouter, createWebHistory, START_LOCATION, type RouterHistory } from 'vue-router'
import ChargerPage from './pages/ChargerPage.vue'
import ScanPage from './pages/ScanPage.vue'
import { useSessionStore } from './stores/session'

const param = (value: unknown) => (Array.isArray(value) ? String(value[0]) : String(value ?? ''))

export function createAppRouter(history: RouterHistory = createWebHistory()) {
  const router = createRouter({
    history,
    routes: [
      { path: '/', name: 'scan', component: ScanPage },
      { path: '/c/:ref', name: 'charger', component: ChargerPage, props: (r) => ({ chargerRef: param(r.params.ref) }) },
      {
        path: '/c/:ref/pay',
        name: 'pay',
        component: () => import('./pages/PayPage.vue'),
        props: (r) => ({ chargerRef: param(r.params.ref), connectorId: Number(param(r.query.connector)) || 1 }),
      },
      {
        path: '/s/:id',
        name: 'session',
        component: () => import('./pages/SessionPage.vue'),
        props: (r) => ({ sessionId: param(r.params.id) }),
      },
      {
        path: '/r/:number',
        name: 'receipt',
        component: () => import('./pages/ReceiptPage.vue'),
        props: (r) => ({ number: param(r.params.number), token: param(r.query.t) }),
      },
      { path: '/history', name: 'history', component: () => import('./pages/HistoryPage.vue') },
      {
        path: '/sites/:id/qr',
        name: 'site-qr',
        component: () => import('./pages/SiteQrPage.vue'),
        props: (r) => ({ siteId: param(r.params.id) }),
      },
      { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue') },
    ],
    scrollBehavior: () => ({ top: 0 }),
  })

  // Opening the app at / while a session from this device still runs goes straight to it;
  // a deep link (a scanned QR code, a receipt) is left alone.
  router.beforeEach((to, from) => {
    if (from !== START_LOCATION || to.name !== 'scan') return true
    const running = useSessionStore().running
    return running ? { name: 'session', params: { id: running.sessionId }, replace: true } : true
  })

  return router
}
