/**
 * Mounts pages the way the app does (real Pinia, real vue-i18n, real router in memory), with the
 * network as the only stand-in: `fetch` and `EventSource` are the browser's doors to the outside.
 */
import { defineComponent, h } from 'vue'
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { RouterView, createMemoryHistory } from 'vue-router'
import { vi } from 'vitest'
import { createAppI18n, loadAreas, loadLocale, loadScreens } from '../../web/i18n'
import { createAppRouter } from '../../web/router'
import type { UiLocale } from '../../web/format'

export interface RecordedCall {
  method: string
  path: string
  headers: Record<string, string>
  body: unknown
}

export type Responder = (call: RecordedCall) => Response | Promise<Response>

export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

export const apiError = (status: number, code: string, message: string) => json({ error: { code, message } }, status)

/** Replaces fetch; every call is recorded in order. A responder may throw to act as a dropped connection. */
export function stubFetch(respond: Responder) {
  const calls: RecordedCall[] = []
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const call: RecordedCall = {
      method: init.method ?? 'GET',
      path: input,
      headers: Object.fromEntries([...new Headers(init.headers).entries()].map(([k, v]) => [k.toLowerCase(), v])),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    }
    calls.push(call)
    return respond(call)
  })
  return calls
}

/** A server-sent event stream the test drives by hand. */
export class TestEventSource {
  static opened: TestEventSource[] = []
  private listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>()
  closed = false
  constructor(readonly url: string) {
    TestEventSource.opened.push(this)
  }
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }
  close() {
    this.closed = true
  }
  emit(type: string, data?: unknown) {
    const event = new MessageEvent(type, { data: data === undefined ? '' : JSON.stringify(data) })
    for (const listener of this.listeners.get(type) ?? []) listener(event)
  }
}

export function stubEventSource() {
  TestEventSource.opened = []
  vi.stubGlobal('EventSource', TestEventSource)
}

export async function mountAt(path: string, locale: UiLocale = 'en') {
  const pinia = createPinia()
  setActivePinia(pinia)
  const i18n = createAppI18n(locale)
  await loadLocale(i18n, locale)
  await loadScreens(i18n, locale)
  await loadAreas(i18n, locale)
  const router = createAppRouter(createMemoryHistory())
  const Root = defineComponent({ render: () => h(RouterView) })
  const wrapper = mount(Root, { global: { plugins: [pinia, i18n, router] }, attachTo: document.body })
  await router.push(path)
  await router.isReady()
  await flushPromises()
  return { wrapper, router, pinia }
}

export { flushPromises }

/** Text with every kind of space (Intl uses no-break spaces) as a plain one. */
export const plain = (s: string) => s.replace(/\s+/g, ' ').trim()

/** Waits until the router has finished navigating to `path` (lazy pages load asynchronously). */
export async function arrivedAt(router: { currentRoute: { value: { fullPath: string } } }, path: string) {
  await vi.waitFor(() => {
    if (router.currentRoute.value.fullPath !== path) throw new Error(`still at ${router.currentRoute.value.fullPath}`)
  })
  await flushPromises()
}
