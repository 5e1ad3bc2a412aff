import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, computeFeatures, emptyFeatureValues } from '../../src/risk/features.js';
import type { FeatureName, FeatureValues } from '../../src/risk/features.js';
import { saturate } from '../../src/risk/math.js';
import { DEFAULT_RISK_PARAMETERS } from '../../src/risk/parameters.js';
import { SCORE_COMPONENTS, scoreFeatures } from '../../src/risk/score.js';
import type { ScoreReason } from '../../src/risk/score.js';
import type { MarketHistory, Snapshot } from '../../src/domain/market.js';
import { BASE_TIME, MINUTE, gaussian, historyFromWorld, prng, storeTimes } from './histories.js';

const fcOptions = { seed: 20251010, numRuns: 300 };

const featureValue = fc.option(
  fc.oneof(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: 0, max: 1000, noNaN: true })),
  { nil: null, freq: 4 },
);
const featureValues: fc.Arbitrary<FeatureValues> = fc.record(
  Object.fromEntries(FEATURE_NAMES.map((name) => [name, featureValue])) as Record<FeatureName, typeof featureValue>,
);
const nullMask = fc.subarray([...FEATURE_NAMES]);

function reason(reasons: readonly ScoreReason[], component: ScoreReason['component']): ScoreReason {
  const found = reasons.find((r) => r.component === component);
  if (found === undefined) throw new Error(`no reason for ${component}`);
  return found;
}

function withValues(values: Partial<FeatureValues>): FeatureValues {
  return { ...emptyFeatureValues(), ...values };
}

describe('spiral score: properties', () => {
  it('its reasons always add up to the score, which stays within 0-100', () => {
    fc.assert(
      fc.property(featureValues, (v) => {
        const s = scoreFeatures(v);
        expect(s.reasons.map((r) => r.component)).toEqual([...SCORE_COMPONENTS]);
        expect(s.reasons.reduce((sum, r) => sum + r.points, 0)).toBe(s.score);
        expect(Number.isInteger(s.score)).toBe(true);
        expect(s.score).toBeGreaterThanOrEqual(0);
        expect(s.score).toBeLessThanOrEqual(100);
        for (const r of s.reasons) {
          expect(r.points).toBeGreaterThanOrEqual(0);
          expect(r.points).toBeLessThanOrEqual(r.maxPoints);
          expect(r.text.length).toBeGreaterThan(0);
        }
        expect(s.confidence).toBeGreaterThanOrEqual(0);
        expect(s.confidence).toBeLessThanOrEqual(1);
      }),
      fcOptions,
    );
  });

  it('missing features lower the confidence and never raise the score', () => {
    fc.assert(
      fc.property(featureValues, nullMask, (v, mask) => {
        const masked = { ...v };
        for (const name of mask) masked[name] = null;
        const full = scoreFeatures(v);
        const partial = scoreFeatures(masked);
        expect(partial.score).toBeLessThanOrEqual(full.score);
        expect(partial.confidence).toBeLessThanOrEqual(full.confidence);
        for (const component of SCORE_COMPONENTS) {
          expect(reason(partial.reasons, component).points).toBeLessThanOrEqual(reason(full.reasons, component).points);
        }
      }),
      fcOptions,
    );
  });

  it('a field the venue never gave lowers the confidence and never raises the score', () => {
    // Whole groups of snapshot fields set to null in every snapshot (or the liquidation feed silent), on random
    // but consistent synthetic markets.
    const groups: Record<string, (s: Snapshot) => Snapshot> = {
      funding: (s) => ({ ...s, fundingRate: null, fundingRateAnnualized: null, fundingIntervalHours: null }),
      openInterest: (s) => ({ ...s, openInterestUsd: null, openInterestContracts: null }),
      depth: (s) => ({ ...s, depthBands: null }),
      prices: (s) => ({ ...s, markPrice: null, lastPrice: null, indexPrice: null }),
      index: (s) => ({ ...s, indexPrice: null }),
      volume: (s) => ({ ...s, volume24hUsd: null }),
      ratio: (s) => ({ ...s, longShortAccountRatio: null }),
    };
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(...Object.keys(groups), 'liquidations'), (seed, group) => {
        const h = randomWorldHistory(seed);
        const stripped: MarketHistory =
          group === 'liquidations'
            ? { ...h, liquidationBuckets: [] }
            : { ...h, snapshots: h.snapshots.map(groups[group] as (s: Snapshot) => Snapshot) };
        const full = scoreFeatures(computeFeatures(h, BASE_TIME));
        const partial = scoreFeatures(computeFeatures(stripped, BASE_TIME));
        expect(partial.score).toBeLessThanOrEqual(full.score);
        if (group !== 'ratio') expect(partial.confidence).toBeLessThan(full.confidence);
      }),
      { seed: 20251010, numRuns: 60 },
    );
  });

  it('gives 0 points and 0 confidence when nothing is known', () => {
    const s = scoreFeatures(emptyFeatureValues());
    expect(s.score).toBe(0);
    expect(s.confidence).toBe(0);
    expect(s.reasons.every((r) => r.availability === 0 && r.driver === null)).toBe(true);
  });
});

describe('spiral score: components and explanations', () => {
  const p = DEFAULT_RISK_PARAMETERS.score;

  it('maps each input through a saturating function: nothing at start, half the points at half', () => {
    const s = { start: 0.04, half: 0.12 };
    expect(saturate(0.04, s)).toBe(0);
    expect(saturate(0.12, s)).toBeCloseTo(0.5, 12);
    expect(saturate(0.2, s)).toBeCloseTo(0.75, 12);
    expect(saturate(-1, s)).toBe(0);
    expect(saturate(null, s)).toBeNull();
    expect(saturate(1e9, s)).toBeLessThanOrEqual(1);
  });

  it('explains an open-interest build-up with the price beside it', () => {
    const s = scoreFeatures(withValues({ oiChange4h: 0.18, priceChange4h: 0.003, oiChange1h: 0.01 }));
    const r = reason(s.reasons, 'leverageBuildUp');
    expect(r.text).toBe('open interest +18% in 4 h while price flat (+0.3%)');
    expect(r.driver).toBe('oiChange4h');
    // 1 - 2^-((0.18 - 0.04) / 0.08) of 20 points.
    expect(r.points).toBe(Math.round(20 * (1 - Math.pow(2, -(0.14 / 0.08)))));
    expect(r.availability).toBeCloseTo(2 / 3, 12);
  });

  it('explains a liquidation surge with the amount, the multiple and the side', () => {
    const s = scoreFeatures(
      withValues({
        liqUsd5m: 4_200_000,
        liqLongsUsd5m: 3_444_000,
        liqShortsUsd5m: 756_000,
        liqSurge5m: 9,
        liqSurge15m: 4,
      }),
    );
    const r = reason(s.reasons, 'liquidationSurge');
    expect(r.text).toBe('liquidations $4.2M in 5 min, 9× the usual (82% longs)');
    expect(r.points).toBe(Math.round(p.liquidationSurge.maxPoints * (1 - Math.pow(2, -(7 / 4)))));
  });

  it('explains funding, basis, price stress, thinness and a flush', () => {
    const s = scoreFeatures(
      withValues({
        fundingAnnualized: 0.49,
        fundingZScore: 3.2,
        basis: -0.0062,
        priceChange1h: -0.034,
        priceChange5m: -0.012,
        volatilityRatio1h: 2.8,
        depthThinning: 0.45,
        oiToDepth: 310,
        oiToVolume24h: 1.8,
        oiChange1h: -0.12,
        oiChange15m: -0.04,
      }),
    );
    expect(reason(s.reasons, 'fundingCrowding').text).toBe(
      'funding +49%/yr annualized (longs pay), 3.2σ above its 24 h norm',
    );
    expect(reason(s.reasons, 'basisStretch').text).toBe('mark 0.62% below index');
    expect(reason(s.reasons, 'priceStress').text).toBe(
      'price -3.4% in 1 h, -1.2% in 5 min; volatility 2.8× its 24 h norm',
    );
    expect(reason(s.reasons, 'liquidityThinness').text).toBe(
      'book within 1% at 45% of its usual depth; open interest 310× the depth within 2%; 1.8× daily volume',
    );
    expect(reason(s.reasons, 'oiFlush').text).toBe('open interest -12% in 1 h (positions being closed)');
    expect(s.crowdedSide).toBe('long');
  });

  it('does not count an unusual but tiny funding rate as crowding', () => {
    const s = scoreFeatures(withValues({ fundingAnnualized: 0.05, fundingZScore: 6 }));
    expect(reason(s.reasons, 'fundingCrowding').points).toBe(0);
    expect(s.crowdedSide).toBeNull();
  });

  it('says what is missing rather than reporting calm', () => {
    const s = scoreFeatures(emptyFeatureValues());
    expect(reason(s.reasons, 'liquidationSurge').text).toMatch(/not seen/);
    expect(reason(s.reasons, 'fundingCrowding').text).toBe('funding missing');
    expect(reason(s.reasons, 'liquidityThinness').text).toBe('no depth or volume data');
  });
});

/** A random but consistent market: a day at the store's resolutions with random walks of every input. */
function randomWorldHistory(seed: number): MarketHistory {
  const random = prng(seed);
  const end = BASE_TIME;
  const times = storeTimes(end);
  const steps = new Map<number, number>();
  let price = 100;
  let coins = 1_000_000;
  let funding = 0.0001;
  const path = times.map((at) => {
    price *= Math.exp(0.004 * gaussian(random));
    coins *= 1 + 0.01 * gaussian(random);
    funding += 0.00002 * gaussian(random);
    steps.set(at, steps.size);
    return { price, coins, funding, basis: 0.003 * gaussian(random), depth: 0.3 + random() };
  });
  const at = (t: number) => path[steps.get(t) ?? 0] as (typeof path)[number];
  const burst = end - Math.floor(random() * 30) * MINUTE;
  return historyFromWorld(
    {
      price: (t) => at(t).price,
      openInterestCoins: (t) => at(t).coins,
      fundingRate: (t) => at(t).funding,
      basis: (t) => at(t).basis,
      depthScale: (t) => at(t).depth,
      liquidations: (m) => ({
        longUsd: random() < 0.3 ? random() * 50_000 * (m >= burst ? 20 : 1) : 0,
        shortUsd: random() < 0.3 ? random() * 50_000 : 0,
      }),
    },
    times,
    end,
  );
}
