/**
 * Installing the app: the browser's own prompt where it offers one (Chromium's
 * `beforeinstallprompt`), add-to-home-screen guidance where it does not (iOS Safari).
 */
import { ref } from 'vue'
import { storageKeys } from '../storage-keys'

interface InstallPromptEvent extends Event {
  prompt(): Promise<void>
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>
}

/** The browser's deferred install prompt, while it offers one. */
const deferred = ref<InstallPromptEvent | null>(null)
/** True once the app runs installed, or the driver has installed it just now. */
export const installed = ref(false)
/** The driver closed the hint; it stays closed for a month. */
export const hintDismissed = ref(false)

const hintPauseMs = 30 * 24 * 60 * 60 * 1000

/** iPhone or iPad in a browser tab (iPadOS reports itself as a Mac with touch). */
export function isIosBrowser(userAgent: string, maxTouchPoints: number, standalone: boolean): boolean {
  const ios = /iPhone|iPad|iPod/.test(userAgent) || (/Macintosh/.test(userAgent) && maxTouchPoints > 1)
  return ios && !standalone
}

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

/** What the app can offer now: the browser's prompt, iOS guidance, or nothing. */
export function installOffer(): 'prompt' | 'ios' | null {
  if (installed.value || hintDismissed.value) return null
  if (deferred.value) return 'prompt'
  return isIosBrowser(navigator.userAgent, navigator.maxTouchPoints ?? 0, installed.value) ? 'ios' : null
}

export async function install() {
  const event = deferred.value
  if (!event) return
  deferred.value = null
  await event.prompt()
  if ((await event.userChoice).outcome === 'accepted') installed.value = true
}

export function dismissInstallHint() {
  hintDismissed.value = true
  localStorage.setItem(storageKeys.installHintDismissed, String(Date.now()))
}
