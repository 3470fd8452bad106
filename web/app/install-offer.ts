/** What the install banner offers: the browser's prompt, iOS guidance, or nothing. */
import { storageKeys } from '../storage-keys'
import { deferred, hintDismissed, installed } from './install'

/** iPhone or iPad in a browser tab (iPadOS reports itself as a Mac with touch). */
export function isIosBrowser(userAgent: string, maxTouchPoints: number, standalone: boolean): boolean {
  const ios = /iPhone|iPad|iPod/.test(userAgent) || (/Macintosh/.test(userAgent) && maxTouchPoints > 1)
  return ios && !standalone
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
