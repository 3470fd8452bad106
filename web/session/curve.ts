/** The live power curve's geometry: pure functions of the samples and the drawing box. */

export interface Box {
  width: number
  height: number
  /** Room for the axis labels: left for kW, bottom for minutes. */
  left: number
  bottom: number
  top: number
  right: number
}

export interface CurveGeometry {
  /** SVG polyline points of the power line. */
  line: string
  /** The area under it, closed along the time axis. */
  area: string
  yTicks: { kw: number; y: number }[]
  xTicks: { minutes: number; x: number }[]
  /** The plot area's edges. */
  plot: { x0: number; x1: number; y0: number; y1: number }
}

/** A round step for about `count` intervals up to `max`: 7.4 → 2 (0, 2, 4, 6, 8); 22 → 5; 0.8 → 0.2. */
export function niceStep(max: number, count: number): number {
  const raw = Math.max(max, Number.EPSILON) / count
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= raw)!
  return step
}

/**
 * Power samples [epoch ms, W] drawn as kW over minutes since the first sample, with axes that start
 * at zero and end on a round number. Null with fewer than two samples: nothing to draw yet.
 */
export function curveGeometry(samples: [number, number][], box: Box): CurveGeometry | null {
  if (samples.length < 2) return null
  const first = samples[0][0]
  const minutes = Math.max(1 / 60, (samples[samples.length - 1][0] - first) / 60_000)
  const peakKw = Math.max(...samples.map(([, w]) => w)) / 1000
  const kwStep = niceStep(Math.max(peakKw, 1), 4)
  const kwMax = Math.max(kwStep, Math.ceil(peakKw / kwStep - 1e-9) * kwStep)
  const minuteStep = minutes < 1 ? niceStep(minutes, 3) : Math.max(1, niceStep(minutes, 4))
  const minuteMax = Math.max(minutes, minuteStep)

  const plot = { x0: box.left, x1: box.width - box.right, y0: box.top, y1: box.height - box.bottom }
  const x = (m: number) => plot.x0 + (m / minuteMax) * (plot.x1 - plot.x0)
  const y = (kw: number) => plot.y1 - (kw / kwMax) * (plot.y1 - plot.y0)
  const points = samples.map(([at, w]) => `${x((at - first) / 60_000).toFixed(1)},${y(w / 1000).toFixed(1)}`)

  const yTicks = []
  for (let kw = 0; kw <= kwMax + 1e-9; kw += kwStep) yTicks.push({ kw: round(kw), y: y(kw) })
  const xTicks = []
  for (let m = 0; m <= minuteMax + 1e-9; m += minuteStep) xTicks.push({ minutes: round(m), x: x(m) })
  const lastX = x(minutes).toFixed(1)
  return {
    line: points.join(' '),
    area: `${plot.x0},${plot.y1} ${points.join(' ')} ${lastX},${plot.y1}`,
    yTicks,
    xTicks,
    plot,
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000
