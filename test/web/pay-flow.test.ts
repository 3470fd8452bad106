// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import { apiError, arrivedAt, json, mountAt, plain, stubEventSource, stubFetch, flushPromises, type RecordedCall } from './harness'
import { charger, session } from './fixtures'
import { storageKeys } from '../../web/storage-keys'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

const created = {
  session: session({ state: 'pending', startedAt: null, energyWh: 0, cost: { currency: 'SEK', total: 0, vat: 0, lines: [] } }),
  payment: { provider: 'simulated', clientSecret: 'pi_1_secret_x', holdAmount: 30_000, currency: 'SEK' },
  stopToken: 'stop-token-1',
}

/** The BFF as seen from the browser; `confirm` decides how the card goes. */
function bff(confirm: (call: RecordedCall) => Response, createAnswers: (() => Response)[] = []) {
  const historyAtConfirm: string[] = []
  const calls = stubFetch((call) => {
    if (call.path === '/api/config') return json({ payments: { provider: 'simulated' }, publicUrl: 'http://localhost' })
    if (call.path.startsWith('/api/chargers/')) return json(charger())
    if (call.path === '/api/sessions' && call.method === 'POST') {
      const next = createAnswers.shift()
      return next ? next() : json(created, 201)
    }
    if (call.path === '/api/payments/simulated/confirm') {
      historyAtConfirm.push(localStorage.getItem(storageKeys.deviceHistory) ?? '')
      return confirm(call)
    }
    if (call.path === '/api/sessions/ses_1/authorize') return json({ session: { ...created.session, state: 'starting' } })
    if (call.path === '/api/sessions/ses_1/cancel') return json({ session: { ...created.session, state: 'cancelled' } })
    if (call.path === '/api/sessions/ses_1') return json({ ...created.session, state: 'starting' })
    return apiError(404, 'not_found', call.path)
  })
  return { calls, historyAtConfirm }
}

async function payWith(wrapper: VueWrapper, number: string) {
  await wrapper.find('#card-number').setValue(number)
  await wrapper.find('#card-expiry').setValue('12/34')
  await wrapper.find('#card-cvc').setValue('123')
  await wrapper.find('form.card-form').trigger('submit')
  await flushPromises()
}

/** POSTs that create, hold or move money (the live page's ticket for its event stream is none of them). */
const moneyCalls = (calls: RecordedCall[]) =>
  calls.filter((c) => c.method === 'POST' && !c.path.endsWith('/events-ticket')).map((c) => `${c.method} ${c.path}`)

describe('pay page', () => {
  it('shows the test card hint and card fields with autocomplete for cards', async () => {
    bff(() => json({ status: 'requires_capture' }))
    const { wrapper } = await mountAt('/c/DEMO-1/pay?connector=1')
    expect(wrapper.find('[data-test=test-hint]').text()).toBe('Test mode: use 4242 4242 4242 4242')
    expect(wrapper.find('#card-number').attributes()).toMatchObject({ autocomplete: 'cc-number', inputmode: 'numeric' })
    expect(wrapper.find('#card-expiry').attributes('autocomplete')).toBe('cc-exp')
    expect(wrapper.find('#card-cvc').attributes('autocomplete')).toBe('cc-csc')
    expect(wrapper.find('label[for=card-number]').text()).toBe('Card number')
  })

  it('puts the slash into the expiry as it is typed on a numeric keypad, and pays with "1229"', async () => {
    const { calls } = bff(() => json({ status: 'requires_capture' }))
    const { wrapper } = await mountAt('/c/DEMO-1/pay?connector=1')
    const expiry = wrapper.find('#card-expiry')
    expect(expiry.attributes()).toMatchObject({ inputmode: 'numeric', placeholder: 'MM/YY' })
    const typed: string[] = []
    for (const value of ['1', '12', '12/2', '12/29']) {
      // What the field holds after each key: the browser's value, then our formatting of it.
      ;(expiry.element as HTMLInputElement).value = value
      await expiry.trigger('input')
      typed.push((expiry.element as HTMLInputElement).value)
    }
    expect(typed).toEqual(['1', '12/', '12/2', '12/29'])
    await expiry.setValue('1229')
    expect((expiry.element as HTMLInputElement).value).toBe('12/29')
    await wrapper.find('#card-number').setValue('4242 4242 4242 4242')
    await wrapper.find('#card-cvc').setValue('123')
    await wrapper.find('form.card-form').trigger('submit')
    await flushPromises()
    const confirm = calls.find((c) => c.path === '/api/payments/simulated/confirm')
    expect(confirm?.body).toMatchObject({ card: { expMonth: 12, expYear: 2029 } })
  })

  it('creates the session, remembers it on the device, confirms the card, authorizes, then opens the live page', async () => {
    const { calls, historyAtConfirm } = bff(() => json({ status: 'requires_capture' }))
    const { wrapper, router } = await mountAt('/c/DEMO-1/pay?connector=1')
    await payWith(wrapper, '4242 4242 4242 4242')

    expect(moneyCalls(calls)).toEqual([
      'POST /api/sessions',
      'POST /api/payments/simulated/confirm',
      'POST /api/sessions/ses_1/authorize',
    ])
    const [create, confirm, authorize] = calls.filter((c) => c.method === 'POST')
    expect(create.body).toEqual({ chargerId: 'DEMO-1', connectorId: 1, method: 'card' })
    expect(create.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/)
    expect(confirm.body).toEqual({ clientSecret: 'pi_1_secret_x', card: { number: '4242424242424242', expMonth: 12, expYear: 2034, cvc: '123' } })
    expect(authorize.headers.authorization).toBe('Bearer stop-token-1')
    // The stop token was on the device before the card was confirmed.
    expect(JSON.parse(historyAtConfirm[0])[0]).toMatchObject({ sessionId: 'ses_1', stopToken: 'stop-token-1', chargerId: 'DEMO-1', connectorId: 1 })
    await arrivedAt(router, '/s/ses_1')
  })

  it('sends a lower cap the driver chose', async () => {
    const { calls } = bff(() => json({ status: 'requires_capture' }))
    const { wrapper } = await mountAt('/c/DEMO-1/pay?connector=2')
    await wrapper.find('input[name=cap][value="10000"]').setValue(true)
    expect(plain(wrapper.find('[data-test=hold-amount]').text())).toBe('We place a hold of SEK 100 on your card.')
    await payWith(wrapper, '4242424242424242')
    expect(calls.find((c) => c.path === '/api/sessions')?.body).toEqual({ chargerId: 'DEMO-1', connectorId: 2, method: 'card', capAmount: 10_000 })
  })

  it('retries a failed start with the same Idempotency-Key, so a retry cannot make two sessions', async () => {
    const dropped = () => {
      throw new TypeError('Failed to fetch')
    }
    const { calls } = bff(() => json({ status: 'requires_capture' }), [dropped])
    const { wrapper, router } = await mountAt('/c/DEMO-1/pay?connector=1')
    await payWith(wrapper, '4242 4242 4242 4242')
    expect(wrapper.find('[data-test=pay-error]').text()).toContain('No connection')
    expect(router.currentRoute.value.name).toBe('pay')

    await wrapper.find('form.card-form').trigger('submit')
    await flushPromises()
    const creates = calls.filter((c) => c.path === '/api/sessions')
    expect(creates).toHaveLength(2)
    expect(creates[1].headers['idempotency-key']).toBe(creates[0].headers['idempotency-key'])
    await arrivedAt(router, '/s/ses_1')
  })

  it('shows a decline next to the form, keeps the form, and lets another card pay for the same session', async () => {
    let attempt = 0
    const { calls } = bff(() =>
      ++attempt === 1 ? apiError(402, 'card_declined', 'Your card was declined.') : json({ status: 'requires_capture' }),
    )
    const { wrapper, router } = await mountAt('/c/DEMO-1/pay?connector=1')
    await payWith(wrapper, '4000 0000 0000 0002')

    const error = wrapper.find('[data-test=pay-error]')
    expect(error.attributes('role')).toBe('alert')
    expect(error.text()).toContain('The card was not accepted')
    expect(error.text()).toContain('Your card was declined.')
    expect(wrapper.find('#card-number').exists()).toBe(true)
    expect(moneyCalls(calls)).toEqual(['POST /api/sessions', 'POST /api/payments/simulated/confirm'])

    await payWith(wrapper, '4242 4242 4242 4242')
    expect(moneyCalls(calls)).toEqual([
      'POST /api/sessions',
      'POST /api/payments/simulated/confirm',
      'POST /api/payments/simulated/confirm',
      'POST /api/sessions/ses_1/authorize',
    ])
    await arrivedAt(router, '/s/ses_1')
  })

  it('says why a card was refused in the driver’s language, by its code, never with the provider’s English', async () => {
    bff(() => apiError(402, 'insufficient_funds', 'Your card has insufficient funds.'))
    const { wrapper } = await mountAt('/c/DEMO-1/pay?connector=1', 'sv')
    await payWith(wrapper, '4000 0000 0000 9995')
    const error = wrapper.find('[data-test=pay-error]')
    expect(error.find('strong').text()).toBe('Kortet godkändes inte')
    expect(error.find('[data-test=decline-reason]').text()).toBe('Det finns inte tillräckligt med pengar på kortet.')
    expect(error.text()).not.toMatch(/Your card|insufficient/)
  })

  it.each([
    ['lost_card', 'Ihre Karte wurde abgelehnt.'],
    ['do_not_honor', 'Ihre Bank hat die Zahlung abgelehnt. Wenden Sie sich an Ihre Bank oder verwenden Sie eine andere Karte.'],
    ['authentication_required', 'Ihre Bank möchte, dass Sie die Zahlung bestätigen. Versuchen Sie es erneut und bestätigen Sie, wenn Ihre Bank danach fragt.'],
    ['some_future_code', 'Ihre Karte wurde abgelehnt.'],
  ])('maps %s to its German words', async (code, words) => {
    bff(() => apiError(402, code, 'The provider says something in English.'))
    const { wrapper } = await mountAt('/c/DEMO-1/pay?connector=1', 'de')
    await payWith(wrapper, '4000 0000 0000 0002')
    expect(wrapper.find('[data-test=decline-reason]').text()).toBe(words)
    expect(wrapper.find('[data-test=pay-error]').text()).not.toContain('English')
  })

  it('cancels a declined attempt, which releases the hold', async () => {
    const { calls } = bff(() => apiError(402, 'insufficient_funds', 'Your card has insufficient funds.'))
    const { wrapper } = await mountAt('/c/DEMO-1/pay?connector=1')
    await payWith(wrapper, '4000 0000 0000 9995')
    expect(wrapper.find('[data-test=pay-error]').text()).toContain('Your card has insufficient funds.')

    await wrapper.find('[data-test=cancel]').trigger('click')
    await flushPromises()
    const cancel = calls.find((c) => c.path === '/api/sessions/ses_1/cancel')
    expect(cancel?.headers.authorization).toBe('Bearer stop-token-1')
    expect(wrapper.find('[data-test=cancelled]').text()).toBe('Cancelled. Your hold has been released.')
  })

  it('disables the pay button while busy, so a double tap sends one request', async () => {
    let release: (r: Response) => void = () => undefined
    const calls = stubFetch((call) => {
      if (call.path === '/api/config') return json({ payments: { provider: 'simulated' }, publicUrl: '' })
      if (call.path.startsWith('/api/chargers/')) return json(charger())
      return new Promise<Response>((resolve) => (release = resolve))
    })
    const { wrapper } = await mountAt('/c/DEMO-1/pay?connector=1')
    await payWith(wrapper, '4242 4242 4242 4242')
    await wrapper.find('form.card-form').trigger('submit')
    await flushPromises()
    expect(wrapper.find('form.card-form button').attributes('disabled')).toBeDefined()
    expect(calls.filter((c) => c.path === '/api/sessions')).toHaveLength(1)
    release(apiError(409, 'connector_busy', 'busy'))
    await flushPromises()
    expect(wrapper.find('[data-test=pay-error]').text()).toContain('Someone else just started on this connector')
  })
})
