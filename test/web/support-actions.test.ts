// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DOMWrapper } from '@vue/test-utils'
import { flushPromises, json, mountAt, plain, stubEventSource, stubFetch } from './harness'
import { routes } from './account-fixtures'
import { charger } from './fixtures'
import { supportActions, type SupportFacts } from '../../bff/domain/session'
import type { CaseFile } from '../../web/api/support'

beforeEach(() => {
  localStorage.clear()
  stubEventSource()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

/** A card session's case file, `can` decided by the same rule the server's actions follow. */
function caseFile(facts: Partial<SupportFacts> = {}): CaseFile {
  const f: SupportFacts = {
    state: 'settling',
    method: 'card',
    holdStatus: 'held',
    paymentId: 'pi_1',
    capturedAmount: 0,
    refundedAmount: 0,
    hasReceipt: false,
    hasSimplifiedInvoice: false,
    ...facts,
  }
  return {
    session: {
      id: 'ses_1', state: f.state, siteId: 'demo', siteName: 'Demo Garage', chargerId: 'DEMO-1', connectorId: 1, evseId: 'SE*LDP*EDEMO1*1',
      method: f.method, idTag: 'LP0000000001', transactionId: 7, paymentId: f.paymentId, provider: 'simulated', currency: 'SEK',
      holdAmount: 30_000, holdStatus: f.holdStatus, capturedAmount: f.capturedAmount, releasedAmount: 0, refundedAmount: f.refundedAmount,
      refundable: f.capturedAmount - f.refundedAmount, energyWh: 1_485, powerW: 0, costTotal: 735,
      card: { brand: 'visa', last4: '4242' }, createdAt: '2026-01-10T10:00:00Z', startedAt: '2026-01-10T10:01:00Z', stoppedAt: '2026-01-10T10:30:00Z',
      unpluggedAt: null, stopReason: 'Remote', failureReason: null, receiptNumber: null, driverEmail: 'driver@example.com', tariff: charger().tariff,
    },
    receipts: [],
    refunds: [],
    timeline: [],
    powerCurve: [],
    energyCurve: [],
    can: supportActions(f),
  }
}

const button = (wrapper: { findAll: (s: string) => DOMWrapper<Element>[] }, label: string) =>
  wrapper.findAll('.action-buttons > button').find((b) => b.text() === label)!
const disabled = (b: DOMWrapper<Element>) => b.attributes('disabled') !== undefined

describe('support console: ending a session', () => {
  it('offers End session for a session stuck in settling, where force stop and release are not possible', async () => {
    stubFetch(routes({ 'GET /api/support/sessions/ses_1': () => json(caseFile()) }))
    const { wrapper } = await mountAt('/support/sessions/ses_1')
    expect(wrapper.find('[data-test=state]').text()).toBe('Settling')
    expect(disabled(button(wrapper, 'End session'))).toBe(false)
    expect(disabled(button(wrapper, 'Force stop'))).toBe(true)
    expect(disabled(button(wrapper, 'Release hold'))).toBe(true)
  })

  it('asks for a reason and a confirmation, posts it, says how the session ended and reloads the case file', async () => {
    let state: SupportFacts['state'] = 'settling'
    const calls = stubFetch(
      routes({
        'GET /api/support/sessions/ses_1': () => json(caseFile({ state, holdStatus: state === 'completed' ? 'captured' : 'held', capturedAmount: state === 'completed' ? 735 : 0 })),
        'POST /api/support/sessions/ses_1/end': () => {
          state = 'completed'
          return json({ state })
        },
      }),
    )
    const { wrapper } = await mountAt('/support/sessions/ses_1')
    await button(wrapper, 'End session').trigger('click')
    const dialog = wrapper.find('dialog[aria-label="End session"]')
    expect(plain(dialog.find('.banner.warn').text())).toMatch(/^End the session now, whatever the charger does\?/)

    // Too short a reason is not sent.
    await dialog.find('textarea').setValue('no')
    await dialog.find('form').trigger('submit')
    await flushPromises()
    expect(calls.some((c) => c.method === 'POST')).toBe(false)

    await dialog.find('textarea').setValue('Car never unplugged; driver called')
    await dialog.find('form').trigger('submit')
    await flushPromises()
    const posted = calls.filter((c) => c.method === 'POST')
    expect(posted).toEqual([expect.objectContaining({ path: '/api/support/sessions/ses_1/end', body: { reason: 'Car never unplugged; driver called' } })])
    expect(calls.at(-1)).toMatchObject({ method: 'GET', path: '/api/support/sessions/ses_1' })
    expect(wrapper.find('[role=status].banner.ok').text()).toBe('Session ended: Completed.')
    expect(wrapper.find('[data-test=state]').text()).toBe('Completed')
    expect(disabled(button(wrapper, 'End session'))).toBe(true)
    expect(disabled(button(wrapper, 'Refund'))).toBe(false)
  })

  it.each([
    ['starting', { stop: false, end: false }],
    ['charging', { stop: false, end: false }],
    ['stopping', { stop: true, end: false }],
    ['settling', { stop: true, end: false }],
    ['completed', { stop: true, end: true }],
  ] as const)('in %s: force stop and end disabled as the rule says', async (state, expected) => {
    stubFetch(routes({ 'GET /api/support/sessions/ses_1': () => json(caseFile({ state })) }))
    const { wrapper } = await mountAt('/support/sessions/ses_1')
    expect({ stop: disabled(button(wrapper, 'Force stop')), end: disabled(button(wrapper, 'End session')) }).toEqual(expected)
  })

  it('lets support release a hold an ended session left open', async () => {
    stubFetch(routes({ 'GET /api/support/sessions/ses_1': () => json(caseFile({ state: 'completed', holdStatus: 'failed' })) }))
    const { wrapper } = await mountAt('/support/sessions/ses_1')
    expect(disabled(button(wrapper, 'Release hold'))).toBe(false)
    expect(disabled(button(wrapper, 'End session'))).toBe(true)
  })

  it('is translated for Swedish agents', async () => {
    stubFetch(routes({ 'GET /api/support/sessions/ses_1': () => json(caseFile()) }))
    const { wrapper } = await mountAt('/support/sessions/ses_1', 'sv')
    expect(disabled(button(wrapper, 'Avsluta sessionen'))).toBe(false)
  })
})
