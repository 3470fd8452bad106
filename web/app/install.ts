/**
 * Installing the app: the browser's own prompt where it offers one (Chromium's
 * `beforeinstallprompt`), add-to-home-screen guidance where it does not (iOS Safari).
 * This part runs at start to catch the prompt; what the banner offers is in install-offer.ts,
 * loaded with the banner.
 */
import { ref } from 'vue'
import { storageKeys } from '../storage-keys'

export interface InstallPromptEvent extends Event {
  prompt(): Promise<void>
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>
}

/** The browser's deferred install prompt, while it offers one. */
export const deferred = ref<InstallPromptEvent | null>(null)
/** True once the app runs installed, or the driver has installed it just now. */
export const installed = ref(false)
/** The driver closed the hint; it stays closed for a month. */
export const hintDismissed = ref(false)

const hintPauseMs = 30 * 24 * 60 * 60 * 1000

export function startInstallWatch() {
  const standalone =
    window.matchMedia?.('(display-mode: standalone)').matches || (navigator as { standalone?: boolean }).standalone === true
  installed.value = standalone
  const dismissedAt = Number(localStorage.getItem(storageKeys.installHintDismissed) ?? 0)
  hintDismissed.value = Date.now() - dismissedAt < hintPauseMs
  window.addEventListener('beforeinstallprompt', (event) => {
    // Offered in the app's own words, at a calm moment, instead of the browser's mini bar.
    event.preventDefault()
    deferred.value = event as InstallPromptEvent
  })
  window.addEventListener('appinstalled', () => {
    installed.value = true
    deferred.value = null
  })
}
