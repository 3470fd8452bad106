/** A site's money, for its owner: who collects, the monthly statement, the payouts. */
import type { CollectionView } from '../../bff/payments/collection/onboarding'
import type { Statement } from '../../bff/payments/collection/statement'
import type { Payout } from '../../bff/payments/collection/accounts'
import { api } from './client'
import { call } from './http'

export type { CollectionView, Statement, Payout }

export interface OwnKeys {
  secretKey: string
  publishableKey: string
  webhookSecret: string
}

const sites = api.sites[':id']
const site = (id: string) => ({ param: { id: encodeURIComponent(id) } })

export const fetchCollection = (siteId: string) => call(sites.collection.$get(site(siteId)))

/** A fresh, single-use onboarding link on Stripe (it expires in minutes: open it at once). */
export const startConnect = (siteId: string) => call(sites.collection.connect.$post(site(siteId)))

export const refreshCollection = (siteId: string) => call(sites.collection.refresh.$post(site(siteId)))

export const saveOwnKeys = (siteId: string, keys: OwnKeys) => call(sites.collection['own-keys'].$put({ ...site(siteId), json: keys }))

/** The JSON form (the same route also answers with CSV and PDF files, see statementFileUrl). */
export const fetchStatement = (siteId: string, month: string) =>
  call(sites.statements[':month'].$get({ param: { id: encodeURIComponent(siteId), month } })) as Promise<{ statement: Statement }>

export const fetchPayouts = (siteId: string) => call(sites.payouts.$get(site(siteId)))

/** Where the browser downloads the statement as a file. */
export const statementFileUrl = (siteId: string, month: string, format: 'csv' | 'pdf', lang: string) =>
  `/api/sites/${encodeURIComponent(siteId)}/statements/${month}.${format}${format === 'pdf' ? `?lang=${encodeURIComponent(lang)}` : ''}`
