// `npm run build:server`: the BFF as plain JavaScript for `node build/index.js` (no TypeScript loader at
// run time). esbuild bundles our code into one file per entry; packages stay imports from node_modules,
// so production installs `dependencies` only. The bundle sits one level below the project like bff/
// does, so `../dist` (the PWA) resolves the same; the migrations go beside it.
import { build } from 'esbuild'
import { cpSync, rmSync } from 'node:fs'

const outdir = 'build'
rmSync(outdir, { recursive: true, force: true })
await build({
  entryPoints: { index: 'bff/index.ts', cli: 'bff/cli.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
cpSync('bff/store/migrations', `${outdir}/migrations`, { recursive: true })
console.log(`Built the server into ${outdir}/ (run: node ${outdir}/index.js)`)
