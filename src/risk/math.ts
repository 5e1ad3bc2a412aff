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

/**
 * A reusable Float64Array for one computation's intermediate values, grown (never shrunk) to the largest size asked
 * for, so the hot paths of a pass allocate nothing per market. Only for synchronous use: each caller owns its own.
 */
export class ScratchBuffer {
  private buffer: Float64Array<ArrayBuffer>;

  constructor(initialSize = 256) {
    this.buffer = new Float64Array(initialSize);
  }

  /** A buffer of at least `size` values; its contents are whatever the previous use left. */
  take(size: number): Float64Array<ArrayBuffer> {
    if (this.buffer.length < size) this.buffer = new Float64Array(Math.max(size, this.buffer.length * 2));
    return this.buffer;
  }
}

/**
 * The median of the first `count` values of `values` (the mean of the middle two for an even count), which it
 * reorders: the value `median` gives for the same numbers, found by selection instead of a sort. Null for no
 * values. The values must not be NaN (equal values may come out of either zero's sign, which no caller reads).
 */
export function medianInPlace(values: Float64Array, count: number): number | null {
  if (count === 0) return null;
  const mid = count >> 1;
  const upper = selectInPlace(values, count, mid);
  if (count % 2 === 1) return upper;
  // Below index mid now sit the mid smallest values: the largest of them is the other middle one.
  let lower = values[0] as number;
  for (let i = 1; i < mid; i++) if ((values[i] as number) > lower) lower = values[i] as number;
  return (lower + upper) / 2;
}

/**
 * Reorders the first `count` values so that index `k` holds the k-th smallest (0-based), every value before it is
 * at most it and every value after at least it (Hoare's selection); returns that value.
 */
function selectInPlace(values: Float64Array, count: number, k: number): number {
  let left = 0;
  let right = count - 1;
  while (left < right) {
    // Median of three as the pivot keeps sorted and reversed runs linear.
    const middle = (left + right) >>> 1;
    const a = values[left] as number;
    const b = values[middle] as number;
    const c = values[right] as number;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k] as number;
}
