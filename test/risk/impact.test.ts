import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { depthCurveFromBands, depthWithin, flatDepthCurve, impactOf } from '../../src/risk/impact.js';
import { buildDepthBands } from './histories.js';

describe('price impact from a depth curve', () => {
  const curve = depthCurveFromBands(buildDepthBands(2_000_000, 1_000_000), 'bid', 0.5);
  if (curve === null) throw new Error('expected a curve');

  it('interpolates the recorded bands linearly, from nothing at the mid', () => {
    // Bids: $2M within 0.5%, $4M within 1%, $8M within 2%, $20M within 5%.
    expect(impactOf(curve, 0)).toBe(0);
    expect(impactOf(curve, 1_000_000)).toBeCloseTo(0.0025, 12);
    expect(impactOf(curve, 6_000_000)).toBeCloseTo(0.015, 12);
    expect(impactOf(curve, 20_000_000)).toBeCloseTo(0.05, 12);
  });

  it('follows the square-root law beyond the deepest band, continuous where they meet', () => {
    expect(impactOf(curve, 80_000_000)).toBeCloseTo(0.05 * Math.sqrt(4), 12);
    expect(impactOf(curve, 20_000_001)).toBeCloseTo(0.05, 6);
  });

  it('is the inverse of the depth within a distance, and never falls as the amount grows', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(impactOf(curve, lo)).toBeLessThanOrEqual(impactOf(curve, hi));
          if (lo >= 1) expect(depthWithin(curve, impactOf(curve, lo)) / lo).toBeCloseTo(1, 9);
        },
      ),
      { seed: 20251010, numRuns: 300 },
    );
  });

  it('carries a shrinking cumulative figure forward, and has no curve for an empty book', () => {
    const noisy = depthCurveFromBands(
      [
        { withinPercent: 1, bidUsd: 10, askUsd: 0 },
        { withinPercent: 0.5, bidUsd: 12, askUsd: 0 },
      ],
      'bid',
      0.5,
    );
    expect(noisy?.cumulativeUsd).toEqual([12, 12]);
    expect(depthCurveFromBands([{ withinPercent: 1, bidUsd: 10, askUsd: 0 }], 'ask', 0.5)).toBeNull();
    expect(impactOf(flatDepthCurve(100, 0.05, 0.5), 50)).toBeCloseTo(0.025, 12);
  });
});

describe('impact beyond the book with the day volume known', () => {
  const curve = {
    ...flatDepthCurve(10_000_000, 0.05, 0.5),
    beyond: { volumeUsd: 1e10, dailyVolatility: 0.04, coefficient: 1 },
  };

  it('adds Y x sigma x sqrt(unabsorbed / volume) to the deepest distance', () => {
    // $10M absorbed within 5%; the next $1B moves the price 4% x sqrt(0.1) = 1.265% further.
    expect(impactOf(curve, 1_010_000_000)).toBeCloseTo(0.05 + 0.04 * Math.sqrt(0.1), 12);
    expect(impactOf(curve, 10_000_000)).toBeCloseTo(0.05, 12);
  });

  it('is inverted by depthWithin', () => {
    for (const distance of [0.051, 0.06, 0.1, 0.3])
      expect(impactOf(curve, depthWithin(curve, distance))).toBeCloseTo(distance, 9);
  });
});
