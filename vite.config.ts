import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { VitePWA } from 'vite-plugin-pwa'

const bff = process.env.BFF_URL ?? 'http://localhost:8080'

export default defineConfig({
  plugins: [
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
        display: 'standalone',
        start_url: '/',
        scope: '/',
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
  build: { outDir: 'dist', emptyOutDir: true },
})
