import { describe, expect, it } from 'vitest';
import { StoreRejectionError } from '../../src/store/index.js';
import { SNAPSHOT_VALUE_COLUMNS } from '../../src/store/snapshot-row.js';
import { BASE_TIME, buildEmptySnapshot, buildMarketInfo, buildSnapshot } from '../builders.js';
import { useTempStore } from './temp-store.js';

describe('store snapshots', () => {
  const temp = useTempStore();

  it('round-trips a snapshot with every field and its depth bands intact, in memory and after reopening', () => {
    const t = temp();
    const store = t.open();
    const snapshot = buildSnapshot();
    expect(store.saveSnapshots([snapshot])).toEqual({ saved: 1, rejected: [] });

    expect(store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots).toEqual([snapshot]);
    const reopened = t.reopen(store);
    expect(reopened.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots).toEqual([snapshot]);
    expect(reopened.latestSnapshots()).toEqual([snapshot]);
  });

  it('keeps nulls as NULL (never 0) on disk and null in memory, and keeps real zeros as 0', () => {
    const t = temp();
    const store = t.open();
    const empty = buildEmptySnapshot({ symbol: 'ETH/USDT:USDT' });
    const zeros = buildSnapshot({
      at: BASE_TIME + 30_000,
      symbol: 'ETH/USDT:USDT',
      fundingRate: 0,
      fundingRateAnnualized: 0,
      openInterestContracts: 0,
      openInterestUsd: 0,
      volume24hUsd: 0,
      depthBands: [{ withinPercent: 0.5, bidUsd: 0, askUsd: 0 }],
    });
    store.saveSnapshots([empty, zeros]);

    const db = t.inspect();
    const types = db
      .prepare(
        `SELECT ${SNAPSHOT_VALUE_COLUMNS.map((c) => `typeof(${c}) AS ${c}`).join(', ')} FROM snapshots WHERE at = ?`,
      )
      .get(BASE_TIME) as Record<string, string>;
    expect(Object.values(types)).toEqual(SNAPSHOT_VALUE_COLUMNS.map(() => 'null'));

    const zeroRow = db
      .prepare('SELECT funding_rate, open_interest_usd, depth_bid_0_5_usd, depth_bid_1_usd FROM snapshots WHERE at = ?')
      .get(BASE_TIME + 30_000);
    expect(zeroRow).toEqual({ funding_rate: 0, open_interest_usd: 0, depth_bid_0_5_usd: 0, depth_bid_1_usd: null });

    for (const reader of [store, t.reopen(store)]) {
      expect(reader.history('binanceusdm', 'ETH/USDT:USDT', 0).snapshots).toEqual([empty, zeros]);
    }
  });

  it('stores the depth bands given and returns them in DEPTH_BANDS_PERCENT order; an empty list reads back as null', () => {
    const t = temp();
    const store = t.open();
    const partial = buildSnapshot({
      depthBands: [
        { withinPercent: 5, bidUsd: 50, askUsd: 55 },
        { withinPercent: 1, bidUsd: 10, askUsd: 11 },
      ],
    });
    const emptyList = buildSnapshot({ at: BASE_TIME + 30_000, depthBands: [] });
    store.saveSnapshots([partial, emptyList]);

    const reopened = t.reopen(store);
    expect(reopened.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots.map((s) => s.depthBands)).toEqual([
      [
        { withinPercent: 1, bidUsd: 10, askUsd: 11 },
        { withinPercent: 5, bidUsd: 50, askUsd: 55 },
      ],
      null,
    ]);
  });

  it('rejects snapshots that fail schema validation with a clear error and saves the rest of the batch', () => {
    const t = temp();
    const store = t.open();
    const good1 = buildSnapshot({ symbol: 'BTC/USDT:USDT' });
    const good2 = buildSnapshot({ symbol: 'SOL/USDT:USDT' });
    const negativePrice = buildSnapshot({ symbol: 'ETH/USDT:USDT', markPrice: -1 });
    const oddBand = buildSnapshot({
      symbol: 'XRP/USDT:USDT',
      depthBands: [{ withinPercent: 3, bidUsd: 1, askUsd: 1 }],
    });
    const notEvenAnObject = 'garbage' as unknown as ReturnType<typeof buildSnapshot>;

    const report = store.saveSnapshots([good1, negativePrice, good2, oddBand, notEvenAnObject]);

    expect(report.saved).toBe(2);
    expect(report.rejected.map((r) => r.index)).toEqual([1, 3, 4]);
    expect(t.rejections).toHaveLength(1);
    const error = t.rejections[0] as StoreRejectionError;
    expect(error).toBeInstanceOf(StoreRejectionError);
    expect(error.kind).toBe('snapshot');
    expect(error.message).toContain('rejected 3 snapshot(s) of a batch of 5; the other 2 were accepted');
    expect(error.message).toMatch(/#1 binanceusdm:ETH\/USDT:USDT at 2025-10-10T20:00:00.000Z: markPrice: .*>0/);
    expect(error.message).toContain('#3 binanceusdm:XRP/USDT:USDT');
    expect(error.message).toContain('depthBands.0.withinPercent: 3 is not one of the stored bands (0.5, 1, 2, 5)');
    expect(error.message).toContain('#4 (not an object: string)');

    expect(store.latestSnapshots().map((s) => s.symbol)).toEqual(['BTC/USDT:USDT', 'SOL/USDT:USDT']);
    expect(t.inspect().prepare('SELECT count(*) FROM snapshots').pluck().get()).toBe(2);
  });

  it('rejects a snapshot whose base contradicts the market it belongs to', () => {
    const t = temp();
    const store = t.open();
    store.saveMarkets([buildMarketInfo()]);
    const report = store.saveSnapshots([buildSnapshot({ base: 'ETH' }), buildSnapshot({ at: BASE_TIME + 30_000 })]);
    expect(report.saved).toBe(1);
    expect(report.rejected[0]?.problems).toEqual(['base: "ETH" differs from the market\'s base "BTC"']);
  });

  it('replaces a snapshot saved again for the same market and time instead of adding a row', () => {
    const t = temp();
    const store = t.open();
    store.saveSnapshots([buildSnapshot({ markPrice: 100 })]);
    store.saveSnapshots([buildSnapshot({ markPrice: 101, depthBands: null })]);
    expect(t.inspect().prepare('SELECT count(*) FROM snapshots').pluck().get()).toBe(1);
    for (const reader of [store, t.reopen(store)]) {
      const [only, ...rest] = reader.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots;
      expect(rest).toEqual([]);
      expect(only).toMatchObject({ markPrice: 101, depthBands: null });
    }
  });

  it('returns the newest snapshot of each market, optionally of one exchange', () => {
    const t = temp();
    const store = t.open();
    store.saveSnapshots([
      buildSnapshot({ at: BASE_TIME - 30_000, markPrice: 1 }),
      buildSnapshot({ exchange: 'okx', at: BASE_TIME - 30_000, markPrice: 3 }),
    ]);
    store.saveSnapshots([buildSnapshot({ markPrice: 2 })]);
    expect(store.latestSnapshots().map((s) => [s.exchange, s.markPrice])).toEqual([
      ['binanceusdm', 2],
      ['okx', 3],
    ]);
    expect(store.latestSnapshots('okx').map((s) => s.markPrice)).toEqual([3]);
    expect(store.latestSnapshots('bybit')).toEqual([]);
  });

  it('lists markets saved with their info (updated in place), not markets known only from their data', () => {
    const t = temp();
    const store = t.open();
    store.saveSnapshots([buildSnapshot({ symbol: 'DOGE/USDT:USDT' })]);
    const btc = buildMarketInfo();
    const eth = buildMarketInfo({ symbol: 'ETH/USDT:USDT', exchange: 'bybit', venueId: 'ETHUSDT' });
    store.saveMarkets([btc, eth]);
    store.saveMarkets([{ ...eth, contractSize: 0.1 }]);
    const expected = [btc, { ...eth, contractSize: 0.1 }];
    expect(store.markets()).toEqual(expected);
    expect(t.reopen(store).markets()).toEqual(expected);
  });
});
