import { createRouter, createWebHistory, START_LOCATION, type RouterHistory } from 'vue-router'
import ChargerPage from './pages/ChargerPage.vue'
import { useSessionStore } from './stores/session'
import { useAccountStore } from './stores/account'

const param = (value: unknown) => (Array.isArray(value) ? String(value[0]) : String(value ?? ''))

export function createAppRouter(history: RouterHistory = createWebHistory()) {
  const router = createRouter({
    history,
    routes: [
      // The charger page (a scanned QR code's link) is in the entry; everything else loads on demand.
      { path: '/', name: 'scan', component: () => import('./pages/ScanPage.vue') },
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
      { path: '/history', name: 'history', component: () => import('./pages/HistoryPage.vue'), meta: { areas: true } },
      {
        path: '/sites/:id/qr',
        name: 'site-qr',
        component: () => import('./pages/SiteQrPage.vue'),
        props: (r) => ({ siteId: param(r.params.id) }),
      },
      {
        path: '/sign-in',
        name: 'sign-in',
        component: () => import('./pages/SignInPage.vue'),
        props: (r) => ({ next: safeNext(r.query.next) }),
        meta: { areas: true },
      },
      { path: '/account', name: 'account', component: () => import('./pages/AccountPage.vue'), meta: { signIn: true, areas: true } },
      {
        path: '/i/:code',
        name: 'invite',
        component: () => import('./pages/InvitePage.vue'),
        props: (r) => ({ code: param(r.params.code), accept: r.query.accept === '1' }),
        meta: { areas: true },
      },
      { path: '/owner', name: 'owner', component: () => import('./pages/OwnerSitesPage.vue'), meta: { signIn: true, areas: true } },
      {
        path: '/owner/sites/:id',
        name: 'owner-site',
        component: () => import('./pages/OwnerSitePage.vue'),
        props: (r) => ({ siteId: param(r.params.id) }),
        meta: { signIn: true, areas: true },
      },
      {
        path: '/owner/sites/:id/money',
        name: 'owner-money',
        component: () => import('./pages/OwnerMoneyPage.vue'),
        props: (r) => ({ siteId: param(r.params.id), returning: r.query.connect === 'done' || r.query.connect === 'again' }),
        meta: { signIn: true, areas: true },
      },
      // The support console is its own chunk: drivers never download it.
      { path: '/support', name: 'support', component: () => import('./pages/support/SupportLookupPage.vue'), meta: { areas: true } },
      {
        path: '/support/sessions/:id',
        name: 'support-session',
        component: () => import('./pages/support/SupportSessionPage.vue'),
        props: (r) => ({ sessionId: param(r.params.id) }),
        meta: { areas: true },
      },
      {
        path: '/support/reconciliation',
        name: 'support-reconciliation',
        component: () => import('./pages/support/SupportReconciliationPage.vue'),
        meta: { areas: true },
      },
      {
        path: '/demo/terminal/:id',
        name: 'demo-terminal',
        component: () => import('./pages/DemoTerminalPage.vue'),
        props: (r) => ({ terminalId: param(r.params.id) }),
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

  // Account and owner pages need a signed-in driver: others go to sign-in and come back.
  router.beforeEach(async (to) => {
    if (!to.meta.signIn) return true
    const user = await useAccountStore().load()
    return user ? true : { name: 'sign-in', query: { next: to.fullPath } }
  })

  return router
}

/** Only paths inside the app: a crafted ?next= must not send the driver to another site. */
export function safeNext(value: unknown): string {
  const next = param(value)
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/'
}
