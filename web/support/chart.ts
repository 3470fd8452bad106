/** Two series (power W, energy Wh) on one time axis, each scaled to its own peak, as SVG points. */
export interface ChartLines {
  power: string
  energy: string
  peakW: number
  totalWh: number
  startMs: number
  endMs: number
}

export function chartLines(power: [number, number][], energy: [number, number][], width: number, height: number): ChartLines | null {
  const all = [...power, ...energy]
  if (all.length < 2) return null
  const startMs = Math.min(...all.map(([at]) => at))
  const endMs = Math.max(...all.map(([at]) => at))
  const span = Math.max(1, endMs - startMs)
  const peakW = Math.max(0, ...power.map(([, w]) => w))
  const totalWh = Math.max(0, ...energy.map(([, wh]) => wh))
  const points = (series: [number, number][], peak: number) =>
    series.map(([at, v]) => `${(((at - startMs) / span) * width).toFixed(1)},${(height - (v / Math.max(1, peak)) * height).toFixed(1)}`).join(' ')
  return { power: points(power, peakW), energy: points(energy, totalWh), peakW, totalWh, startMs, endMs }
}
