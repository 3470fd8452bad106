import { describe, expect, it } from 'vitest'
import {
  canApply, InvalidTransitionError, isFinal, isLive, nextState, sessionEventNames, type SessionEvent,
} from '../../bff/domain/session'
import { sessionStates, type SessionState } from '../../bff/store/schema'

/** DESIGN.md section 4, written out in full: every pair not listed is invalid. */
const allowed: Record<SessionState, Partial<Record<SessionEvent, SessionState>>> = {
  pending: { start: 'starting', start_failed: 'failed', cancel: 'cancelled' },
  starting: { transaction_started: 'charging', start_failed: 'failed', cancel: 'cancelled' },
  charging: { stop_requested: 'stopping', transaction_stopped: 'settling' },
  stopping: { transaction_started: 'stopping', stop_requested: 'stopping', transaction_stopped: 'settling' },
  settling: { settled: 'completed' },
  completed: {},
  failed: {},
  cancelled: {},
}

const events: SessionEvent[] = [
  'start', 'transaction_started', 'stop_requested', 'transaction_stopped', 'settled', 'start_failed', 'cancel',
]

describe('session state machine', () => {
  it('knows every event', () => {
    expect([...sessionEventNames].sort()).toEqual([...events].sort())
  })

  const table = sessionStates.flatMap((from) => events.map((event) => [from, event, allowed[from][event] ?? null] as const))
  it('covers every state with every event', () => {
    expect(table).toHaveLength(8 * 7)
  })

  it.each(table)('%s + %s -> %s', (from, event, to) => {
    expect(canApply(from, event)).toBe(to !== null)
    if (to === null) {
      let error: unknown
      try {
        nextState(from, event)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InvalidTransitionError)
      expect(error).toBeInstanceOf(Error)
      expect(error).toMatchObject({ from, event, name: 'InvalidTransitionError' })
      expect((error as Error).message).toContain(from)
      expect((error as Error).message).toContain(event)
    } else {
      expect(nextState(from, event)).toBe(to)
    }
  })

  it('runs the happy path to completed', () => {
    const path: SessionEvent[] = ['start', 'transaction_started', 'stop_requested', 'transaction_stopped', 'settled']
    const seen = path.reduce<SessionState[]>((states, e) => [...states, nextState(states.at(-1)!, e)], ['pending'])
    expect(seen).toEqual(['pending', 'starting', 'charging', 'stopping', 'settling', 'completed'])
  })

  it('settles when the car is unplugged without a stop from the app', () => {
    expect(nextState(nextState('charging', 'transaction_stopped'), 'settled')).toBe('completed')
  })

  it('keeps a stop in force when StartTransaction arrives after the stop was asked for', () => {
    expect(nextState('stopping', 'transaction_started')).toBe('stopping')
    expect(nextState('stopping', 'stop_requested')).toBe('stopping')
  })

  it('does not revive a failed or cancelled session with a late StartTransaction', () => {
    expect(canApply('failed', 'transaction_started')).toBe(false)
    expect(canApply('cancelled', 'transaction_started')).toBe(false)
    expect(() => nextState('failed', 'transaction_started')).toThrow(InvalidTransitionError)
  })

  it('lets nothing leave a final state', () => {
    for (const from of sessionStates.filter(isFinal)) {
      for (const event of events) expect(canApply(from, event)).toBe(false)
    }
  })

  it.each([
    ['pending', false, false],
    ['starting', false, true],
    ['charging', false, true],
    ['stopping', false, true],
    ['settling', false, true],
    ['completed', true, false],
    ['failed', true, false],
    ['cancelled', true, false],
  ] as const)('%s: final %s, live %s', (state, final, live) => {
    expect(isFinal(state)).toBe(final)
    expect(isLive(state)).toBe(live)
  })

  it('refuses a state it does not know, as an invalid transition', () => {
    expect(canApply('paused' as SessionState, 'start')).toBe(false)
    expect(() => nextState('paused' as SessionState, 'start')).toThrow(InvalidTransitionError)
  })
})
