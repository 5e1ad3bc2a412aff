// Reading a market's history window: which snapshots are at or before `now`, the latest value of a field that
// is still fresh, and the snapshot nearest to a lookback target. Snapshots are ascending by `at`.
import type { DepthBand, Snapshot } from '../domain/market.js';

const HOURS_PER_YEAR = 24 * 365;

/** How many of the (ascending) snapshots are at or before `now`. */
export function countUpTo(snapshots: readonly Snapshot[], now: number): number {
  let lo = 0;
  let hi = snapshots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((snapshots[mid] as Snapshot).at <= now) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The price the engine reads: the mark price, else the last trade. */
export function priceOf(s: Snapshot): number | null {
  return s.markPrice ?? s.lastPrice;
}

/** Funding per hour (comparable across venues whose intervals differ), or null. */
export function fundingPerHour(s: Snapshot): number | null {
  if (s.fundingRate !== null && s.fundingIntervalHours !== null) return s.fundingRate / s.fundingIntervalHours;
  if (s.fundingRateAnnualized !== null) return s.fundingRateAnnualized / HOURS_PER_YEAR;
  return null;
}

/** Annualized funding: the venue's figure, else the rate times intervals per year, or null. */
export function fundingAnnualized(s: Snapshot): number | null {
  if (s.fundingRateAnnualized !== null) return s.fundingRateAnnualized;
  if (s.fundingRate !== null && s.fundingIntervalHours !== null) {
    return (s.fundingRate * HOURS_PER_YEAR) / s.fundingIntervalHours;
  }
  return null;
}

// What the latest fresh value is looked for by (latestIndex), shared by the features and the liquidation profile:
// created once, so a pass makes no closures per market.
export const hasPrice = (s: Snapshot): boolean => priceOf(s) !== null;
export const hasOpenInterestUsd = (s: Snapshot): boolean => s.openInterestUsd !== null;
export const hasLongShortRatio = (s: Snapshot): boolean => s.longShortAccountRatio !== null;

/** The depth band measured at `withinPercent` (exactly one of DEPTH_BANDS_PERCENT, normally), or null. */
export function bandAt(s: Snapshot, withinPercent: number): DepthBand | null {
  const bands = s.depthBands;
  if (bands === null) return null;
  for (let i = 0; i < bands.length; i++) {
    const band = bands[i] as DepthBand;
    const gap = band.withinPercent - withinPercent;
    if (gap < 1e-9 && gap > -1e-9) return band;
  }
  return null;
}

/**
 * Index of the latest of the first `count` snapshots that satisfies `has` and is at most `maxAgeMs` older than
 * `now`; -1 when there is none.
 */
export function latestIndex(
  snapshots: readonly Snapshot[],
  count: number,
  now: number,
  maxAgeMs: number,
  has: (s: Snapshot) => boolean,
): number {
  for (let i = count - 1; i >= 0; i--) {
    const s = snapshots[i] as Snapshot;
    if (s.at < now - maxAgeMs) return -1;
    if (has(s)) return i;
  }
  return -1;
}

/**
 * Index of the snapshot satisfying `has` nearest to `target` within `toleranceMs` either side, among the first
 * `count`; -1 when there is none.
 */
export function nearestIndex(
  snapshots: readonly Snapshot[],
  count: number,
  target: number,
  toleranceMs: number,
  has: (s: Snapshot) => boolean,
): number {
  const start = Math.min(countUpTo(snapshots, target), count);
  let left = -1;
  for (let i = start - 1; i >= 0; i--) {
    const s = snapshots[i] as Snapshot;
    if (s.at < target - toleranceMs) break;
    if (has(s)) {
      left = i;
      break;
    }
  }
  let right = -1;
  for (let i = start; i < count; i++) {
    const s = snapshots[i] as Snapshot;
    if (s.at > target + toleranceMs) break;
    if (has(s)) {
      right = i;
      break;
    }
  }
  if (left < 0) return right;
  if (right < 0) return left;
  const l = (snapshots[left] as Snapshot).at;
  const r = (snapshots[right] as Snapshot).at;
  return target - l <= r - target ? left : right;
}
