// Small numeric helpers of the risk engine.
import type { Saturation } from './parameters.js';

/**
 * The saturating map of docs/risk.md: 0 up to `start`, 0.5 at `half`, approaching 1; each further
 * (half - start) halves the remaining gap. A null input maps to null (missing, not zero).
 */
export function saturate(x: number | null, s: Saturation): number | null {
  if (x === null) return null;
  if (!(x > s.start)) return 0;
  return 1 - Math.pow(2, -(x - s.start) / (s.half - s.start));
}

/** Number of elements of the ascending `values` that are <= x (the insertion point after equal elements). */
export function countAtOrBelow(values: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The median (the mean of the middle two for an even count); null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Weighted mean and standard deviation (population); null when there is no positive weight. */
export function weightedMeanStd(
  values: readonly number[],
  weights: readonly number[],
): { mean: number; std: number } | null {
  let total = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights[i] as number;
    total += w;
    sum += w * (values[i] as number);
  }
  if (!(total > 0)) return null;
  const mean = sum / total;
  let sq = 0;
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] as number) - mean;
    sq += (weights[i] as number) * d * d;
  }
  return { mean, std: Math.sqrt(sq / total) };
}

/**
 * Time weights for observations at ascending times: each observation stands for the interval since the one
 * before, capped at `capMs` (a gap in the data is not a long observation); the first takes the second's weight.
 */
export function timeWeights(times: readonly number[], capMs: number): number[] {
  const weights = times.map((t, i) => (i === 0 ? 0 : Math.min(capMs, t - (times[i - 1] as number))));
  if (weights.length > 1) weights[0] = weights[1] as number;
  else if (weights.length === 1) weights[0] = 1;
  return weights;
}
