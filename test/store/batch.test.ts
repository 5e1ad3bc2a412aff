// A batch (beginBatch/endBatch) puts many saves in one transaction: what the store holds, in memory and on disk,
// is the same as after the same saves one by one.
import { afterEach, describe, expect, it } from 'vitest';
import type { SqliteMarketStore } from '../../src/store/index.js';
import { BASE_TIME, MINUTE, buildLiquidation, buildSnapshot } from '../builders.js';
import { TempStore } from './temp-store.js';

let dirs: TempStore[] = [];
afterEach(() => {
  for (const dir of dirs) dir.dispose();
  dirs = [];
});

function tempStore(): TempStore {
  const dir = new TempStore();
  dirs.push(dir);
  return dir;
}

/** Ten minutes of polls and liquidations, the clock moving with them. */
function feed(dir: TempStore, store: SqliteMarketStore, batched: boolean): void {
  for (let minute = 0; minute < 10; minute++) {
    const at = BASE_TIME + minute * MINUTE;
    dir.clock.now = at;
    if (batched) store.beginBatch();
    store.saveSnapshots([
      buildSnapshot({ at, markPrice: 100 + minute }),
      buildSnapshot({ at, symbol: 'ETH/USDT:USDT', base: 'ETH', markPrice: 10 + minute }),
    ]);
    store.saveLiquidations([buildLiquidation({ at: at + 1_000, sizeUsd: 1_000 + minute })]);
    store.saveLiquidations([buildLiquidation({ at: at + 2_000, side: 'short', sizeUsd: 500 })]);
    if (batched) store.endBatch();
  }
}

describe('store write batches', () => {
  it('hold and persist the same data as the same saves one by one', () => {
    const plainDir = tempStore();
    const batchedDir = tempStore();
    const plain = plainDir.open();
    const batched = batchedDir.open();
    feed(plainDir, plain, false);
    feed(batchedDir, batched, true);
    const read = (store: SqliteMarketStore) => [
      store.history('binanceusdm', 'BTC/USDT:USDT', 0),
      store.history('binanceusdm', 'ETH/USDT:USDT', 0),
    ];
    expect(read(batched)).toEqual(read(plain));
    // From disk: the window is rebuilt from what each transaction committed.
    expect(read(batchedDir.reopen(batched))).toEqual(read(plainDir.reopen(plain)));
    expect(batchedDir.rejections).toEqual([]);
  });

  it('commit what they hold when the store closes inside one', () => {
    const dir = tempStore();
    const store = dir.open();
    dir.clock.now = BASE_TIME;
    store.beginBatch();
    store.saveSnapshots([buildSnapshot({ at: BASE_TIME, markPrice: 123 })]);
    const reopened = dir.reopen(store);
    expect(reopened.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots.map((s) => s.markPrice)).toEqual([123]);
  });

  it('end without effect when none was begun, and nest no deeper when begun twice', () => {
    const dir = tempStore();
    const store = dir.open();
    dir.clock.now = BASE_TIME;
    store.endBatch();
    store.beginBatch();
    store.beginBatch();
    store.saveSnapshots([buildSnapshot({ at: BASE_TIME, markPrice: 7 })]);
    store.endBatch();
    expect(store.db.inTransaction).toBe(false);
    expect(dir.reopen(store).history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots).toHaveLength(1);
  });
});
