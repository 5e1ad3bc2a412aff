import { describe, expect, it } from 'vitest';
import { CASCADE_CALIBRATION, buildLiquidationProfile, estimateCascade, runCascade } from '../../src/risk/cascade.js';
import type { LiquidationProfile } from '../../src/risk/cascade.js';
import { DEFAULT_STRESS_SHOCKS, realisedMoveLiquidation, stressGrid } from '../../src/risk/stressGrid.js';
import type { MarketHistory, Snapshot } from '../../src/domain/market.js';
import { BASE_TIME, MINUTE, buildSnapshot, gaussian, history, prng } from './histories.js';

const now = BASE_TIME;

function randomMarket(seed: number): MarketHistory {
  const random = prng(seed);
  let price = 10 + 1000 * random();
  let coins = 1e4 + 1e6 * random();
  const symbol = `C${seed}/USDT:USDT`;
  const snapshots: Snapshot[] = [];
  for (let i = 0; i < 120; i++) {
    snapshots.push(
      buildSnapshot({
        symbol,
        at: now - (119 - i) * 5 * MINUTE,
        markPrice: price,
        lastPrice: price,
        indexPrice: price,
        openInterestContracts: coins,
        openInterestUsd: coins * price,
        longShortAccountRatio: 0.5 + 2 * random(),
      }),
    );
    price *= Math.exp(0.004 * gaussian(random));
    coins *= 1 + 0.01 * (random() - 0.4);
  }
  return history(snapshots);
}

describe('stress grid', () => {
  const histories = Array.from({ length: 25 }, (_, i) => randomMarket(i + 1));
  const profiles = histories.map((h) => buildLiquidationProfile(h, now)).filter((p): p is LiquidationProfile => p.ok);

  it('has twenty default shocks, ten each way', () => {
    expect(DEFAULT_STRESS_SHOCKS).toHaveLength(20);
    expect(DEFAULT_STRESS_SHOCKS.filter((s) => s.direction === 'up')).toHaveLength(10);
  });

  it('sums per shock what each market’s own cascade estimate gives', () => {
    const grid = stressGrid(profiles);
    expect(grid.estimate).toBe(true);
    expect(grid.markets).toBe(25);
    for (const row of grid.rows) {
      const estimates = histories.map((h) =>
        estimateCascade({ history: h, now, shock: row.shock, direction: row.direction }),
      );
      const total = estimates.reduce((sum, e) => sum + (e.ok ? e.liquidatedUsd : 0), 0);
      expect(row.liquidatedUsd).toBeCloseTo(total, 0);
      expect(row.marketsWithLiquidations).toBe(estimates.filter((e) => e.ok && e.liquidatedUsd > 0).length);
    }
  });

  it('names the worst markets, most liquidated first, and grows with the shock', () => {
    const grid = stressGrid(profiles);
    for (const row of grid.rows) {
      expect(row.worst.length).toBeLessThanOrEqual(5);
      for (let i = 1; i < row.worst.length; i++) {
        expect(row.worst[i - 1]?.liquidatedUsd).toBeGreaterThanOrEqual(row.worst[i]?.liquidatedUsd ?? 0);
      }
    }
    const down = grid.rows.filter((r) => r.direction === 'down');
    for (let i = 1; i < down.length; i++) {
      expect(down[i]?.liquidatedUsd).toBeGreaterThanOrEqual(down[i - 1]?.liquidatedUsd ?? 0);
    }
    expect(down[down.length - 1]?.liquidatedUsd).toBeGreaterThan(0);
  });

  it('says how the per-market estimates were calibrated', () => {
    expect(stressGrid(profiles).assumptions.join(' ')).toContain(CASCADE_CALIBRATION);
  });
});

describe('liquidations of a realised move', () => {
  const histories = Array.from({ length: 12 }, (_, i) => randomMarket(100 + i));
  const profiles = histories.map((h) => buildLiquidationProfile(h, now)).filter((p): p is LiquidationProfile => p.ok);

  it('takes the levels within each market’s move: what a walk liquidates when its total move is that move', () => {
    const moves = new Map(profiles.map((p, i) => [p.market, 0.02 + 0.03 * i]));
    const result = realisedMoveLiquidation(profiles, (p) => ({ move: moves.get(p.market) ?? 0, direction: 'down' }));
    expect(result.estimate).toBe(true);
    expect(result.markets).toHaveLength(profiles.length);
    let total = 0;
    for (const profile of profiles) {
      const move = moves.get(profile.market) ?? 0;
      const market = result.markets.find((m) => m.market === profile.market);
      // No amplification on top: the realised move as the shock would walk further and liquidate more.
      const walked = runCascade(profile, move, 'down');
      expect(market?.liquidatedUsd).toBeLessThanOrEqual(walked.liquidatedUsd + 1e-6);
      // The shock that makes the walk end at the move liquidates the same: a walk from the move itself with no
      // book impact (an infinitely deep book) is that walk.
      const deep: LiquidationProfile = {
        ...profile,
        bids: { distances: [1], cumulativeUsd: [Number.MAX_VALUE], exponent: 0.5 },
      };
      expect(market?.liquidatedUsd).toBeCloseTo(runCascade(deep, move, 'down').liquidatedUsd, 6);
      total += market?.liquidatedUsd ?? 0;
    }
    expect(result.liquidatedUsd).toBeCloseTo(total, 6);
    const oi = profiles.reduce((sum, p) => sum + p.openInterestUsd, 0);
    expect(result.openInterestUsd).toBeCloseTo(oi, 0);
    expect(result.shareOfOi).toBeCloseTo(total / oi, 12);
  });

  it('leaves out markets without a move, and a move up liquidates only shorts', () => {
    const [first, ...rest] = profiles;
    if (first === undefined) throw new Error('expected profiles');
    const up = realisedMoveLiquidation(profiles, (p) => (p === first ? { move: 0.1, direction: 'up' } : null));
    expect(up.markets).toHaveLength(1);
    expect(up.openInterestUsd).toBe(first.openInterestUsd);
    const deep: LiquidationProfile = {
      ...first,
      asks: { distances: [1], cumulativeUsd: [Number.MAX_VALUE], exponent: 0.5 },
    };
    expect(up.liquidatedUsd).toBeCloseTo(runCascade(deep, 0.1, 'up').liquidatedUsd, 6);
    expect(up.liquidatedUsd).toBeGreaterThan(0);
    expect(up.liquidatedUsd).toBeLessThanOrEqual(first.shorts.totalUsd);
    expect(realisedMoveLiquidation(rest, () => null)).toMatchObject({ openInterestUsd: 0, shareOfOi: 0, markets: [] });
  });
});
