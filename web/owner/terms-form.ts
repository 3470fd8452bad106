/**
 * The owner's grant and invite forms: what was typed -> the request body, or what to fix.
 * Pure: money in minor units, energy in Wh, dates as the end of the chosen day.
 */
import type { GrantTerms, GrantView, NewGrant, NewInvite, TariffOverride } from '../api/owner'
import { validEmail } from '../account/sign-in'
import { grantPrice, privateKwhPrice } from './grant-text'

export interface TermsForm {
  /** '' = every charger of the site. */
  chargerId: string
  label: string
  /** YYYY-MM-DD from a date input, or ''. */
  validUntil: string
  price: 'site' | 'free' | 'private'
  /** Major units as typed ("2,50"). */
  pricePerKwh: string
  capKwh: string
  capAmount: string
}

export interface InviteForm extends TermsForm {
  expiresInDays: string
  maxUses: string
}

export type FormErrors = Partial<Record<'email' | 'validUntil' | 'pricePerKwh' | 'capKwh' | 'capAmount' | 'expiresInDays' | 'maxUses', string>>

export type Checked<T> = { ok: true; body: T } | { ok: false; errors: FormErrors }

export const emptyTerms = (): TermsForm => ({ chargerId: '', label: '', validUntil: '', price: 'free', pricePerKwh: '', capKwh: '', capAmount: '' })

/** "2,50" / "2.5" / "2" -> 250; null for anything else (negative, more than two decimals, text). */
export function parseMinor(text: string): number | null {
  const match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(text.trim())
  if (!match) return null
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'))
}

/** "12,5" kWh -> 12500 Wh; at most three decimals. */
export function parseWh(text: string): number | null {
  const match = /^(\d{1,7})(?:[.,](\d{1,3}))?$/.exec(text.trim())
  if (!match) return null
  return Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0'))
}

const wholeNumber = (text: string, min: number, max: number): number | null => {
  if (!/^\d{1,7}$/.test(text.trim())) return null
  const n = Number(text.trim())
  return n >= min && n <= max ? n : null
}

/** The end of the chosen day in the owner's time zone, so "valid until 31 May" includes 31 May. */
export const endOfDay = (date: string) => new Date(`${date}T23:59:59`)

function terms(form: TermsForm, now: Date): Checked<GrantTerms> {
  const errors: FormErrors = {}
  let validUntil: string | null = null
  if (form.validUntil) {
    const end = endOfDay(form.validUntil)
    if (Number.isNaN(end.getTime())) errors.validUntil = 'owner.form.errors.date'
    else if (end <= now) errors.validUntil = 'owner.form.errors.past'
    else validUntil = end.toISOString()
  }
  let tariffOverride: TariffOverride | null = null
  if (form.price === 'free') tariffOverride = { kind: 'free' }
  if (form.price === 'private') {
    const price = parseMinor(form.pricePerKwh)
    if (price === null) errors.pricePerKwh = 'owner.form.errors.price'
    else tariffOverride = { kind: 'tariff', components: [{ type: 'energy', price, unit: 'kWh' }] }
  }
  const capEnergyWh = form.capKwh.trim() ? parseWh(form.capKwh) : null
  if (form.capKwh.trim() && !capEnergyWh) errors.capKwh = 'owner.form.errors.capKwh'
  const capAmount = form.capAmount.trim() ? parseMinor(form.capAmount) : null
  if (form.capAmount.trim() && !capAmount) errors.capAmount = 'owner.form.errors.capAmount'
  if (Object.keys(errors).length) return { ok: false, errors }
  return {
    ok: true,
    body: {
      chargerId: form.chargerId || null,
      label: form.label.trim() || null,
      validUntil,
      tariffOverride,
      capEnergyWh,
      capAmount,
    },
  }
}

/** A PATCH of a grant's terms (its email stays). */
export const changeBody = (form: TermsForm, now: Date): Checked<GrantTerms> => terms(form, now)

export function grantBody(email: string, form: TermsForm, now: Date): Checked<NewGrant> {
  const checked = terms(form, now)
  const emailError = validEmail(email) ? null : 'owner.form.errors.email'
  if (!checked.ok) return { ok: false, errors: emailError ? { ...checked.errors, email: emailError } : checked.errors }
  if (emailError) return { ok: false, errors: { email: emailError } }
  return { ok: true, body: { ...checked.body, email: email.trim() } }
}

export function inviteBody(form: InviteForm, now: Date): Checked<NewInvite> {
  const checked = terms(form, now)
  const errors: FormErrors = checked.ok ? {} : { ...checked.errors }
  const expiresInDays = wholeNumber(form.expiresInDays, 1, 90)
  if (expiresInDays === null) errors.expiresInDays = 'owner.form.errors.expiresInDays'
  const maxUses = wholeNumber(form.maxUses, 1, 1000)
  if (maxUses === null) errors.maxUses = 'owner.form.errors.maxUses'
  if (!checked.ok || expiresInDays === null || maxUses === null) return { ok: false, errors }
  // An invite leaves out what it does not set (the BFF takes no nulls here).
  const { validUntil, ...rest } = checked.body
  const set = Object.fromEntries(Object.entries({ ...rest, grantValidUntil: validUntil }).filter(([, v]) => v !== null))
  return { ok: true, body: { ...set, expiresInDays, maxUses } }
}

/** Back to what an owner types: 250 -> "2,50", 50000 -> "500"; 150500 Wh -> "150,5". */
const typedMoney = (minor: number) => (minor % 100 === 0 ? String(minor / 100) : (minor / 100).toFixed(2).replace('.', ','))
const typedKwh = (wh: number) => (wh % 1000 === 0 ? String(wh / 1000) : (wh / 1000).toFixed(3).replace(/0+$/, '').replace('.', ','))

/** YYYY-MM-DD of an instant in the owner's time zone, for a date input. */
function localDate(iso: string) {
  const d = new Date(iso)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`
}

/** A grant's terms as the form shows them, to change them. */
export function termsOf(grant: GrantView): TermsForm {
  const kwhPrice = privateKwhPrice(grant.tariffOverride)
  return {
    chargerId: grant.chargerId ?? '',
    label: grant.label ?? '',
    validUntil: grant.validUntil ? localDate(grant.validUntil) : '',
    price: grantPrice(grant.tariffOverride),
    pricePerKwh: kwhPrice === null ? '' : (kwhPrice / 100).toFixed(2).replace('.', ','),
    capKwh: grant.capEnergyWh === null ? '' : typedKwh(grant.capEnergyWh),
    capAmount: grant.capAmount === null ? '' : typedMoney(grant.capAmount),
  }
}
