// Builders of market histories for the risk engine's tests, on top of test/builders.ts: a history from lists, the
// store's two resolutions (24 h at 5 min, the last 2 h at 30 s), and a "world" (functions of time) sampled at them.
import { buildDepthBands, buildLiquidationBucket, buildSnapshot, HOUR, MINUTE } from '../builders.js';
import type { LiquidationBucket, MarketHistory, Snapshot } from '../../src/domain/market.js';

export { BASE_TIME, HOUR, MINUTE, buildSnapshot, buildLiquidationBucket, buildDepthBands } from '../builders.js';

/** A deterministic PRNG (mulberry32) for synthetic series; fast-check drives the seeds. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw from a uniform PRNG (Box-Muller). */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function history(
  snapshots: readonly Snapshot[],
  liquidationBuckets: readonly LiquidationBucket[] = [],
): MarketHistory {
  const first = snapshots[0];
  return {
    exchange: first?.exchange ?? 'binanceusdm',
    symbol: first?.symbol ?? 'BTC/USDT:USDT',
    snapshots,
    liquidationBuckets,
  };
}

/** Snapshot times as the store holds them at `endAt`: every 5 min over 24 h, then every 30 s over the last 2 h. */
export function storeTimes(endAt: number, spanMs = 24 * HOUR): number[] {
  const times: number[] = [];
  const fineFrom = endAt - 2 * HOUR;
  for (let t = endAt - spanMs; t < fineFrom; t += 5 * MINUTE) times.push(t);
  for (let t = fineFrom; t <= endAt; t += 30_000) times.push(t);
  return times;
}

/** A market as functions of time. */
export interface World {
  price(at: number): number;
  /** Open interest in coins. */
  openInterestCoins(at: number): number;
  /** Funding per 8 h. */
  fundingRate(at: number): number;
  /** Mark over index minus 1. */
  basis(at: number): number;
  /** Multiplies the default depth (1 = usual). */
  depthScale(at: number): number;
  /** Liquidations in the minute starting at `minuteAt`, USD per side. */
  liquidations(minuteAt: number): { longUsd: number; shortUsd: number };
}

/** Samples `world` at `times` (snapshots) and every minute from the first time to `endAt` (liquidation buckets). */
export function historyFromWorld(world: World, times: readonly number[], endAt: number): MarketHistory {
  const snapshots = times.map((at) => {
    const price = world.price(at);
    const coins = world.openInterestCoins(at);
    const funding = world.fundingRate(at);
    const depth = world.depthScale(at);
    return buildSnapshot({
      at,
      markPrice: price,
      lastPrice: price,
      indexPrice: price / (1 + world.basis(at)),
      fundingRate: funding,
      fundingIntervalHours: 8,
      fundingRateAnnualized: funding * 3 * 365,
      openInterestContracts: coins,
      openInterestUsd: coins * price,
      depthBands: buildDepthBands(2_000_000 * depth, 1_800_000 * depth),
    });
  });
  const buckets: LiquidationBucket[] = [];
  const first = times[0] ?? endAt;
  for (let minuteAt = first - (first % MINUTE); minuteAt <= endAt; minuteAt += MINUTE) {
    const { longUsd, shortUsd } = world.liquidations(minuteAt);
    if (longUsd > 0) buckets.push(buildLiquidationBucket({ minuteAt, side: 'long', sizeUsd: longUsd }));
    if (shortUsd > 0) buckets.push(buildLiquidationBucket({ minuteAt, side: 'short', sizeUsd: shortUsd }));
  }
  return history(snapshots, buckets);
}

/** The part of `h` at or before `now` (as the store would have held it then, at full resolution). */
export function historyAt(h: MarketHistory, now: number, spanMs = 24 * HOUR): MarketHistory {
  return {
    ...h,
    snapshots: h.snapshots.filter((s) => s.at <= now && s.at > now - spanMs),
    liquidationBuckets: h.liquidationBuckets.filter((b) => b.minuteAt <= now && b.minuteAt > now - spanMs),
  };
}
