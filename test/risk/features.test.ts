import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, computeFeatures, emptyFeatureValues } from '../../src/risk/features.js';
import {
  BASE_TIME,
  HOUR,
  MINUTE,
  buildDepthBands,
  buildLiquidationBucket,
  buildSnapshot,
  history,
} from './histories.js';
import type { LiquidationBucket, Snapshot } from '../../src/domain/market.js';

const now = BASE_TIME;

/** Snapshots every `stepMs` over `spanMs` up to `now`, built by `at`. */
function series(spanMs: number, stepMs: number, build: (at: number, i: number) => Partial<Snapshot>): Snapshot[] {
  const out: Snapshot[] = [];
  for (let at = now - spanMs, i = 0; at <= now; at += stepMs, i++) out.push(buildSnapshot({ at, ...build(at, i) }));
  return out;
}

/** Price and open interest (coins) given per snapshot; USD is coins x price, as venues report it. */
function market(at: number, price: number, coins: number): Partial<Snapshot> {
  return {
    markPrice: price,
    lastPrice: price,
    indexPrice: price,
    openInterestContracts: coins,
    openInterestUsd: coins * price,
  };
}

describe('open interest features', () => {
  it('measures an open-interest rise of 18% over 4 h while the price is flat', () => {
    const snaps = series(5 * HOUR, 5 * MINUTE, (at) => {
      const hoursAgo = (now - at) / HOUR;
      const coins = hoursAgo >= 4 ? 1000 : 1000 + 180 * ((4 - hoursAgo) / 4);
      return market(at, 100, coins);
    });
    const f = computeFeatures(history(snaps), now);
    expect(f.oiChange4h).toBeCloseTo(0.18, 10);
    expect(f.oiChange1h).toBeCloseTo(1180 / 1135 - 1, 10);
    expect(f.oiChange24h).toBeNull(); // the history is 5 h long
    expect(f.priceChange4h).toBeCloseTo(0, 10);
    expect(f.missing).toContain('oiChange24h');
  });

  it('counts open interest in coins, so a price rise alone is no change', () => {
    const snaps = series(2 * HOUR, 5 * MINUTE, (at) => market(at, 100 * (1 + (now - at === 0 ? 0.1 : 0)), 500));
    const f = computeFeatures(history(snaps), now);
    expect(f.priceChange1h).toBeCloseTo(0.1, 10);
    expect(f.oiChange1h).toBeCloseTo(0, 10);
  });

  it('falls back to contracts when the USD figure is missing at either end', () => {
    const snaps = series(2 * HOUR, 5 * MINUTE, (at) => ({
      ...market(at, 100, now - at > 30 * MINUTE ? 400 : 440),
      openInterestUsd: null,
    }));
    const f = computeFeatures(history(snaps), now);
    expect(f.oiChange1h).toBeCloseTo(0.1, 10);
    expect(f.openInterestUsd).toBeNull();
    expect(f.oiToVolume24h).toBeNull();
  });

  it('relates open interest to 24 h volume and to the depth within 2%', () => {
    const snaps = series(HOUR, 5 * MINUTE, (at) => ({
      ...market(at, 100, 1_000_000),
      volume24hUsd: 50_000_000,
      depthBands: buildDepthBands(100_000, 150_000),
    }));
    const f = computeFeatures(history(snaps), now);
    expect(f.openInterestUsd).toBe(100_000_000);
    expect(f.oiToVolume24h).toBeCloseTo(2, 10);
    // buildDepthBands: within 2% = 4 x the half-percent figure per side: 400k + 600k.
    expect(f.oiToDepth).toBeCloseTo(100, 10);
  });
});

describe('funding features', () => {
  it('annualizes by the market’s own interval, so a 1 h venue and an 8 h venue compare', () => {
    const hourly = computeFeatures(
      history(
        series(HOUR, 5 * MINUTE, () => ({
          fundingRate: 0.0000125,
          fundingIntervalHours: 1,
          fundingRateAnnualized: null,
        })),
      ),
      now,
    );
    const eightHourly = computeFeatures(
      history(
        series(HOUR, 5 * MINUTE, () => ({ fundingRate: 0.0001, fundingIntervalHours: 8, fundingRateAnnualized: null })),
      ),
      now,
    );
    expect(hourly.fundingAnnualized).toBeCloseTo(0.1095, 10);
    expect(eightHourly.fundingAnnualized).toBeCloseTo(0.1095, 10);
    expect(hourly.fundingRatePerHour).toBeCloseTo(eightHourly.fundingRatePerHour ?? Number.NaN, 12);
  });

  it('scores funding against its own history: a jump after a steady day is several standard deviations', () => {
    const snaps = series(24 * HOUR, 5 * MINUTE, (at, i) => ({
      fundingRate: now - at < 30 * MINUTE ? 0.0005 : 0.0001 + (i % 2 === 0 ? 0.00002 : -0.00002),
      fundingIntervalHours: 8,
      fundingRateAnnualized: null,
    }));
    const f = computeFeatures(history(snaps), now);
    expect(f.fundingAnnualized).toBeCloseTo(0.0005 * 3 * 365, 10);
    expect(f.fundingZScore).toBeGreaterThan(3);
  });

  it('gives no z-score over too short a history, and 0 for a flat one', () => {
    const short = computeFeatures(history(series(2 * HOUR, 5 * MINUTE, () => ({}))), now);
    expect(short.fundingZScore).toBeNull();
    const flat = computeFeatures(history(series(12 * HOUR, 5 * MINUTE, () => ({}))), now);
    expect(flat.fundingZScore).toBeCloseTo(0, 10);
  });

  it('reads the basis as mark over index', () => {
    const f = computeFeatures(history([buildSnapshot({ at: now, markPrice: 100.62, indexPrice: 100 })]), now);
    expect(f.basis).toBeCloseTo(0.0062, 10);
  });
});

describe('liquidation features', () => {
  function buckets(perMinute: (minuteAt: number) => number, side: 'long' | 'short' = 'long'): LiquidationBucket[] {
    const out: LiquidationBucket[] = [];
    for (let minuteAt = now - 24 * HOUR + MINUTE; minuteAt <= now; minuteAt += MINUTE) {
      const sizeUsd = perMinute(minuteAt);
      if (sizeUsd > 0) out.push(buildLiquidationBucket({ minuteAt, side, sizeUsd }));
    }
    return out;
  }
  const day = series(24 * HOUR, 5 * MINUTE, (at) => market(at, 100, 1_000_000)); // OI $100M

  it('measures a surge against the market’s own baseline: $4.2M in 5 min against $10k a minute is 84×', () => {
    const h = history(
      day,
      buckets((m) => (m > now - 5 * MINUTE ? 840_000 : 10_000)),
    );
    const f = computeFeatures(h, now);
    expect(f.liqUsd5m).toBe(4_200_000);
    expect(f.liqLongsUsd5m).toBe(4_200_000);
    expect(f.liqShortsUsd5m).toBe(0);
    expect(f.liqBaselineUsdPerMinute).toBeCloseTo(10_000, 6);
    expect(f.liqSurge5m).toBeCloseTo(84, 6);
    // 15 min: 5 minutes at 840k and 10 at 10k.
    expect(f.liqSurge15m).toBeCloseTo((5 * 840_000 + 10 * 10_000) / 15 / 10_000, 6);
  });

  it('cuts a lone print to the trickle around it, and keeps a cascade whose minutes grow', () => {
    // $30M in one minute against $10k a minute around it.
    const print = computeFeatures(
      history(
        day,
        buckets((m) => (m === now - 2 * MINUTE ? 30_000_000 : 10_000)),
      ),
      now,
    );
    expect(print.liqSurge5m).toBeGreaterThan(500);
    expect(print.liqSustainedSurge5m).toBeCloseTo(1, 6);
    // A cascade's first minutes: 200k, 400k, 800k; the largest counts as the second largest.
    const steps = new Map([
      [now - 2 * MINUTE, 200_000],
      [now - MINUTE, 400_000],
      [now, 800_000],
    ]);
    const cascade = computeFeatures(
      history(
        day,
        buckets((m) => steps.get(m) ?? 10_000),
      ),
      now,
    );
    expect(cascade.liqSustainedSurge5m).toBeCloseTo((2 * 10_000 + 200_000 + 400_000 + 400_000) / 5 / 10_000, 6);
  });

  it('compares a sampled feed with itself: a feed showing a tenth of everything shows the same surge', () => {
    const full = computeFeatures(
      history(
        day,
        buckets((m) => (m > now - 5 * MINUTE ? 900_000 : 30_000)),
      ),
      now,
    );
    const sampled = computeFeatures(
      history(
        day,
        buckets((m) => (m > now - 5 * MINUTE ? 90_000 : 3_000)),
      ),
      now,
      {
        liquidationCoverage: 'sampled',
      },
    );
    expect(sampled.liqSurge5m).toBeCloseTo(full.liqSurge5m ?? Number.NaN, 6);
  });

  it('floors the baseline at a share of open interest, so a market that rarely liquidates shows no huge surges', () => {
    const f = computeFeatures(
      history(
        day,
        buckets((m) => (m === now ? 5_000 : 0)),
      ),
      now,
    );
    // Floor: max($500, 0.0005% x $100M = $500) per minute; $5k over 5 min = $1k a minute = 2×.
    expect(f.liqBaselineUsdPerMinute).toBeCloseTo(500, 6);
    expect(f.liqSurge5m).toBeCloseTo(2, 6);
  });

  it('gives nulls for a venue that does not stream liquidations, and for a silent feed of unknown coverage', () => {
    expect(
      computeFeatures(
        history(
          day,
          buckets(() => 1000),
        ),
        now,
        { liquidationCoverage: 'not streamed' },
      ).liqUsd5m,
    ).toBeNull();
    const silent = computeFeatures(history(day), now);
    expect(silent.liqUsd5m).toBeNull();
    expect(silent.liqSurge5m).toBeNull();
    expect(silent.missing).toContain('liqSurge5m');
  });

  it('counts a silent feed as zero liquidations when the venue says it streams', () => {
    const f = computeFeatures(history(day), now, { liquidationCoverage: 'all' });
    expect(f.liqUsd5m).toBe(0);
    expect(f.liqSurge5m).toBe(0);
  });

  it('needs open interest for a surge (its floor), and measures against the floor alone before two hours of baseline', () => {
    const noOi = day.map((s) => ({ ...s, openInterestUsd: null }));
    const f = computeFeatures(
      history(
        noOi,
        buckets(() => 1000),
      ),
      now,
    );
    expect(f.liqUsd5m).toBe(5000);
    expect(f.liqSurge5m).toBeNull();
    const short = computeFeatures(
      history(
        day.slice(-12),
        buckets(() => 1000),
      ),
      now,
    );
    // Twelve snapshots are too short a history for a baseline of the market's own: the floor stands in for it.
    const floor = Math.max(500, 0.000005 * (short.openInterestUsd ?? Number.NaN));
    expect(short.liqBaselineUsdPerMinute).toBeCloseTo(floor, 6);
    expect(short.liqSurge5m).toBeCloseTo(1000 / floor, 9);
  });
});

describe('price, volatility and depth features', () => {
  it('measures price changes and realized volatility, with a calm day as the norm', () => {
    // A calm day of ±0.1% zigzags every 5 min, then an hour of ±1% zigzags: ten times the volatility.
    const snaps = series(24 * HOUR, 30_000, (at, i) => {
      const amplitude = now - at <= HOUR ? 0.01 : 0.001;
      const zig = Math.floor(i / 10) % 2 === 0 ? 1 : -1;
      return market(at, 100 * (1 + amplitude * zig), 1000);
    });
    const f = computeFeatures(history(snaps), now);
    expect(f.volatilityRatio1h).toBeGreaterThan(5);
    expect(f.realizedVol1h).toBeGreaterThan(0.05);
    expect(f.realizedVol5m).not.toBeNull();
    expect(f.priceChange24h).not.toBeNull();
  });

  it('measures depth thinning as the thinner side against its own median', () => {
    const snaps = series(6 * HOUR, MINUTE, (at) => ({
      depthBands: at === now ? buildDepthBands(800_000, 1_800_000) : buildDepthBands(2_000_000, 1_800_000),
    }));
    const f = computeFeatures(history(snaps), now);
    expect(f.depthThinning).toBeCloseTo(0.4, 10);
    expect(f.depthThinningSide).toBe('bid');
    expect(f.depthUsd).toBeCloseTo(2 * (800_000 + 1_800_000), 6);
  });
});

describe('missing and stale inputs', () => {
  it('gives nulls, never zeros, when the latest values are older than the freshness limit', () => {
    const snaps = series(3 * HOUR, 5 * MINUTE, (at) => market(at, 100, 1000)).filter((s) => s.at <= now - 20 * MINUTE);
    const f = computeFeatures(history(snaps), now);
    expect(f.price).toBeNull();
    expect(f.openInterestUsd).toBeNull();
    expect(f.fundingAnnualized).toBeNull();
    expect(f.oiChange1h).toBeNull();
    expect(f.snapshotAt).toBe(now - 20 * MINUTE);
  });

  it('keeps the last value of a field polled less often than the others', () => {
    const snaps = series(HOUR, 30_000, (at) => ({
      openInterestUsd: (now - at) % (5 * MINUTE) === 0 ? 1e8 : null,
      openInterestContracts: null,
      longShortAccountRatio: at === now - 40 * MINUTE ? 2.5 : null,
    }));
    const f = computeFeatures(history(snaps.slice(0, -1)), now);
    expect(f.openInterestUsd).toBe(1e8);
    expect(f.longShortAccountRatio).toBe(2.5);
  });

  it('ignores snapshots after `now`', () => {
    const snaps = [buildSnapshot({ at: now, markPrice: 100 }), buildSnapshot({ at: now + MINUTE, markPrice: 200 })];
    expect(computeFeatures(history(snaps), now).price).toBe(100);
  });

  it('gives every feature as null for an empty history', () => {
    const f = computeFeatures(history([]), now);
    expect(f.missing.length).toBeGreaterThan(30);
    expect(f.snapshotAt).toBeNull();
  });

  it('lists the features in FEATURE_NAMES order, between the market it describes and the notes on them', () => {
    const f = computeFeatures(history([buildSnapshot({ at: now, markPrice: 100 })]), now);
    expect(Object.keys(f)).toEqual([
      'market',
      'exchange',
      'symbol',
      'at',
      'snapshotAt',
      ...FEATURE_NAMES,
      'depthThinningSide',
      'liquidationCoverage',
      'missing',
    ]);
    expect(Object.keys(emptyFeatureValues())).toEqual([...FEATURE_NAMES]);
    expect(Object.values(emptyFeatureValues()).every((value) => value === null)).toBe(true);
  });
});
