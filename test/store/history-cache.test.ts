// history() hands out the Snapshot objects it built before, kept per window row, until that row changes. These
// tests drive a cached store and an uncached one (`cacheHistory: false`, a fresh build on every call) through
// the same interleaving of polls, late and replaced rows, fine-to-coarse demotion, window expiry, prunes and a
// base change, and require the same history() from both at every step.
import { afterEach, describe, expect, it } from 'vitest';
import type { MarketHistory, Snapshot } from '../../src/domain/market.js';
import { createRandom } from '../../src/mock-exchange/random.js';
import type { SqliteMarketStore } from '../../src/store/index.js';
import { BASE_TIME, HOUR, MINUTE, buildDepthBands, buildMarketInfo, buildSnapshot } from '../builders.js';
import { TempStore } from './temp-store.js';

const SYMBOLS = ['BTC/USDT:USDT', 'ETH/USDT:USDT'] as const;

class Pair {
  readonly cachedDir = new TempStore();
  readonly freshDir = new TempStore();
  readonly cached: SqliteMarketStore;
  readonly fresh: SqliteMarketStore;

  constructor() {
    this.cached = this.cachedDir.open({ cacheHistory: true });
    this.fresh = this.freshDir.open({ cacheHistory: false });
  }

  set now(at: number) {
    this.cachedDir.clock.now = at;
    this.freshDir.clock.now = at;
  }

  get now(): number {
    return this.cachedDir.clock.now;
  }

  both(run: (store: SqliteMarketStore) => void): void {
    run(this.cached);
    run(this.fresh);
  }

  dispose(): void {
    this.cachedDir.dispose();
    this.freshDir.dispose();
  }
}

let pairs: Pair[] = [];
afterEach(() => {
  for (const pair of pairs) pair.dispose();
  pairs = [];
});

function makePair(): Pair {
  const pair = new Pair();
  pairs.push(pair);
  return pair;
}

function expectFrozen(history: MarketHistory): void {
  for (const snapshot of history.snapshots) {
    expect(Object.isFrozen(snapshot)).toBe(true);
    if (snapshot.depthBands !== null && snapshot.depthBands !== undefined) {
      expect(Object.isFrozen(snapshot.depthBands)).toBe(true);
      for (const band of snapshot.depthBands) expect(Object.isFrozen(band)).toBe(true);
    }
  }
}

describe('store history cache', () => {
  it('returns what a fresh build returns through interleaved inserts, demotion, expiry, prunes and reads', () => {
    const pair = makePair();
    const rand = createRandom(20_251_201).next;
    const saved: Snapshot[] = [];
    let now = BASE_TIME;
    let burstUntil = 0;
    let ethBase = 'ETH';
    let compared = 0;
    let reused = 0;
    const previous = new Map<string, readonly Snapshot[]>();

    const snapshotAt = (symbol: string, at: number, salt: number): Snapshot =>
      buildSnapshot({
        symbol,
        at,
        markPrice: 1_000 + salt,
        openInterestUsd: rand() < 0.1 ? null : 5e6 + salt,
        longShortAccountRatio: rand() < 0.3 ? null : 1 + rand(),
        depthBands: rand() < 0.5 ? null : buildDepthBands(1e6 + salt),
      });

    for (let step = 0; step < 2_000; step++) {
      const roll = rand();
      if (roll < 0.7) {
        // A poll: every 30 s, in bursts every 5 s (the fine ring grows past its size), now and then a gap.
        if (rand() < 0.002) burstUntil = now + HOUR;
        const gap = rand() < 0.004 ? Math.floor(rand() * 3 * HOUR) : now < burstUntil ? 5_000 : 30_000;
        now += gap;
        pair.now = now;
        const batch = SYMBOLS.map((symbol) => snapshotAt(symbol, now - 1_000, step));
        pair.both((store) => store.saveSnapshots(batch));
        saved.push(...batch);
      } else if (roll < 0.8) {
        // A late row: anywhere in (or before) the window, in the fine or the coarse tier; or a replaced one.
        const symbol = SYMBOLS[Math.floor(rand() * SYMBOLS.length)] as string;
        const replaced = rand() < 0.4 && saved.length > 0 ? saved[Math.floor(rand() * saved.length)] : undefined;
        const at = replaced?.at ?? now - Math.floor(rand() * 26 * HOUR);
        const late = snapshotAt(replaced?.symbol ?? symbol, at, -step);
        pair.both((store) => store.saveSnapshots([late]));
        saved.push(late);
      } else if (roll < 0.803) {
        // The market's base changes (and later changes back): cached objects carry the old one.
        ethBase = ethBase === 'ETH' ? 'ETH2' : 'ETH';
        const info = buildMarketInfo({ symbol: 'ETH/USDT:USDT', base: ethBase });
        pair.both((store) => store.saveMarkets([info]));
      } else if (roll < 0.806) {
        const cut = now - Math.floor(rand() * 24 * HOUR);
        pair.both((store) => store.prune(cut));
      } else {
        // The clock moves without data (rows age from the fine to the coarse tier and out of the window).
        now += Math.floor(rand() * 10 * MINUTE);
        pair.now = now;
      }

      if (rand() < 0.35) {
        for (const symbol of SYMBOLS) {
          const choice = rand();
          const sinceAt =
            choice < 0.5
              ? now - 24 * HOUR
              : choice < 0.7
                ? now - HOUR
                : choice < 0.9
                  ? now - Math.floor(rand() * 25 * HOUR)
                  : 0;
          const cached = pair.cached.history('binanceusdm', symbol, sinceAt);
          const fresh = pair.fresh.history('binanceusdm', symbol, sinceAt);
          expect(cached).toStrictEqual(fresh);
          expectFrozen(cached);
          compared++;
          const before = previous.get(symbol) ?? [];
          const kept = new Set<Snapshot>(before);
          for (const snapshot of cached.snapshots) if (kept.has(snapshot)) reused++;
          previous.set(symbol, cached.snapshots);
        }
      }
    }
    // The run covered what it is meant to (2,000 steps are ~2 days of store clock): many reads, most of their
    // snapshots served from the cache.
    expect(compared).toBeGreaterThan(1_000);
    expect(reused).toBeGreaterThan(compared * 30);
    expect(pair.cachedDir.rejections).toEqual(pair.freshDir.rejections);
  }, 120_000); // two days of store clock; slow only on a loaded machine

  it('reuses the objects of unchanged rows and rebuilds a row that changed', () => {
    const pair = makePair();
    const at = BASE_TIME;
    pair.now = at + 10 * MINUTE;
    const rows = [0, 1, 2].map((i) => buildSnapshot({ at: at + i * MINUTE, markPrice: 100 + i }));
    pair.both((store) => store.saveSnapshots(rows));

    const first = pair.cached.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots;
    const second = pair.cached.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots;
    expect(second).not.toBe(first);
    expect(second.every((snapshot, i) => snapshot === first[i])).toBe(true);

    pair.both((store) => store.saveSnapshots([buildSnapshot({ at: at + MINUTE, markPrice: 999 })]));
    const third = pair.cached.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots;
    expect(third[0]).toBe(first[0]);
    expect(third[1]).not.toBe(first[1]);
    expect(third[1]?.markPrice).toBe(999);
    expect(third[2]).toBe(first[2]);
    expect(third).toStrictEqual(pair.fresh.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots);
  });

  it('hands out frozen snapshots in an array of the caller’s own', () => {
    const pair = makePair();
    pair.now = BASE_TIME + MINUTE;
    pair.both((store) => store.saveSnapshots([buildSnapshot({ at: BASE_TIME })]));

    const history = pair.cached.history('binanceusdm', 'BTC/USDT:USDT', 0);
    const snapshot = history.snapshots[0] as Snapshot;
    expect(() => {
      (snapshot as { markPrice: number | null }).markPrice = 1;
    }).toThrow(TypeError);
    expect(() => snapshot.depthBands?.push({ withinPercent: 9, bidUsd: 1, askUsd: 1 })).toThrow(TypeError);
    (history.snapshots as Snapshot[]).length = 0;
    expect(pair.cached.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots).toHaveLength(1);

    // Uncached, the objects are the caller's own, as before.
    const fresh = pair.fresh.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots[0] as Snapshot;
    expect(Object.isFrozen(fresh)).toBe(false);
  });
});
