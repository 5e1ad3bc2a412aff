import { describe, expect, it } from 'vitest';
import { buildLiquidationProfile, estimateCascade } from '../../src/risk/cascade.js';
import type { LiquidationProfile } from '../../src/risk/cascade.js';
import { DEFAULT_STRESS_SHOCKS, stressGrid } from '../../src/risk/stressGrid.js';
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
});
