/** SVG polyline points for power samples [epoch ms, W] in a width × height box (y grows downwards). */
export function curvePoints(samples: [number, number][], width: number, height: number): string {
  if (samples.length < 2) return ''
  const first = samples[0][0]
  const span = Math.max(1, samples[samples.length - 1][0] - first)
  const peak = Math.max(1, ...samples.map(([, w]) => w))
  return samples
    .map(([at, w]) => `${((at - first) / span * width).toFixed(1)},${(height - (w / peak) * height).toFixed(1)}`)
    .join(' ')
}
