import { fileURLToPath } from 'node:url'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import { VitePWA } from 'vite-plugin-pwa'

const bff = process.env.BFF_URL ?? 'http://localhost:8080'

/** hono's typed client imports its cookie serializer; the browser needs only the small stand-in. */
const honoClientCookie: Plugin = {
  name: 'hono-client-cookie',
  enforce: 'pre',
  resolveId(source, importer) {
    if (source === '../utils/cookie.js' && importer?.replaceAll('\\', '/').includes('hono/dist/client/')) {
      return fileURLToPath(new URL('./web/vendor/hono-cookie.ts', import.meta.url))
    }
  },
}

/**
 * Every built asset also as .gz (level 9) and .br (quality 11) beside it: the BFF sends those as
 * they are (serveStatic's `precompressed`), smaller than compressing each request on the fly.
 */
let outDir = 'dist'
const precompress: Plugin = {
  name: 'precompress',
  apply: 'build',
  configResolved(config) {
    outDir = resolve(config.root, config.build.outDir)
  },
  closeBundle: {
    order: 'post',
    handler() {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
      for (const file of walk(join(outDir, 'assets'))) {
        if (!/\.(js|css|svg|wasm)$/.test(file) || statSync(file).size < 1024) continue
        const body = readFileSync(file)
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }))
        writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }))
      }
    },
  },
}

export default defineConfig({
  plugins: [
    honoClientCookie,
    precompress,
    vue(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'web',
      filename: 'sw.ts',
      // web/main.ts registers the worker itself through workbox-window (update prompt).
      injectRegister: false,
      injectManifest: {
        // The ZXing wasm is precached so the scanner works without signal (underground garages).
        globPatterns: ['**/*.{js,css,html,png,svg,wasm,webmanifest}'],
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
      },
      manifest: {
        name: 'Laddpunkt',
        short_name: 'Laddpunkt',
        description: 'Scan, pay and charge your electric car.',
        theme_color: '#0b6e4f',
        background_color: '#ffffff',
        id: '/',
        lang: 'en',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        categories: ['travel', 'utilities'],
        // A charger's QR link (/c/…) opens in the installed app where the platform allows.
        handle_links: 'preferred',
        launch_handler: { client_mode: ['navigate-existing', 'auto'] },
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
        shortcuts: [
          { name: 'Scan', short_name: 'Scan', url: '/', icons: [{ src: '/icons/icon-192.png', sizes: '192x192' }] },
          { name: 'History', short_name: 'History', url: '/history', icons: [{ src: '/icons/icon-192.png', sizes: '192x192' }] },
        ],
      },
    }),
  ],
  server: {
    proxy: {
      '/api': { target: bff, changeOrigin: false },
      '/webhooks': { target: bff },
    },
  },
  // Only what the app uses of Vue and vue-i18n: the charger page must stay within its JavaScript budget.
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    // web/i18n.ts brings its own small message compiler.
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'true',
  },
  // manifest.json tells scripts/budget.mjs which chunks each page loads.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    rolldownOptions: {
      output: {
        // The framework every page needs, in one chunk: fewer requests, better compression.
        codeSplitting: {
          groups: [
            { name: 'framework', test: /node_modules[\\/](@?vue|vue-router|pinia|vue-i18n|@intlify|hono)[\\/]|rolldown[\\/]runtime/ },
            // Small modules the entry shares with lazy pages: one chunk instead of several tiny ones.
            { name: 'core', test: /web[\\/](storage-keys|api[\\/](http|auth|client)|stores[\\/]account)\.ts$/ },
          ],
        },
      },
    },
  },
})
