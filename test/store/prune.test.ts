import { describe, expect, it } from 'vitest';
import type { Liquidation, Snapshot } from '../../src/domain/market.js';
import { BASE_TIME, HOUR, MINUTE, buildLiquidation, buildSnapshot } from '../builders.js';
import { COMPACT_BUCKET_MS } from '../../src/store/index.js';
import { useTempStore } from './temp-store.js';

const DAY = 24 * HOUR;

/** Three days of data for two markets: a snapshot every 10 minutes, a liquidation every 25 minutes. */
function threeDays(): { snapshots: Snapshot[]; liquidations: Liquidation[]; end: number } {
  const start = BASE_TIME - 3 * DAY;
  const snapshots: Snapshot[] = [];
  const liquidations: Liquidation[] = [];
  for (let at = start; at < BASE_TIME; at += 10 * MINUTE) {
    for (const symbol of ['BTC/USDT:USDT', 'ETH/USDT:USDT']) snapshots.push(buildSnapshot({ symbol, at }));
  }
  for (let at = start + 7_000; at < BASE_TIME; at += 25 * MINUTE) {
    liquidations.push(buildLiquidation({ at, side: (at / MINUTE) % 2 < 1 ? 'long' : 'short' }));
  }
  return { snapshots, liquidations, end: BASE_TIME };
}

describe('store prune', () => {
  const temp = useTempStore();

  it('removes rows older than the cut, in batches, and keeps the newer ones', () => {
    const t = temp();
    t.clock.now = BASE_TIME;
    const store = t.open({ pruneBatchRows: 7 });
    const { snapshots, liquidations } = threeDays();
    store.saveSnapshots(snapshots);
    expect(store.saveLiquidations(liquidations)).toBe(liquidations.length);
    const windowBefore = store.history('binanceusdm', 'BTC/USDT:USDT', 0);

    const cut = BASE_TIME - 2 * DAY + 3 * MINUTE + 30_000; // mid-minute, so one bucket straddles it
    const result = store.prune(cut);

    const oldLiquidations = liquidations.filter((l) => l.at < cut);
    const oldBucketMinutes = new Set(
      liquidations.map((l) => l.at - (l.at % MINUTE)).filter((minuteAt) => minuteAt + MINUTE <= cut),
    );
    expect(result).toEqual({
      snapshots: snapshots.filter((s) => s.at < cut).length,
      liquidations: oldLiquidations.length,
      liquidationBuckets: oldBucketMinutes.size,
    });
    const db = t.inspect();
    const count = (sql: string): unknown => db.prepare(sql).pluck().get();
    expect(count('SELECT count(*) FROM snapshots')).toBe(snapshots.filter((s) => s.at >= cut).length);
    expect(count('SELECT min(at) FROM snapshots')).toBeGreaterThanOrEqual(cut);
    expect(count('SELECT count(*) FROM liquidations')).toBe(liquidations.length - oldLiquidations.length);
    expect(count('SELECT min(at) FROM liquidations')).toBeGreaterThanOrEqual(cut);
    expect(count('SELECT min(minute_at) FROM liquidation_buckets')).toBeGreaterThan(cut - MINUTE);
    // The window only holds the last 24 h: untouched by a prune two days back.
    expect(store.history('binanceusdm', 'BTC/USDT:USDT', 0)).toEqual(windowBefore);
    // Markets are reference data and stay.
    expect(count('SELECT count(*) FROM markets')).toBe(2);

    expect(store.prune(cut)).toEqual({ snapshots: 0, liquidations: 0, liquidationBuckets: 0 });
  });

  it('prunes what is older than retentionDays on the store clock', () => {
    const t = temp();
    t.clock.now = BASE_TIME;
    const store = t.open({ retentionDays: 2 });
    const { snapshots, liquidations } = threeDays();
    store.saveSnapshots(snapshots);
    store.saveLiquidations(liquidations);
    const result = store.pruneExpired();
    expect(result.snapshots).toBe(snapshots.filter((s) => s.at < BASE_TIME - 2 * DAY).length);
    expect(result.liquidations).toBe(liquidations.filter((l) => l.at < BASE_TIME - 2 * DAY).length);
    // The oldest row left is the last 10-minute poll of the first compaction bucket after the cut: pruneExpired
    // also thins the rows older than the 24 h window (compaction.test.ts), and the cut falls on a bucket start.
    expect(t.inspect().prepare('SELECT min(at) FROM snapshots').pluck().get()).toBe(
      BASE_TIME - 2 * DAY + COMPACT_BUCKET_MS - 10 * MINUTE,
    );
  });

  it('drops pruned rows from the window too when the cut falls within the last 24 h', () => {
    const t = temp();
    t.clock.now = BASE_TIME;
    const store = t.open();
    const { snapshots, liquidations } = threeDays();
    store.saveSnapshots(snapshots);
    store.saveLiquidations(liquidations);
    const cut = BASE_TIME - 6 * HOUR;
    store.prune(cut);
    const history = store.history('binanceusdm', 'BTC/USDT:USDT', 0);
    expect(Math.min(...history.snapshots.map((s) => s.at))).toBe(cut);
    expect(Math.min(...history.liquidationBuckets.map((b) => b.minuteAt))).toBeGreaterThanOrEqual(cut);
    expect(t.reopen(store).history('binanceusdm', 'BTC/USDT:USDT', 0)).toEqual(history);
  });
});
