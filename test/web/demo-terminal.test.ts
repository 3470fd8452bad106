// @vitest-environment happy-dom
/**
 * The demo's card terminal page (/demo/terminal/<id>): the terminal's screen, taps of the test cards
 * (Visa 4242 starts and stops, Mastercard 5555 is refused), the receipt QR code, the page outside the
 * demo, and its strings in all six languages.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, json, mountAt, stubEventSource, stubFetch } from './harness'
import { routes } from './account-fixtures'
import { terminalEn } from '../../web/locales/terminal.en'
import { terminalSv } from '../../web/locales/terminal.sv'
import { terminalNb } from '../../web/locales/terminal.nb'
import { terminalDa } from '../../web/locales/terminal.da'
import { terminalFi } from '../../web/locales/terminal.fi'
import { terminalDe } from '../../web/locales/terminal.de'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const base = '/api/demo/terminals/P68-DEMO-3'
const cards = [
  { id: 'demo-card-visa-4242', brand: 'visa', last4: '4242' },
  { id: 'demo-card-mastercard-5555', brand: 'mastercard', last4: '5555' },
]
const view = (lines: string[], o: { qrUrl?: string; scanning?: boolean } = {}) => ({
  terminal: { id: 'P68-DEMO-3', chargerId: 'DEMO-3', connectorIds: [1] },
  screen: { lines, qrUrl: o.qrUrl ?? null },
  scanning: o.scanning ?? true,
  cards,
})

describe('the demo terminal page', () => {
  it('shows the screen, taps Visa to start, Mastercard is refused, the receipt QR code opens the receipt', async () => {
    let screen = view(['DEMO-3', '4.95 SEK/kWh', 'Tap your card to start'])
    const answers: Record<string, ReturnType<typeof view>> = {
      'demo-card-visa-4242': view(['Connector 1: plug in your car', 'To stop: tap the same card, or unplug']),
      'demo-card-mastercard-5555': view(['This card did not start a charging session here', 'Nothing was charged']),
    }
    const calls = stubFetch(
      routes({
        [`GET ${base}`]: () => json(screen),
        [`POST ${base}/tap`]: (call) => {
          screen = answers[(call.body as { cardId: string }).cardId]
          return json({ tapped: true, ...screen })
        },
      }),
    )
    const { wrapper } = await mountAt('/demo/terminal/P68-DEMO-3')
    expect(wrapper.find('h1').text()).toBe('Card terminal (demo)')
    expect(wrapper.find('[data-test=terminal-screen]').text()).toContain('Tap your card to start')
    expect(wrapper.find('[data-test=terminal-state]').text()).toBe('Ready for a card')
    expect(wrapper.find('[data-test=tap-4242]').text()).toBe('Tap Visa 4242')
    expect(wrapper.find('[data-test=tap-5555]').text()).toBe('Tap Mastercard 5555')

    await wrapper.find('[data-test=tap-4242]').trigger('click')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST')).toMatchObject({ path: `${base}/tap`, body: { cardId: 'demo-card-visa-4242' } })
    expect(wrapper.find('[data-test=terminal-screen]').text()).toContain('plug in your car')
    expect(wrapper.find('[data-test=terminal-status]').text()).toBe('Tapped Visa 4242.')

    await wrapper.find('[data-test=tap-5555]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test=terminal-screen]').text()).toContain('did not start')

    answers['demo-card-visa-4242'] = view(['Total 12.34 SEK', 'Receipt 5591234567-000001: scan the code'], { qrUrl: 'http://localhost:8080/r/5591234567-000001?t=abc' })
    await wrapper.find('[data-test=tap-4242]').trigger('click')
    await flushPromises()
    const qr = wrapper.find('[data-test=terminal-qr]')
    expect(qr.attributes('src')).toMatch(new RegExp(`^${base}/qr\\.svg`))
    expect(qr.attributes('alt')).toBe('QR code of the receipt on the terminal')
    expect(wrapper.find('[data-test=terminal-receipt]').attributes('href')).toBe('/r/5591234567-000001?t=abc')
    wrapper.unmount()
  })

  it('says when the terminal is not reading cards', async () => {
    stubFetch(
      routes({
        [`GET ${base}`]: () => json(view(['Authorising 300.00 SEK…'], { scanning: false })),
        [`POST ${base}/tap`]: () => json({ tapped: false, ...view(['Authorising 300.00 SEK…'], { scanning: false }) }),
      }),
    )
    const { wrapper } = await mountAt('/demo/terminal/P68-DEMO-3', 'sv')
    expect(wrapper.find('[data-test=terminal-state]').text()).toBe('Arbetar…')
    await wrapper.find('[data-test=tap-4242]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test=terminal-status]').text()).toBe('Terminalen läser inga kort just nu. Försök igen om en stund.')
    wrapper.unmount()
  })

  it('outside the demo says the page is only in the demo', async () => {
    stubFetch(routes({}))
    const { wrapper } = await mountAt('/demo/terminal/P68-DEMO-3', 'de')
    expect(wrapper.find('[data-test=terminal-only-demo]').text()).toBe('Diese Seite gibt es nur in der Demo (npm start).')
    expect(wrapper.find('[data-test=tap-4242]').exists()).toBe(false)
    wrapper.unmount()
  })

  it('has every string in all six languages, none left in English, same placeholders', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
    for (const messages of [terminalSv, terminalNb, terminalDa, terminalFi, terminalDe]) {
      expect(Object.keys(messages).sort()).toEqual(Object.keys(terminalEn).sort())
      for (const [key, text] of Object.entries(messages)) {
        expect(text.trim(), key).not.toBe('')
        expect(text, key).not.toBe(terminalEn[key as keyof typeof terminalEn])
        expect(placeholders(text), key).toEqual(placeholders(terminalEn[key as keyof typeof terminalEn]))
      }
    }
  })
})
