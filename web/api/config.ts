import { request } from './http'

export type PaymentsConfig = { provider: 'simulated' } | { provider: 'stripe'; publishableKey: string }

export interface AppConfig {
  payments: PaymentsConfig
  publicUrl: string
}

export const fetchConfig = () => request<AppConfig>('/api/config')
