/** The pure rules behind offline behaviour; the IndexedDB and service-worker paths run in test/e2e/pwa.test.ts. */
import { describe, expect, it } from 'vitest'
import { deliveryOf } from '../../web/offline/stop-queue'
import { isIosBrowser } from '../../web/app/install-offer'
import { formatAge } from '../../web/format'

describe('a queued stop', () => {
  it('is done once the BFF took it, dropped when it can never succeed, and kept otherwise', () => {
    expect(deliveryOf(200)).toBe('delivered')
    expect(deliveryOf(404)).toBe('refused') // gone, or this device's token no longer matches
    expect(deliveryOf(409)).toBe('refused')
    expect(deliveryOf(null)).toBe('retry') // no connection
    expect(deliveryOf(502)).toBe('retry')
    expect(deliveryOf(503)).toBe('retry')
    expect(deliveryOf(429)).toBe('retry')
    expect(deliveryOf(408)).toBe('retry')
  })
})

describe('add-to-home-screen guidance', () => {
  const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
  const ipad = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15'
  const android = 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36'

  it('is shown on iPhone and iPad in the browser, not once installed, and not elsewhere', () => {
    expect(isIosBrowser(iphone, 5, false)).toBe(true)
    expect(isIosBrowser(ipad, 5, false)).toBe(true) // iPadOS says Macintosh, but has touch
    expect(isIosBrowser(ipad, 0, false)).toBe(false) // a real Mac
    expect(isIosBrowser(iphone, 5, true)).toBe(false)
    expect(isIosBrowser(android, 5, false)).toBe(false)
  })
})

describe('the age of a last known state', () => {
  it('reads naturally from seconds to days', () => {
    expect(formatAge(20, 'en')).toBe('20 seconds ago')
    expect(formatAge(180, 'en')).toBe('3 minutes ago')
    expect(formatAge(3 * 3600, 'en')).toBe('3 hours ago')
    expect(formatAge(2 * 86400, 'en')).toBe('2 days ago')
    expect(formatAge(180, 'de')).toBe('vor 3 Minuten')
  })
})
