import { PGlite } from '@electric-sql/pglite'
const mb = () => Math.round(process.memoryUsage().rss/1048576)
const pg = new PGlite(process.argv[2] ? process.argv[2] : undefined, process.argv[3] ? { initialMemory: Number(process.argv[3]) } : {})
await pg.waitReady
console.log(process.argv[2] ?? 'memory', process.argv[3] ?? '', 'ready', mb(), Math.round(process.memoryUsage().arrayBuffers/1048576))
