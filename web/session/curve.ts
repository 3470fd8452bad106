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
  /** Time since the first sample, in `unit`s: seconds for the first two minutes, then minutes. */
  xTicks: { at: number; x: number }[]
  unit: 'second' | 'minute'
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
 * Power samples [epoch ms, W] drawn as kW over the time since the first sample, with axes that start
 * at zero and end on a round number. Null with fewer than two samples: nothing to draw yet.
 */
export function curveGeometry(samples: [number, number][], box: Box): CurveGeometry | null {
  if (samples.length < 2) return null
  const first = samples[0][0]
  const seconds = Math.max(1, (samples[samples.length - 1][0] - first) / 1000)
  const unit = seconds < 120 ? 'second' : 'minute'
  const perUnit = unit === 'second' ? 1000 : 60_000
  const span = (seconds * 1000) / perUnit
  const peakKw = Math.max(...samples.map(([, w]) => w)) / 1000
  const kwStep = niceStep(Math.max(peakKw, 1), 4)
  const kwMax = Math.max(kwStep, Math.ceil(peakKw / kwStep - 1e-9) * kwStep)
  const timeStep = Math.max(1, niceStep(span, 4))
  const timeMax = Math.max(span, timeStep)

  const plot = { x0: box.left, x1: box.width - box.right, y0: box.top, y1: box.height - box.bottom }
  const x = (t: number) => plot.x0 + (t / timeMax) * (plot.x1 - plot.x0)
  const y = (kw: number) => plot.y1 - (kw / kwMax) * (plot.y1 - plot.y0)
  const points = samples.map(([at, w]) => `${x((at - first) / perUnit).toFixed(1)},${y(w / 1000).toFixed(1)}`)

  const yTicks = []
  for (let kw = 0; kw <= kwMax + 1e-9; kw += kwStep) yTicks.push({ kw: round(kw), y: y(kw) })
  const xTicks = []
  for (let t = 0; t <= timeMax + 1e-9; t += timeStep) xTicks.push({ at: round(t), x: x(t) })
  const lastX = x(span).toFixed(1)
  return {
    line: points.join(' '),
    area: `${plot.x0},${plot.y1} ${points.join(' ')} ${lastX},${plot.y1}`,
    yTicks,
    xTicks,
    unit,
    plot,
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000
