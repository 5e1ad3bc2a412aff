import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CASCADE_CALIBRATION,
  CASCADE_ESTIMATE_NOTE,
  buildLiquidationProfile,
  estimateCascade,
  levelsWithin,
  liquidationLevels,
  profileAssumptions,
  runCascade,
} from '../../src/risk/cascade.js';
import type { CascadeEstimate, CascadeUnavailable, LiquidationProfile } from '../../src/risk/cascade.js';
import { DEFAULT_RISK_PARAMETERS, resolveRiskParameters } from '../../src/risk/parameters.js';
import type { DepthBand, LeverageTier, MarketHistory, Snapshot } from '../../src/domain/market.js';
import { BASE_TIME, HOUR, MINUTE, buildSnapshot, gaussian, history, prng } from './histories.js';

const SEED = 20251010;
const now = BASE_TIME;

function ok(result: CascadeEstimate | CascadeUnavailable): CascadeEstimate {
  if (!result.ok) throw new Error(`unexpected: ${result.reason}`);
  return result;
}

function profileOf(result: LiquidationProfile | CascadeUnavailable): LiquidationProfile {
  if (!result.ok) throw new Error(`unexpected: ${result.reason}`);
  return result;
}

/** A flat book: `usdPerPercent` resting per 1% of distance, on each side, at every recorded band. */
function flatBands(usdPerPercent: number): DepthBand[] {
  return [0.5, 1, 2, 5].map((withinPercent) => ({
    withinPercent,
    bidUsd: usdPerPercent * withinPercent,
    askUsd: usdPerPercent * withinPercent,
  }));
}

/** Two snapshots at a constant price: no open interest, then `coins` opened at `price`. */
function openedAt(price: number, coins: number, usdPerPercent: number, extra: Partial<Snapshot> = {}): MarketHistory {
  const base = { markPrice: price, lastPrice: price, indexPrice: price, longShortAccountRatio: null, ...extra };
  return history([
    buildSnapshot({
      ...base,
      at: now - HOUR,
      openInterestContracts: 0,
      openInterestUsd: 0,
      depthBands: flatBands(usdPerPercent),
    }),
    buildSnapshot({
      ...base,
      at: now,
      openInterestContracts: coins,
      openInterestUsd: coins * price,
      depthBands: flatBands(usdPerPercent),
    }),
  ]);
}

interface MarketSpec {
  seed: number;
  steps: number;
  stepMs: number;
  startCoins: number;
  oiDrift: number;
  volatility: number;
  depthAtHalfPercent: number;
  ratio: number | null;
  withBook: boolean;
}

const marketSpec: fc.Arbitrary<MarketSpec> = fc.record({
  seed: fc.integer(),
  steps: fc.integer({ min: 2, max: 80 }),
  stepMs: fc.constantFrom(30_000, 5 * MINUTE),
  startCoins: fc.double({ min: 0, max: 1e6, noNaN: true }),
  oiDrift: fc.double({ min: -0.05, max: 0.08, noNaN: true }),
  volatility: fc.double({ min: 0, max: 0.02, noNaN: true }),
  depthAtHalfPercent: fc.double({ min: 1e3, max: 1e8, noNaN: true }),
  ratio: fc.option(fc.double({ min: 0.2, max: 5, noNaN: true }), { nil: null }),
  withBook: fc.boolean(),
});

/** A random walk of price and open interest with a random book, as a history ending at `now`. */
function randomMarket(spec: MarketSpec, depthFactor = 1): MarketHistory {
  const random = prng(spec.seed);
  let price = 100;
  let coins = spec.startCoins;
  const snapshots: Snapshot[] = [];
  for (let i = 0; i < spec.steps; i++) {
    const at = now - (spec.steps - 1 - i) * spec.stepMs;
    const shape = [1, 1.8, 3.2, 7].map((m) => m * (0.5 + random()));
    let running = 0;
    const depthBands = [0.5, 1, 2, 5].map((withinPercent, k) => {
      running += (shape[k] as number) * spec.depthAtHalfPercent * depthFactor;
      return { withinPercent, bidUsd: running, askUsd: running * 0.9 };
    });
    snapshots.push(
      buildSnapshot({
        at,
        markPrice: price,
        lastPrice: price,
        indexPrice: price,
        openInterestContracts: coins,
        openInterestUsd: coins * price,
        longShortAccountRatio: spec.ratio,
        depthBands: spec.withBook ? depthBands : null,
        volume24hUsd: spec.depthAtHalfPercent * 100,
      }),
    );
    price *= Math.exp(spec.volatility * gaussian(random));
    coins = Math.max(0, coins * (1 + spec.oiDrift * (random() - 0.3)));
  }
  return history(snapshots);
}

const fcOptions = { seed: SEED, numRuns: 150 };

describe('cascade estimator: properties', () => {
  it('without leveraged positions (open interest 0) nothing is liquidated and the amplification is 1', () => {
    fc.assert(
      fc.property(marketSpec, fc.double({ min: 0.001, max: 0.5, noNaN: true }), fc.boolean(), (spec, shock, up) => {
        const h = randomMarket({ ...spec, startCoins: 0 });
        const e = ok(estimateCascade({ history: h, now, shock, direction: up ? 'up' : 'down' }));
        expect(e.liquidatedUsd).toBe(0);
        expect(e.amplification).toBe(1);
        expect(e.totalMove).toBe(shock);
        expect(e.rounds).toBe(0);
      }),
      fcOptions,
    );
  });

  it('the final move never shrinks as the shock grows', () => {
    fc.assert(
      fc.property(
        marketSpec,
        fc.double({ min: 0, max: 0.4, noNaN: true }),
        fc.double({ min: 0, max: 0.4, noNaN: true }),
        fc.boolean(),
        (spec, a, b, up) => {
          const profile = profileOf(buildLiquidationProfile(randomMarket(spec), now));
          const direction = up ? 'up' : 'down';
          const [small, large] = a <= b ? [a, b] : [b, a];
          const lo = runCascade(profile, small, direction);
          const hi = runCascade(profile, large, direction);
          expect(lo.totalMove).toBeLessThanOrEqual(hi.totalMove);
          expect(lo.liquidatedUsd).toBeLessThanOrEqual(hi.liquidatedUsd);
        },
      ),
      fcOptions,
    );
  });

  it('a deeper book never amplifies more', () => {
    fc.assert(
      fc.property(
        marketSpec,
        fc.double({ min: 1, max: 20, noNaN: true }),
        fc.double({ min: 0.001, max: 0.3, noNaN: true }),
        fc.boolean(),
        (spec, factor, shock, up) => {
          const withBook = { ...spec, withBook: true };
          const direction = up ? 'up' : 'down';
          const thin = ok(estimateCascade({ history: randomMarket(withBook), now, shock, direction }));
          const deep = ok(estimateCascade({ history: randomMarket(withBook, factor), now, shock, direction }));
          expect(deep.amplification).toBeLessThanOrEqual(thin.amplification);
          expect(deep.liquidatedUsd).toBeLessThanOrEqual(thin.liquidatedUsd);
        },
      ),
      fcOptions,
    );
  });

  it('never liquidates more than the open interest', () => {
    fc.assert(
      fc.property(marketSpec, fc.double({ min: 0, max: 0.95, noNaN: true }), fc.boolean(), (spec, shock, up) => {
        const e = ok(estimateCascade({ history: randomMarket(spec), now, shock, direction: up ? 'up' : 'down' }));
        expect(e.liquidatedUsd).toBeLessThanOrEqual(e.inputs.openInterestUsd * (1 + 1e-9));
        expect(e.liquidatedShareOfOi).toBeLessThanOrEqual(1 + 1e-9);
      }),
      fcOptions,
    );
  });

  it('a shock up liquidates only shorts and a shock down only longs', () => {
    fc.assert(
      fc.property(marketSpec, fc.double({ min: 0.001, max: 0.5, noNaN: true }), (spec, shock) => {
        const h = randomMarket(spec);
        const up = ok(estimateCascade({ history: h, now, shock, direction: 'up' }));
        const down = ok(estimateCascade({ history: h, now, shock, direction: 'down' }));
        expect(up.longLiquidatedUsd).toBe(0);
        expect(up.shortLiquidatedUsd).toBe(up.liquidatedUsd);
        expect(up.finalPrice).toBeGreaterThanOrEqual(up.startPrice);
        expect(down.shortLiquidatedUsd).toBe(0);
        expect(down.longLiquidatedUsd).toBe(down.liquidatedUsd);
        expect(down.finalPrice).toBeLessThanOrEqual(down.startPrice);
        // Every liquidation level sits on its own side of the price.
        const profile = profileOf(buildLiquidationProfile(h, now));
        expect(profile.longs.distances.every((d) => d >= 0)).toBe(true);
        expect(profile.shorts.distances.every((d) => d >= 0)).toBe(true);
      }),
      fcOptions,
    );
  });

  it('a walk liquidates exactly the levels within its final move (the realised-move measure)', () => {
    fc.assert(
      fc.property(marketSpec, fc.double({ min: 0, max: 0.6, noNaN: true }), fc.boolean(), (spec, shock, up) => {
        const profile = profileOf(buildLiquidationProfile(randomMarket(spec), now));
        const direction = up ? 'up' : 'down';
        const outcome = runCascade(profile, shock, direction);
        fc.pre(!outcome.roundLimitReached);
        const within = levelsWithin(profile, outcome.totalMove, direction);
        expect(outcome.liquidatedUsd).toBeCloseTo(within, 6);
        // So taking the final move as given liquidates no more than the walk that reached it.
        expect(levelsWithin(profile, shock, direction)).toBeLessThanOrEqual(outcome.liquidatedUsd + 1e-6);
      }),
      fcOptions,
    );
  });

  it('the rounds of the path add up to the total move and the liquidated USD', () => {
    fc.assert(
      fc.property(marketSpec, fc.double({ min: 0.001, max: 0.3, noNaN: true }), (spec, shock) => {
        const e = ok(estimateCascade({ history: randomMarket(spec), now, shock }));
        const impact = e.path.reduce((sum, r) => sum + r.impact, 0);
        const liquidated = e.path.reduce((sum, r) => sum + r.liquidatedUsd, 0);
        expect(shock + impact).toBeCloseTo(e.totalMove, 9);
        expect(liquidated).toBeCloseTo(e.liquidatedUsd, 0);
        expect(e.path.length).toBe(e.rounds);
        expect(e.path.every((r) => r.liquidatedUsd > 0)).toBe(true);
      }),
      fcOptions,
    );
  });

  it('the levels map holds all of each side’s positions, in range or beyond', () => {
    fc.assert(
      fc.property(marketSpec, (spec) => {
        const profile = profileOf(buildLiquidationProfile(randomMarket(spec), now));
        const levels = liquidationLevels(profile);
        expect(levels.bands).toHaveLength(40);
        const longs = levels.bands.reduce((sum, b) => sum + b.longUsd, 0);
        const shorts = levels.bands.reduce((sum, b) => sum + b.shortUsd, 0);
        expect(longs + levels.longUsdBeyond).toBeCloseTo(profile.longs.totalUsd, 0);
        expect(shorts + levels.shortUsdBeyond).toBeCloseTo(profile.shorts.totalUsd, 0);
        // Longs sit below the price, shorts above.
        for (const band of levels.bands) {
          if (band.longUsd > 0) expect(band.toChange).toBeLessThanOrEqual(1e-12);
          if (band.shortUsd > 0) expect(band.fromChange).toBeGreaterThanOrEqual(-1e-12);
        }
      }),
      fcOptions,
    );
  });
});

/** The heatmap tool's leverage mix (venues.md), which these tests' numbers were worked out with. */
function heatmapMix() {
  return resolveRiskParameters({
    cascade: {
      leverageBuckets: [
        { leverage: 5, weight: 0.15 },
        { leverage: 10, weight: 0.3 },
        { leverage: 25, weight: 0.25 },
        { leverage: 50, weight: 0.2 },
        { leverage: 100, weight: 0.1 },
      ],
      hedgedShare: 0,
    },
  });
}

describe('cascade estimator: a single leverage bucket on a flat book', () => {
  // Derivation. Every position was opened at the current price P (open interest went from 0 to Q coins while
  // the price stood still), all at leverage L with maintenance margin rate m and no fee, so every long is
  // liquidated at P (1 - d) with d = max(1/L - m, minLiquidationDistance), i.e. once the move reaches d.
  // The long side holds U = 0.5 x (1 - h) x Q x P (no long/short ratio: 50/50; h the hedged share), valued at P.
  // The book is flat: c USD per 1% of distance on each side, so selling X USD moves the price by X / (100 c) while
  // X <= 5c (the depth within 5%). Beyond it, with the day's volume V known, the square-root law in its volume form
  // adds Y x sigma x sqrt((X - 5c) / V) to 5% (Y and sigma from the parameters); without a volume, the law anchored
  // on the book gives 5% x sqrt(X / 5c). Both are continuous at 5%.
  // A shock s < d liquidates nothing: the move is s, amplification 1, no round.
  // A shock s >= d liquidates all of U in round 1; the move becomes s + I(U). Round 2 finds nothing new (all
  // levels are gone), so the walk stops after one round: move = min(s + I(U), maxMove), amplification move / s.
  const VOLUME_USD = 1e10;
  const closedForm = (s: number, d: number, u: number, c: number, maxMove: number, yTimesSigma: number) => {
    if (s < d) return { move: s, liquidated: 0, rounds: 0 };
    const impact = u <= 5 * c ? u / (100 * c) : 0.05 + yTimesSigma * Math.sqrt((u - 5 * c) / VOLUME_USD);
    return { move: Math.min(s + impact, maxMove), liquidated: u, rounds: 1 };
  };

  it('matches the closed form', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 125 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.double({ min: 1e3, max: 1e9, noNaN: true }),
        fc.double({ min: 0.0005, max: 0.6, noNaN: true }),
        (leverage, mmrShare, price, coins, c, shock) => {
          const mmr = (mmrShare * 1) / leverage;
          const params = resolveRiskParameters({ cascade: { leverageBuckets: [{ leverage, weight: 1 }] } });
          const d = Math.max(1 / leverage - mmr, params.cascade.minLiquidationDistance);
          fc.pre(Math.abs(shock - d) > 1e-9);
          const e = ok(
            estimateCascade(
              {
                history: openedAt(price, coins, c, { volume24hUsd: VOLUME_USD }),
                now,
                shock,
                marginTiers: [{ maxNotionalUsd: 1e15, maintenanceMarginRate: mmr }],
              },
              params,
            ),
          );
          const yTimesSigma = params.cascade.impactCoefficient * params.cascade.impactDailyVolatility;
          const u = 0.5 * (1 - params.cascade.hedgedShare) * coins * price;
          const expected = closedForm(shock, d, u, c, params.cascade.maxMove, yTimesSigma);
          expect(e.totalMove).toBeCloseTo(expected.move, 9);
          expect(e.liquidatedUsd / (coins * price)).toBeCloseTo(expected.liquidated / (coins * price), 9);
          expect(e.rounds).toBe(expected.rounds);
          expect(e.amplification).toBeCloseTo(expected.move / shock, 6);
        },
      ),
      fcOptions,
    );
  });

  it('works the example through: 10x longs of $50M against $2M per 1% of book, hit by a 10% drop', () => {
    // No volume known, so beyond the book the law anchored on it applies; no hedged share.
    // d = 1/10 - 0.5% = 9.5%; U = $50M > 5c = $10M, so impact = 5% x sqrt(50/10) = 11.18%.
    const tenX = resolveRiskParameters({ cascade: { leverageBuckets: [{ leverage: 10, weight: 1 }], hedgedShare: 0 } });
    const e = ok(
      estimateCascade({ history: openedAt(100, 1_000_000, 2_000_000, { volume24hUsd: null }), now, shock: 0.1 }, tenX),
    );
    expect(e.liquidatedUsd).toBeCloseTo(50_000_000, 0);
    expect(e.totalMove).toBeCloseTo(0.1 + 0.05 * Math.sqrt(5), 12);
    expect(e.finalPrice).toBeCloseTo(100 * (1 - 0.1 - 0.05 * Math.sqrt(5)), 9);
    expect(e.amplification).toBeCloseTo(2.118, 3);
    expect(e.path).toEqual([
      expect.objectContaining({ round: 1, priceBefore: 90, liquidatedUsd: expect.closeTo(50_000_000, 0) }),
    ]);
    // The levels map puts the whole long side in the one band holding -9.5% (its edge, up to rounding).
    const bands = e.levels.bands.filter((b) => b.longUsd > 0);
    expect(bands).toHaveLength(1);
    expect(bands[0]?.fromChange).toBeLessThanOrEqual(-0.095 + 1e-9);
    expect(bands[0]?.toChange).toBeGreaterThanOrEqual(-0.095 - 1e-9);
    expect(bands[0]?.longUsd).toBeCloseTo(50_000_000, 0);
    // The same shock 1% short of the level does nothing.
    const miss = ok(
      estimateCascade({ history: openedAt(100, 1_000_000, 2_000_000, { volume24hUsd: null }), now, shock: 0.09 }, tenX),
    );
    expect(miss.amplification).toBe(1);
    expect(miss.liquidatedUsd).toBe(0);
  });
});

describe('cascade estimator: inputs and assumptions', () => {
  it('always says it is an estimate', () => {
    const e = ok(estimateCascade({ history: openedAt(100, 1000, 1e6), now }));
    expect(e.estimate).toBe(true);
    expect(e.assumptions[0]).toMatch(/estimate/i);
    expect(e.assumptions[0]).toContain(CASCADE_CALIBRATION);
    expect(e.assumptions.join(' ')).toMatch(
      /order book recorded at 2025-10-10T20:00:00.000Z \(depth within 0.5%\/1%\/2%\/5%/,
    );
    expect(e.shock).toBe(0.05);
    expect(e.direction).toBe('down');
  });

  it('splits long and short by the long/short account ratio, else 50/50', () => {
    const even = profileOf(buildLiquidationProfile(openedAt(100, 1000, 1e6), now));
    expect(even.longShare).toBe(0.5);
    expect(profileAssumptions(even).join(' ')).toMatch(/50\/50/);
    const skewed = profileOf(buildLiquidationProfile(openedAt(100, 1000, 1e6, { longShortAccountRatio: 3 }), now));
    expect(skewed.longShare).toBeCloseTo(0.75, 12);
    const leveraged = 1 - DEFAULT_RISK_PARAMETERS.cascade.hedgedShare;
    expect(skewed.longs.totalUsd).toBeCloseTo(75_000 * leveraged, 6);
    expect(skewed.shorts.totalUsd).toBeCloseTo(25_000 * leveraged, 6);
  });

  it('holds the hedged share of each side out of the levels, and says so', () => {
    const h = openedAt(100, 1000, 1e6, { longShortAccountRatio: 3 });
    const unhedged = resolveRiskParameters({ cascade: { hedgedShare: 0 } });
    const none = profileOf(buildLiquidationProfile(h, now, {}, unhedged));
    const half = resolveRiskParameters({ cascade: { hedgedShare: 0.5 } });
    const hedged = profileOf(buildLiquidationProfile(h, now, {}, half));
    expect(none.longs.totalUsd).toBeCloseTo(75_000, 6);
    expect(hedged.longs.totalUsd).toBeCloseTo(37_500, 6);
    expect(hedged.shorts.totalUsd).toBeCloseTo(12_500, 6);
    // The same levels, each holding half the USD: a move liquidates half as much.
    expect([...hedged.longs.distances]).toEqual([...none.longs.distances]);
    for (let i = 0; i < none.longs.cumulativeUsd.length; i++) {
      expect(hedged.longs.cumulativeUsd[i]).toBeCloseTo((none.longs.cumulativeUsd[i] as number) / 2, 6);
    }
    expect(profileAssumptions(hedged, half).join(' ')).toMatch(/50% of each side is taken as hedged/);
    expect(profileAssumptions(none, unhedged).join(' ')).not.toMatch(/hedged/);
    expect(() => resolveRiskParameters({ cascade: { hedgedShare: 1 } })).toThrow();
  });

  it('uses the venue’s tier for a representative position, and folds leverage the tier does not allow', () => {
    const params = heatmapMix();
    const tiers: LeverageTier[] = [
      { tier: 1, unit: 'usd', floor: 0, cap: 50_000, maintenanceMarginRate: 0.01, maxLeverage: 20 },
      { tier: 2, unit: 'usd', floor: 50_000, cap: null, maintenanceMarginRate: 0.025, maxLeverage: 10 },
    ];
    const profile = profileOf(buildLiquidationProfile(openedAt(100, 1000, 1e6), now, { marginTiers: tiers }, params));
    expect(profile.maintenanceMarginRate).toBe(0.01);
    expect(profile.maintenanceMarginSource).toBe('venue tiers');
    expect(profile.leverageBuckets).toEqual([
      { leverage: 5, weight: 0.15 },
      { leverage: 10, weight: 0.3 },
      { leverage: 20, weight: expect.closeTo(0.55, 12) },
    ]);
    // The nearest long level: 20x at 1/20 - 1% = 4% below the price.
    expect(profile.longs.distances[0]).toBeCloseTo(0.04, 12);
    // OKX-style tiers in coins are valued at the price: 50 coins x $100 = $5k, below $10k, so tier 2 applies.
    const coinTiers: LeverageTier[] = [
      { tier: 1, unit: 'base', floor: 0, cap: 50, maintenanceMarginRate: 0.004, maxLeverage: 100 },
      { tier: 2, unit: 'base', floor: 50, cap: 500, maintenanceMarginRate: 0.006, maxLeverage: 75 },
    ];
    const okx = profileOf(buildLiquidationProfile(openedAt(100, 1000, 1e6), now, { marginTiers: coinTiers }, params));
    expect(okx.maintenanceMarginRate).toBe(0.006);
  });

  it('without a recorded book, estimates depth from 24 h volume and says so', () => {
    const h = openedAt(100, 1_000_000, 1, { volume24hUsd: 500_000_000 });
    const noBook = history(h.snapshots.map((s) => ({ ...s, depthBands: null })));
    const e = ok(estimateCascade({ history: noBook, now, shock: 0.02 }));
    expect(e.inputs.depthSource).toBe('volume');
    // 2% of $500M within 5%.
    expect(e.inputs.absorbingDepthUsd).toBeCloseTo(10_000_000, 0);
    expect(e.assumptions.join(' ')).toMatch(/No order book recorded/);
  });

  it('without a book or a volume, falls back to open interest and calls it a rough guess', () => {
    const h = openedAt(100, 1_000_000, 1, { volume24hUsd: null });
    const bare = history(h.snapshots.map((s) => ({ ...s, depthBands: null })));
    const e = ok(estimateCascade({ history: bare, now }));
    expect(e.inputs.depthSource).toBe('open interest');
    expect(e.assumptions.join(' ')).toMatch(/rough guess/);
  });

  it('cannot estimate without a recent price or open interest, and says why', () => {
    const stale = history([buildSnapshot({ at: now - HOUR })]);
    const result = estimateCascade({ history: stale, now });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/no price/);
    const noOi = history([buildSnapshot({ at: now, openInterestUsd: null })]);
    const second = estimateCascade({ history: noOi, now });
    expect(second.ok === false && second.reason).toMatch(/open interest/);
  });

  it('removes levels the price already crossed since their entry', () => {
    // Positions opened at 100; the price then fell to 94 and came back to 100: the 25x, 50x and 100x longs
    // (liquidated 3.5%, 1.5%, 0.5% below 100) are gone, while the 5x and 10x longs survive.
    const opened = {
      markPrice: 100,
      lastPrice: 100,
      indexPrice: 100,
      longShortAccountRatio: null,
      depthBands: flatBands(1e6),
    };
    const h = history([
      buildSnapshot({ ...opened, at: now - 2 * HOUR, openInterestContracts: 0, openInterestUsd: 0 }),
      buildSnapshot({ ...opened, at: now - HOUR, openInterestContracts: 1000, openInterestUsd: 100_000 }),
      buildSnapshot({
        ...opened,
        at: now - 30 * MINUTE,
        markPrice: 94,
        lastPrice: 94,
        openInterestContracts: 1000,
        openInterestUsd: 94_000,
      }),
      buildSnapshot({ ...opened, at: now, openInterestContracts: 1000, openInterestUsd: 100_000 }),
    ]);
    const profile = profileOf(buildLiquidationProfile(h, now, {}, heatmapMix()));
    expect([...profile.longs.distances].map((d) => Math.round(d * 1000) / 1000)).toEqual([0.095, 0.195]);
    // The survivors carry the whole long side (scaled to the current open interest).
    expect(profile.longs.totalUsd).toBeCloseTo(50_000, 6);
    expect(profile.shorts.distances).toHaveLength(5);
  });

  it('uses a given snapshot as the current state, newer than the history', () => {
    const h = openedAt(100, 1000, 1e6);
    const snapshot = buildSnapshot({ ...h.snapshots[1], at: now + MINUTE, markPrice: 101, lastPrice: 101 });
    const e = ok(estimateCascade({ history: h, now: now + MINUTE, snapshot, shock: 0.01 }));
    expect(e.startPrice).toBe(101);
    expect(e.at).toBe(now + MINUTE);
  });

  it('stops at the round limit and says so', () => {
    const params = resolveRiskParameters({ cascade: { maxRounds: 1 } });
    const spec: MarketSpec = {
      seed: 7,
      steps: 60,
      stepMs: 5 * MINUTE,
      startCoins: 1e6,
      oiDrift: 0.05,
      volatility: 0.004,
      depthAtHalfPercent: 1e4,
      ratio: null,
      withBook: true,
    };
    const e = ok(estimateCascade({ history: randomMarket(spec), now, shock: 0.05 }, params));
    expect(e.rounds).toBe(1);
    expect(e.roundLimitReached).toBe(true);
    expect(e.assumptions.join(' ')).toMatch(/round limit/);
    const unlimited = ok(estimateCascade({ history: randomMarket(spec), now, shock: 0.05 }));
    expect(unlimited.rounds).toBeGreaterThan(1);
    expect(unlimited.totalMove).toBeGreaterThan(e.totalMove);
  });

  it('keeps the default parameters valid', () => {
    expect(DEFAULT_RISK_PARAMETERS.cascade.leverageBuckets.reduce((s, b) => s + b.weight, 0)).toBeCloseTo(1, 12);
  });

  it('has a short calibration note for one-line figures', () => {
    expect(CASCADE_ESTIMATE_NOTE).toBe('(estimate, calibrated on 2025-10-10 and 2021-05-19)');
  });
});
