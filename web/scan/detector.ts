/** The part of the Barcode Detection API the scanner uses. */
export interface QrDetector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>
}

interface NativeDetectorClass {
  new (options: { formats: string[] }): QrDetector
  getSupportedFormats(): Promise<string[]>
}

/**
 * The browser's own BarcodeDetector when it reads QR codes, else the ZXing polyfill, loaded only
 * now, with its wasm served from our own origin (precached: scanning works without signal).
 */
export async function createQrDetector(): Promise<QrDetector> {
  const native = (globalThis as { BarcodeDetector?: NativeDetectorClass }).BarcodeDetector
  if (native) {
    const formats = await native.getSupportedFormats().catch(() => [] as string[])
    if (formats.includes('qr_code')) return new native({ formats: ['qr_code'] })
  }
  const [{ BarcodeDetector, prepareZXingModule }, { default: wasmUrl }] = await Promise.all([
    import('barcode-detector/ponyfill'),
    import('zxing-wasm/reader/zxing_reader.wasm?url'),
  ])
  prepareZXingModule({
    overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path) },
  })
  return new BarcodeDetector({ formats: ['qr_code'] })
}
