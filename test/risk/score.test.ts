import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, computeFeatures, emptyFeatureValues } from '../../src/risk/features.js';
import type { FeatureName, FeatureValues } from '../../src/risk/features.js';
import { saturate } from '../../src/risk/math.js';
import { DEFAULT_RISK_PARAMETERS } from '../../src/risk/parameters.js';
import { SCORE_COMPONENTS, scoreFeatures } from '../../src/risk/score.js';
import type { ScoreReason } from '../../src/risk/score.js';
import type { MarketHistory, Snapshot } from '../../src/domain/market.js';
import type { NearLiquidationLevels } from '../../src/risk/cascade.js';
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
        // Each component's strength never rises; its points are its part of a lower score.
        for (const component of SCORE_COMPONENTS) {
          expect(reason(partial.reasons, component).share).toBeLessThanOrEqual(reason(full.reasons, component).share);
        }
        expect(partial.fragility).toBeLessThanOrEqual(full.fragility);
        expect(partial.unwinding).toBeLessThanOrEqual(full.unwinding);
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

  it('never lowers the score when the unwinding grows stronger on any of its inputs', () => {
    const unwindingInputs: readonly [FeatureName, number][] = [
      ['liqSustainedSurge5m', 1],
      ['liqSustainedSurge15m', 1],
      ['oiChange15m', -1],
      ['oiChange1h', -1],
      ['oiFromPeak', -1],
      ['priceChange5m', -1],
      ['priceChange15m', -1],
      ['priceChange1h', -1],
      ['volatilityRatio1h', 1],
      ['depthThinning', -1],
    ];
    fc.assert(
      fc.property(
        featureValues,
        fc.constantFrom(...unwindingInputs),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (v, [name, direction], step) => {
          const current = v[name] ?? 0;
          const before = scoreFeatures({ ...v, [name]: current });
          const stronger = direction > 0 ? current + step : current - step;
          // A price move is stress both ways: stronger is further from 0 in its own direction.
          const moved = name.startsWith('priceChange') ? (current < 0 ? current - step : current + step) : stronger;
          const after = scoreFeatures({ ...v, [name]: moved });
          expect(after.score).toBeGreaterThanOrEqual(before.score);
          expect(after.unwinding).toBeGreaterThanOrEqual(before.unwinding);
        },
      ),
      fcOptions,
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
    expect(r.subScore).toBe('fragility');
    // Alone: ceiling x weight x (1 - 2^-((0.18 - 0.04) / 0.08)).
    const share = 1 - Math.pow(2, -(0.14 / 0.08));
    expect(r.share).toBeCloseTo(share, 3);
    expect(s.score).toBe(Math.round(100 * p.fragilityCeiling * p.leverageBuildUp.weight * share));
    expect(r.points).toBe(s.score);
    expect(r.availability).toBeCloseTo(2 / 4, 12);
  });

  it('explains a liquidation surge with the amount, the multiple and the side', () => {
    const s = scoreFeatures(
      withValues({
        liqUsd5m: 4_200_000,
        liqLongsUsd5m: 3_444_000,
        liqShortsUsd5m: 756_000,
        liqSurge5m: 9,
        liqSurge15m: 4,
        liqSustainedSurge5m: 8,
        liqSustainedSurge15m: 3.5,
      }),
    );
    const r = reason(s.reasons, 'liquidationSurge');
    expect(r.text).toBe('liquidations $4.2M in 5 min, 9× the usual (82% longs)');
    expect(r.subScore).toBe('unwinding');
    // Alone: weight x (1 - 2^-((8 - 3) / (10 - 3))).
    expect(r.points).toBe(Math.round(100 * p.liquidationSurge.weight * (1 - Math.pow(2, -(5 / 7)))));
  });

  it('does not take one huge liquidation print for a surge', () => {
    // $30M in one minute of five, nothing around it: the raw surge is huge, the sustained one is not.
    const s = scoreFeatures(
      withValues({
        liqUsd5m: 30_000_000,
        liqLongsUsd5m: 30_000_000,
        liqShortsUsd5m: 0,
        liqSurge5m: 85,
        liqSurge15m: 28,
        liqSustainedSurge5m: 0.4,
        liqSustainedSurge15m: 0.5,
      }),
    );
    const r = reason(s.reasons, 'liquidationSurge');
    expect(r.points).toBe(0);
    expect(r.text).toMatch(/nearly all in one minute/);
  });

  it('explains funding, basis, price stress, thinness and a flush', () => {
    const s = scoreFeatures(
      withValues({
        fundingAnnualized: 0.49,
        fundingZScore: 3.2,
        basis: -0.0062,
        priceChange1h: -0.034,
        priceChange15m: -0.021,
        priceChange5m: -0.012,
        volatilityRatio1h: 2.8,
        depthThinning: 0.45,
        oiToDepth: 310,
        oiToVolume24h: 1.8,
        oiChange1h: -0.12,
        oiChange15m: -0.04,
        oiFromPeak: -0.1,
      }),
    );
    expect(reason(s.reasons, 'fundingCrowding').text).toBe(
      'funding +49%/yr annualized (longs pay), 3.2σ above its 24 h norm',
    );
    expect(reason(s.reasons, 'basisStretch').text).toBe('mark 0.62% below index');
    expect(reason(s.reasons, 'priceStress').text).toBe(
      'price -3.4% in 1 h, -2.1% in 15 min, -1.2% in 5 min; volatility 2.8× its 24 h norm',
    );
    expect(reason(s.reasons, 'bookThinning').text).toBe('book within 1% at 45% of its usual depth');
    expect(reason(s.reasons, 'liquidityThinness').text).toBe(
      'open interest 310× the depth within 2%; 1.8× daily volume',
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
    expect(reason(s.reasons, 'liquidationLevels').text).toBe('no liquidation levels estimated');
  });
});

describe('spiral score: fragility and unwinding', () => {
  const loaded: Partial<FeatureValues> = {
    oiChange4h: 0.2,
    oiChange24h: 0.3,
    fundingAnnualized: 0.45,
    fundingZScore: 3,
    basis: 0.004,
    oiToDepth: 300,
    oiToVolume24h: 1.2,
  };
  const near: NearLiquidationLevels = {
    withinFraction: 0.02,
    longUsd: 90_000_000,
    shortUsd: 10_000_000,
    longShareOfOi: 0.09,
    shortShareOfOi: 0.01,
    bidDepthUsd: 60_000_000,
    askDepthUsd: 60_000_000,
    depthSource: 'book',
  };
  const unwinding: Partial<FeatureValues> = {
    liqUsd5m: 50_000_000,
    liqLongsUsd5m: 48_000_000,
    liqSurge5m: 25,
    liqSustainedSurge5m: 22,
    liqSustainedSurge15m: 12,
    oiChange15m: -0.06,
    oiFromPeak: -0.12,
    priceChange5m: -0.03,
    priceChange15m: -0.06,
    depthThinning: 0.2,
  };

  it('lets a loaded market reach warning before any trigger, but not critical', () => {
    const s = scoreFeatures(withValues(loaded), DEFAULT_RISK_PARAMETERS, near);
    expect(s.score).toBeGreaterThanOrEqual(DEFAULT_RISK_PARAMETERS.levels.enter.warning);
    expect(s.score).toBeLessThan(DEFAULT_RISK_PARAMETERS.levels.enter.critical);
    expect(s.unwinding).toBe(0);
    // Even at full strength on every fragility input.
    const extreme = scoreFeatures(
      withValues({ ...loaded, oiChange1h: 10, oiChange4h: 10, fundingAnnualized: 50, basis: 0.4, oiToDepth: 1e6 }),
      DEFAULT_RISK_PARAMETERS,
      { ...near, longShareOfOi: 1, longUsd: 1e12 },
    );
    expect(extreme.score).toBeLessThan(DEFAULT_RISK_PARAMETERS.levels.enter.critical);
  });

  it('takes a strong unwinding to critical on its own, without liquidation data too', () => {
    const s = scoreFeatures(withValues(unwinding));
    expect(s.score).toBeGreaterThanOrEqual(DEFAULT_RISK_PARAMETERS.levels.enter.critical);
    expect(s.fragility).toBe(0);
    // A venue that streams no liquidations: open interest, price and depth carry it.
    const blind = scoreFeatures(
      withValues({
        ...unwinding,
        liqUsd5m: null,
        liqLongsUsd5m: null,
        liqSurge5m: null,
        liqSustainedSurge5m: null,
        liqSustainedSurge15m: null,
      }),
    );
    expect(blind.score).toBeGreaterThanOrEqual(DEFAULT_RISK_PARAMETERS.levels.enter.critical);
  });

  it('reaches critical sooner on a market that was loaded', () => {
    const moderate: Partial<FeatureValues> = {
      liqSustainedSurge5m: 8,
      liqSustainedSurge15m: 5,
      oiChange15m: -0.03,
      priceChange5m: -0.015,
      priceChange15m: -0.025,
    };
    const alone = scoreFeatures(withValues(moderate));
    const onLoaded = scoreFeatures(withValues({ ...loaded, ...moderate }), DEFAULT_RISK_PARAMETERS, near);
    expect(alone.score).toBeLessThan(DEFAULT_RISK_PARAMETERS.levels.enter.critical);
    expect(onLoaded.score).toBeGreaterThanOrEqual(DEFAULT_RISK_PARAMETERS.levels.enter.critical);
  });

  it('remembers the build-up into the unwind while it is flushed, and only then', () => {
    // Open interest had risen 30% into its peak; now it is 12% below it and the 1 h change is negative.
    const flushed = { oiPeakBuildUp: 0.3, oiChange4h: -0.05, oiChange1h: -0.08 };
    const during = scoreFeatures(withValues({ ...flushed, ...unwinding }));
    const r = reason(during.reasons, 'leverageBuildUp');
    expect(r.driver).toBe('oiPeakBuildUp');
    expect(r.points).toBeGreaterThan(0);
    expect(r.text).toBe('open interest had risen +30% into its 6 h peak, now being flushed');
    // Without forced closing (open interest drifting back, no surge) the peak is history, not fuel.
    const quiet = scoreFeatures(
      withValues({ oiPeakBuildUp: 0.3, oiChange4h: -0.01, oiChange1h: -0.005, oiFromPeak: -0.02 }),
    );
    expect(reason(quiet.reasons, 'leverageBuildUp').points).toBe(0);
  });

  it('counts the fall from the peak while the flush is under way, not hours after it stopped', () => {
    const flushShare = (values: Partial<FeatureValues>): number =>
      reason(scoreFeatures(withValues(values)).reasons, 'oiFlush').share;
    const fromPeak = { oiFromPeak: -0.2 };
    // Still falling over the last hour, or forced closing under way: the whole fall from the peak counts.
    const falling = flushShare({ ...fromPeak, oiChange1h: -0.025 });
    const surging = flushShare({ ...fromPeak, oiChange1h: 0, liqSustainedSurge5m: 40 });
    expect(falling).toBeGreaterThan(0.7);
    expect(surging).toBeGreaterThan(0.7);
    // Flat for the last hour and no surge: the market has flushed, and a post-flush retrace is not a spiral.
    const stopped = scoreFeatures(withValues({ ...fromPeak, oiChange1h: 0.002, priceChange1h: 0.06 }));
    expect(reason(stopped.reasons, 'oiFlush').share).toBe(0);
    expect(stopped.score).toBeLessThan(DEFAULT_RISK_PARAMETERS.levels.enter.warning);
    // Halfway: a slower fall counts in proportion.
    const slow = flushShare({ ...fromPeak, oiChange1h: -0.01 });
    expect(slow).toBeGreaterThan(0);
    expect(slow).toBeLessThan(falling);
  });

  it('counts a price move without forced closing at a fraction', () => {
    const move = { priceChange15m: -0.05, priceChange1h: -0.06, volatilityRatio1h: 3 };
    const unconfirmed = scoreFeatures(withValues(move));
    const confirmed = scoreFeatures(withValues({ ...move, oiChange15m: -0.06 }));
    expect(reason(unconfirmed.reasons, 'priceStress').share).toBeLessThanOrEqual(
      DEFAULT_RISK_PARAMETERS.score.confirmationFloor + 1e-9,
    );
    expect(reason(confirmed.reasons, 'priceStress').share).toBeGreaterThan(
      reason(unconfirmed.reasons, 'priceStress').share,
    );
    expect(unconfirmed.score).toBeLessThan(DEFAULT_RISK_PARAMETERS.levels.enter.warning);
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
