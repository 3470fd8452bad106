import { api } from './client'
import { call } from './http'

export const fetchConfig = () => call(api.config.$get())

export type AppConfig = Awaited<ReturnType<typeof fetchConfig>>
export type PaymentsConfig = AppConfig['payments']
