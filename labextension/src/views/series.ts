/**
 * Metric series for drawing: bucketed min/max downsampling and alignment of
 * several runs onto one x axis (the column layout uPlot draws).
 */

/** `[step, value, time]` as the server sends it. */
export type Point = [number, number, number];

export type Axis = 'step' | 'time';

export interface Series {
  label: string;
  points: Point[];
}

/** uPlot's layout: `[xs, ys_run1, ys_run2, ...]`, gaps as null. */
export type Aligned = [number[], ...(number | null)[][]];

/**
 * Keep the first, last, min and max point of each bucket so spikes survive.
 * Points must be sorted by x; returns them unchanged when already small enough.
 */
export function downsampleMinMax(points: Point[], maxPoints: number, axis: Axis = 'step'): Point[] {
  if (points.length <= maxPoints || maxPoints < 4) {
    return points;
  }
  const xi = axis === 'step' ? 0 : 2;
  const buckets = Math.max(1, Math.floor(maxPoints / 4));
  const x0 = points[0][xi];
  const span = points[points.length - 1][xi] - x0 || 1;
  const out: Point[] = [];
  let start = 0;
  for (let b = 0; b < buckets && start < points.length; b++) {
    const limit = x0 + (span * (b + 1)) / buckets;
    let end = start;
    while (end < points.length && (points[end][xi] <= limit || b === buckets - 1)) {
      end++;
    }
    if (end === start) {
      continue;
    }
    let lo = start;
    let hi = start;
    for (let k = start + 1; k < end; k++) {
      if (points[k][1] < points[lo][1]) {
        lo = k;
      }
      if (points[k][1] > points[hi][1]) {
        hi = k;
      }
    }
    const picks = [...new Set([start, lo, hi, end - 1])].sort((p, q) => p - q);
    for (const k of picks) {
      out.push(points[k]);
    }
    start = end;
  }
  return out;
}

/**
 * Put several runs' series on one sorted x axis (step or time). With `log`,
 * values <= 0 become gaps because a log axis cannot draw them.
 */
export function alignSeries(series: Series[], axis: Axis, log = false): Aligned {
  const xi = axis === 'step' ? 0 : 2;
  const xsSet = new Set<number>();
  for (const s of series) {
    for (const p of s.points) {
      xsSet.add(p[xi]);
    }
  }
  const xs = Float64Array.from(xsSet).sort();
  const index = new Map<number, number>();
  xs.forEach((x, i) => index.set(x, i));
  const ys = series.map(s => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s.points) {
      const v = p[1];
      column[index.get(p[xi])!] = Number.isFinite(v) && (!log || v > 0) ? v : null;
    }
    return column;
  });
  return [Array.from(xs), ...ys];
}

/** Metric keys the runs have in common first, then the rest, each group sorted. */
export function metricKeys(metrics: (Record<string, unknown> | undefined)[]): string[] {
  const counts = new Map<string, number>();
  for (const m of metrics) {
    for (const key of Object.keys(m ?? {})) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || a.localeCompare(b));
}

/**
 * Exponential moving average of the values (TensorBoard's `weight` in [0, 1); 0 returns
 * the points as they are). Applied to the drawn, downsampled points.
 */
export function smooth(points: Point[], weight: number): Point[] {
  if (!(weight > 0) || !points.length) {
    return points;
  }
  const w = Math.min(weight, 0.999);
  let last = NaN;
  return points.map(([step, value, time]) => {
    if (Number.isFinite(value)) {
      last = Number.isNaN(last) ? value : last * w + value * (1 - w);
    }
    return [step, Number.isFinite(value) ? last : value, time];
  });
}
