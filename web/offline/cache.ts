/** Last known copies of what the driver has seen: chargers (with their prices), sessions, receipts. */
import type { ChargerView, ReceiptView, SessionView } from '../../bff/views'
import { offlineDb } from '../storage-keys'
import { readRecord, writeRecord, type Saved } from './db'

const { chargers, sessions, receipts } = offlineDb.stores

/** Refs are normalised so "demo-1" typed offline finds what "DEMO-1" saved. */
const chargerKey = (ref: string) => ref.trim().toUpperCase()

/** Saved under every ref it was opened by (id, EVSE id, QR URL), so the same link works offline. */
export async function saveCharger(view: ChargerView, refs: string[], savedAt = Date.now()) {
  const keys = new Set([view.id, ...refs].map(chargerKey))
  await Promise.all([...keys].map((key) => writeRecord<Saved<ChargerView>>(chargers, { key, view, savedAt })))
}

export const lastKnownCharger = (ref: string) => readRecord<Saved<ChargerView>>(chargers, chargerKey(ref))

export const saveSession = (view: SessionView, savedAt = Date.now()) =>
  writeRecord<Saved<SessionView>>(sessions, { key: view.id, view, savedAt })

export const lastKnownSession = (sessionId: string) => readRecord<Saved<SessionView>>(sessions, sessionId)

export const saveReceipt = (view: ReceiptView, savedAt = Date.now()) =>
  writeRecord<Saved<ReceiptView>>(receipts, { key: view.number, view, savedAt })

export const seenReceipt = (number: string) => readRecord<Saved<ReceiptView>>(receipts, number)
