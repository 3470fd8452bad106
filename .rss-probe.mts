import { PGlite } from '@electric-sql/pglite'
const mb = () => Math.round(process.memoryUsage().rss/1048576)
const pg = new PGlite(process.argv[2] ? { initialMemory: Number(process.argv[2]) } : {})
await pg.waitReady
await pg.query('select 1')
console.log(process.argv[2] ?? 'default', 'ready', mb(), Math.round(process.memoryUsage().arrayBuffers/1048576))
await pg.close()
