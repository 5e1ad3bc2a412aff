import { describe, expect, it } from 'vitest';
import type { Liquidation, Snapshot } from '../../src/domain/market.js';
import { COMPACT_BUCKET_MS, WINDOW_SPAN_MS } from '../../src/store/index.js';
import type { SqliteMarketStore } from '../../src/store/index.js';
import { openStoreReadOnly } from '../../src/store/readonly-store.js';
import type { ReadOnlyMarketStore } from '../../src/store/readonly-store.js';
import { BASE_TIME, HOUR, MINUTE, buildLiquidation, buildSnapshot } from '../builders.js';
import { useTempStore } from './temp-store.js';
import type { TempStore } from './temp-store.js';

const DAY = 24 * HOUR;
const SYMBOLS = ['BTC/USDT:USDT', 'ETH/USDT:USDT'] as const;
/** The clock in these tests: 7 minutes into a compaction bucket, so the 24 h cut falls inside one. */
const NOW = BASE_TIME + 7 * MINUTE;
const CUT = NOW - WINDOW_SPAN_MS;

/**
 * Two days and a bit of polls every 30 s for two markets, ETH 7 s after BTC, every value distinct so a row is
 * recognised by its values; a liquidation every 10 minutes.
 */
function polls(): { snapshots: Snapshot[]; liquidations: Liquidation[] } {
  const snapshots: Snapshot[] = [];
  const liquidations: Liquidation[] = [];
  let n = 0;
  for (let at = BASE_TIME - 2 * DAY - 3 * MINUTE; at <= NOW; at += 30_000) {
    for (const [i, symbol] of SYMBOLS.entries()) {
      n++;
      snapshots.push(buildSnapshot({ symbol, at: at + i * 7_000, markPrice: 100_000 + n, fundingRate: n * 1e-8 }));
    }
    if (at % (10 * MINUTE) === 0) liquidations.push(buildLiquidation({ at: at + 1_234, sizeUsd: 1_000 + n }));
  }
  return { snapshots, liquidations };
}

function filled(t: TempStore, overrides: Parameters<TempStore['open']>[0] = {}): SqliteMarketStore {
  t.clock.now = NOW;
  const store = t.open(overrides);
  const { snapshots, liquidations } = polls();
  store.saveSnapshots(snapshots);
  store.saveLiquidations(liquidations);
  return store;
}

interface Row {
  at: number;
  market: string;
  mark_price: number;
  funding_rate: number;
}

function rows(t: TempStore): Row[] {
  return t
    .inspect()
    .prepare(
      `SELECT s.at, m.symbol AS market, s.mark_price, s.funding_rate FROM snapshots s JOIN markets m ON m.id = s.market_id
       ORDER BY s.at, m.symbol`,
    )
    .all() as Row[];
}

/** For rows in buckets wholly before the cut: the last of each market and bucket; every other row as it was. */
function expectedAfterCompaction(before: readonly Row[], cut: number): Row[] {
  const bucketOf = (at: number): number => Math.floor(at / COMPACT_BUCKET_MS);
  const lastOf = new Map<string, number>();
  for (const row of before) {
    const key = `${row.market} ${bucketOf(row.at)}`;
    lastOf.set(key, Math.max(lastOf.get(key) ?? Number.NEGATIVE_INFINITY, row.at));
  }
  return before.filter((row) => {
    const bucketEndAt = (bucketOf(row.at) + 1) * COMPACT_BUCKET_MS;
    return bucketEndAt > cut || lastOf.get(`${row.market} ${bucketOf(row.at)}`) === row.at;
  });
}

/** Every read the risk engine and the commands make, over the whole window. */
function reads(store: SqliteMarketStore | ReadOnlyMarketStore): unknown {
  return {
    markets: store.markets(),
    latest: store.latestSnapshots(),
    histories: SYMBOLS.map((symbol) => store.history('binanceusdm', symbol, 0)),
    lastHour: store.history('binanceusdm', 'BTC/USDT:USDT', NOW - HOUR),
    buckets: store.liquidationBuckets(0),
  };
}

describe('store compaction', () => {
  const temp = useTempStore();

  it('leaves every snapshot younger than 24 h untouched, and the bucket the cut falls in whole', () => {
    const t = temp();
    const store = filled(t);
    const before = rows(t);

    const result = store.compact();

    expect(result.snapshots).toBeGreaterThan(0);
    const after = rows(t);
    const young = (list: readonly Row[]): Row[] => list.filter((row) => row.at >= CUT);
    expect(young(after)).toEqual(young(before));
    // The cut's own bucket has rows on both sides of it; none of them goes until the whole bucket has aged out.
    const cutBucketAt = CUT - (CUT % COMPACT_BUCKET_MS);
    const inCutBucket = (list: readonly Row[]): Row[] =>
      list.filter((row) => row.at >= cutBucketAt && row.at < cutBucketAt + COMPACT_BUCKET_MS);
    expect(inCutBucket(before).some((row) => row.at < CUT)).toBe(true);
    expect(inCutBucket(after)).toEqual(inCutBucket(before));
  });

  it('thins older rows to the last snapshot of each market in each compaction bucket, values as polled', () => {
    const t = temp();
    const store = filled(t);
    const before = rows(t);

    const result = store.compact();

    const after = rows(t);
    expect(after).toEqual(expectedAfterCompaction(before, CUT));
    expect(result.snapshots).toBe(before.length - after.length);
    // 30 s polls: many rows per market in a full bucket, one of them kept.
    const old = after.filter((row) => row.at < CUT - COMPACT_BUCKET_MS);
    const perBucket = new Map<string, number>();
    for (const row of old) {
      const key = `${row.market} ${Math.floor(row.at / COMPACT_BUCKET_MS)}`;
      perBucket.set(key, (perBucket.get(key) ?? 0) + 1);
    }
    expect(new Set(perBucket.values())).toEqual(new Set([1]));
  });

  it('keeps the reads of the last 24 h identical, live and after a reopen', () => {
    const t = temp();
    const store = filled(t);
    const before = reads(store);

    store.compact();

    expect(reads(store)).toEqual(before);
    expect(reads(t.reopen(store))).toEqual(before);
  });

  it('is idempotent: a second run, also after a reopen, deletes nothing', () => {
    const t = temp();
    const store = filled(t);
    store.compact();
    const once = rows(t);

    expect(store.compact().snapshots).toBe(0);
    const reopened = t.reopen(store);
    expect(reopened.compact().snapshots).toBe(0);
    expect(rows(t)).toEqual(once);
  });

  it('thins the buckets that age out of the window on a later run, and only those', () => {
    const t = temp();
    const store = filled(t);
    store.compact();
    const first = rows(t);

    t.clock.now = NOW + HOUR;
    const result = store.compact();

    const later = rows(t);
    expect(later).toEqual(expectedAfterCompaction(first, NOW + HOUR - WINDOW_SPAN_MS));
    expect(result.snapshots).toBeGreaterThan(0);
    expect(later.filter((row) => row.at < CUT - COMPACT_BUCKET_MS)).toEqual(
      first.filter((row) => row.at < CUT - COMPACT_BUCKET_MS),
    );
  });

  it('thins at most the buckets it is given per call, oldest first, and reaches the same rows step by step', () => {
    const t = temp();
    const store = filled(t);
    const before = rows(t);

    const first = store.compact(1);
    expect(first).toMatchObject({ buckets: 1, done: false });
    const oldestBucketEnd = Math.floor(before[0]!.at / COMPACT_BUCKET_MS) * COMPACT_BUCKET_MS + COMPACT_BUCKET_MS;
    // Only the oldest bucket is thinned so far; the rest is as polled.
    expect(rows(t)).toEqual(expectedAfterCompaction(before, oldestBucketEnd));
    expect(rows(t).length).toBeGreaterThan(expectedAfterCompaction(before, CUT).length);

    let steps = 1;
    for (let step = store.compact(1); ; step = store.compact(1)) {
      steps++;
      if (step.done) break;
    }
    expect(rows(t)).toEqual(expectedAfterCompaction(before, CUT));
    expect(steps).toBeGreaterThan(2);
    expect(store.pruneExpired({ compactBuckets: 1 })).toMatchObject({ compactedSnapshots: 0, compactionDone: true });
  });

  it('gives the same rows whatever the batch size', () => {
    const small = temp();
    const store = filled(small, { pruneBatchRows: 7 });
    const before = rows(small);

    store.compact();

    expect(rows(small)).toEqual(expectedAfterCompaction(before, CUT));
  });

  it('runs in pruneExpired after the rows past retentionDays are deleted', () => {
    const t = temp();
    const store = filled(t, { retentionDays: 1.5 });
    const before = rows(t);
    const retentionCut = NOW - 1.5 * DAY;

    const result = store.pruneExpired();

    const kept = before.filter((row) => row.at >= retentionCut);
    expect(rows(t)).toEqual(expectedAfterCompaction(kept, CUT));
    expect(result.snapshots).toBe(before.length - kept.length);
    expect(result.compactedSnapshots).toBe(kept.length - rows(t).length);
  });

  it('lets the read-only store see the same before and after compaction', () => {
    const t = temp();
    const store = filled(t);
    const open = (): ReadOnlyMarketStore => {
      const opened = openStoreReadOnly(t.dir, { now: () => NOW });
      if (!opened.ok) throw new Error(opened.detail);
      return opened.store;
    };
    const reader = open();
    const before = reads(reader);
    expect(before).toEqual(reads(store));

    store.compact();

    expect(reads(reader)).toEqual(before);
    const fresh = open();
    expect(reads(fresh)).toEqual(before);
    reader.close();
    fresh.close();
  });
});
