/**
 * What one charger message may cost us. A WebSocket frame is at most `maxFrameBytes` (the socket is
 * closed with 1009 beyond that); a MeterValues is refused with a CALLERROR (OccurrenceConstraintViolation)
 * past `maxMeterValues` readings or `maxSampledValues` values per reading, by the strict-mode schema
 * before any handler runs; a StopTransaction is never refused for its size (the stop is what settles
 * the session): its transactionData is cut to the newest readings instead.
 */
import { createRequire } from 'node:module'
import { createValidator } from 'ocpp-rpc'

/** Real chargers send a few KB; 256 KiB leaves room for a StopTransaction with a long session's readings. */
export const maxFrameBytes = 256 * 1024
/** Readings in one MeterValues: a charger sends one per interval, a few more after being offline. */
export const maxMeterValues = 50
/** Values in one reading: every measurand on every phase is well under this. */
export const maxSampledValues = 40
/** Readings kept from a StopTransaction's transactionData. */
export const maxTransactionData = 100

type Schema = { $id: string; properties?: Record<string, { type?: string; maxItems?: number; items?: Schema }> } & Record<string, unknown>

/** ocpp-rpc's OCPP 1.6 schemas with the bounds above on MeterValues: the validator strict mode uses. */
export function boundedOcpp16Validator() {
  const schemas = createRequire(import.meta.url)('ocpp-rpc/lib/schemas/ocpp1_6.json') as Schema[]
  const bounded = schemas.map((schema) => {
    if (schema.$id !== 'urn:MeterValues.req') return schema
    const copy = structuredClone(schema)
    const meterValue = copy.properties!.meterValue
    meterValue.maxItems = maxMeterValues
    meterValue.items!.properties!.sampledValue.maxItems = maxSampledValues
    return copy
  })
  return createValidator('ocpp1.6', bounded)
}

type MeterValueLike = { sampledValue?: unknown[] }

/** A StopTransaction's readings, bounded: the newest `maxTransactionData`, each with at most `maxSampledValues` values. */
export function boundedTransactionData<T extends MeterValueLike>(data: T[] | undefined): T[] | undefined {
  if (!data) return data
  return data.slice(-maxTransactionData).map((reading) =>
    Array.isArray(reading.sampledValue) && reading.sampledValue.length > maxSampledValues
      ? { ...reading, sampledValue: reading.sampledValue.slice(0, maxSampledValues) }
      : reading,
  )
}

/** The subprotocol is required: a charger that does not offer `ocpp1.6` speaks something we do not. */
export function offersOcpp16(header: string | string[] | undefined): boolean {
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim())
  return offered.includes('ocpp1.6')
}
