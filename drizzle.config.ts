import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'postgresql',
  schema: './bff/store/schema.ts',
  out: './bff/store/migrations',
})
