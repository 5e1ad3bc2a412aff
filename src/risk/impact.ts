// Price impact of market orders from a recorded depth curve: inside the deepest band, the inverse of the
// cumulative depth interpolated piecewise linearly (from 0 USD at the mid). Beyond it, when the day's volume is
// known, the square-root law in its volume form for what the book did not absorb:
// impact = xMax + Y x sigma x sqrt((Q - D(xMax)) / V), as liquidity refills at the market's daily pace; otherwise
// a power law anchored on the book, impact = xMax x (Q / D(xMax))^exponent. Both are continuous at xMax.
import type { DepthBand } from '../domain/market.js';

export interface DepthCurve {
  /** Distances from the mid, as fractions, ascending and positive. */
  distances: number[];
  /** USD resting within each distance, non-decreasing; the last is positive. */
  cumulativeUsd: number[];
  /** Exponent of the impact law beyond the last distance. */
  exponent: number;
  /** The volume form of the law beyond the last distance, when the 24 h volume is known. */
  beyond?: { volumeUsd: number; dailyVolatility: number; coefficient: number };
}

/**
 * The curve of one side of a recorded book (bids absorb sells, asks absorb buys), or null when the bands hold
 * no depth. Cumulative figures that shrink with distance (measurement noise) are carried forward.
 */
export function depthCurveFromBands(
  bands: readonly DepthBand[],
  side: 'bid' | 'ask',
  exponent: number,
): DepthCurve | null {
  const sorted = [...bands].sort((a, b) => a.withinPercent - b.withinPercent);
  const distances: number[] = [];
  const cumulativeUsd: number[] = [];
  let running = 0;
  for (const band of sorted) {
    running = Math.max(running, side === 'bid' ? band.bidUsd : band.askUsd);
    distances.push(band.withinPercent / 100);
    cumulativeUsd.push(running);
  }
  return running > 0 ? { distances, cumulativeUsd, exponent } : null;
}

/** A flat book: `depthUsd` spread evenly from the mid to `distance`. */
export function flatDepthCurve(depthUsd: number, distance: number, exponent: number): DepthCurve {
  return { distances: [distance], cumulativeUsd: [depthUsd], exponent };
}

/** The move (fraction of the price) that market orders of `usd` cause against the curve. */
export function impactOf(curve: DepthCurve, usd: number): number {
  if (!(usd > 0)) return 0;
  const { distances, cumulativeUsd } = curve;
  let prevX = 0;
  let prevD = 0;
  for (let i = 0; i < distances.length; i++) {
    const x = distances[i] as number;
    const d = cumulativeUsd[i] as number;
    if (usd <= d) return prevX + ((usd - prevD) / (d - prevD)) * (x - prevX);
    prevX = x;
    prevD = d;
  }
  const { beyond } = curve;
  if (beyond !== undefined) {
    return prevX + beyond.coefficient * beyond.dailyVolatility * Math.sqrt((usd - prevD) / beyond.volumeUsd);
  }
  return prevX * Math.pow(usd / prevD, curve.exponent);
}

/** USD resting within `distance` of the mid (the inverse of impactOf). */
export function depthWithin(curve: DepthCurve, distance: number): number {
  if (!(distance > 0)) return 0;
  const { distances, cumulativeUsd } = curve;
  let prevX = 0;
  let prevD = 0;
  for (let i = 0; i < distances.length; i++) {
    const x = distances[i] as number;
    const d = cumulativeUsd[i] as number;
    if (distance <= x) return prevD + ((distance - prevX) / (x - prevX)) * (d - prevD);
    prevX = x;
    prevD = d;
  }
  const { beyond } = curve;
  if (beyond !== undefined) {
    const scaled = (distance - prevX) / (beyond.coefficient * beyond.dailyVolatility);
    return prevD + beyond.volumeUsd * scaled * scaled;
  }
  return prevD * Math.pow(distance / prevX, 1 / curve.exponent);
}
