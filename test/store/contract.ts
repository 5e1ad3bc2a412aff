// The behaviours every MarketStore shares, run against SQLite (contract-sqlite.test.ts) and Postgres
// (contract-postgres.test.ts). Everything is read back through the port only; each store's own tests look at
// its tables.
import { afterEach, describe, expect, it } from 'vitest';
import type { MarketStore } from '../../src/domain/ports.js';
import type { StoreRejectionError } from '../../src/store/validation.js';
import { BASE_TIME, HOUR, MINUTE, buildLiquidation, buildMarketInfo, buildSnapshot } from '../builders.js';

/** What the suite hands a factory: the store's clock (a field the test moves) and where rejections go. */
export interface ContractContext {
  readonly clock: { now: number };
  readonly rejections: StoreRejectionError[];
}

export interface ContractStore {
  store: MarketStore;
  /** Closes the store and opens the same data again (the window rebuilt from disk); the new store is returned. */
  reopen?: () => Promise<MarketStore>;
  close(): Promise<void>;
}

export function describeStoreContract(name: string, open: (context: ContractContext) => Promise<ContractStore>): void {
  describe(`${name} store contract`, () => {
    let opened: ContractStore | undefined;
    afterEach(async () => {
      await opened?.close();
      opened = undefined;
    });
    const start = async (): Promise<{ handle: ContractStore; context: ContractContext }> => {
      const context: ContractContext = { clock: { now: BASE_TIME }, rejections: [] };
      opened = await open(context);
      return { handle: opened, context };
    };

    it('reads back every field of a saved snapshot, nulls and depth bands included', async () => {
      const { handle } = await start();
      const full = buildSnapshot({ at: BASE_TIME - MINUTE });
      const sparse = buildSnapshot({ at: BASE_TIME, markPrice: null, depthBands: null, nextFundingAt: null });
      handle.store.saveSnapshots([full, sparse]);
      expect(handle.store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots).toEqual([full, sparse]);
    });

    it('gives the history since a time, oldest first, thinned to the last snapshot per 5 minutes past 2 hours', async () => {
      const { handle } = await start();
      // Every minute for 3 hours before now.
      const series = Array.from({ length: 180 }, (_, i) => buildSnapshot({ at: BASE_TIME - 3 * HOUR + i * MINUTE }));
      handle.store.saveSnapshots(series);
      const recent = handle.store.history('binanceusdm', 'BTC/USDT:USDT', BASE_TIME - 30 * MINUTE).snapshots;
      expect(recent.map((s) => s.at)).toEqual(series.slice(150).map((s) => s.at));
      const all = handle.store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots.map((s) => s.at);
      const older = all.filter((at) => at < BASE_TIME - 2 * HOUR);
      // 60 minutes past the 2 h boundary: 12 slots of 5 minutes, each keeping its last minute.
      expect(older).toEqual(Array.from({ length: 12 }, (_, i) => BASE_TIME - 3 * HOUR + i * 5 * MINUTE + 4 * MINUTE));
      expect(all.slice(12)).toEqual(series.slice(60).map((s) => s.at));
      expect(handle.store.history('okx', 'NOPE/USDT:USDT', 0)).toEqual({
        exchange: 'okx',
        symbol: 'NOPE/USDT:USDT',
        snapshots: [],
        liquidationBuckets: [],
      });
    });

    it('replaces a snapshot saved again at the same time', async () => {
      const { handle } = await start();
      handle.store.saveSnapshots([buildSnapshot({ at: BASE_TIME, markPrice: 100 })]);
      handle.store.saveSnapshots([buildSnapshot({ at: BASE_TIME, markPrice: 101 })]);
      const snapshots = handle.store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots;
      expect(snapshots.map((s) => s.markPrice)).toEqual([101]);
    });

    it('gives the latest snapshot of every market, or of the markets of one exchange', async () => {
      const { handle } = await start();
      handle.store.saveSnapshots([
        buildSnapshot({ at: BASE_TIME - MINUTE }),
        buildSnapshot({ at: BASE_TIME }),
        buildSnapshot({ exchange: 'okx', symbol: 'ETH/USDT:USDT', at: BASE_TIME - 2 * MINUTE }),
      ]);
      const latest = handle.store.latestSnapshots();
      expect(latest.map((s) => `${s.exchange}:${s.symbol}@${s.at}`).sort()).toEqual([
        `binanceusdm:BTC/USDT:USDT@${BASE_TIME}`,
        `okx:ETH/USDT:USDT@${BASE_TIME - 2 * MINUTE}`,
      ]);
      expect(handle.store.latestSnapshots('okx').map((s) => s.symbol)).toEqual(['ETH/USDT:USDT']);
      expect(handle.store.latestSnapshots('bybit')).toEqual([]);
    });

    it('lists the markets saved with their info, and not those known only from their data', async () => {
      const { handle } = await start();
      const btc = buildMarketInfo();
      const eth = buildMarketInfo({ exchange: 'bybit', symbol: 'ETH/USDT:USDT' });
      handle.store.saveMarkets([btc, eth]);
      handle.store.saveSnapshots([buildSnapshot({ symbol: 'SOL/USDT:USDT' })]);
      expect([...handle.store.markets()].sort((a, b) => a.symbol.localeCompare(b.symbol))).toEqual([btc, eth]);
      // Saving the info again with a new contract size replaces it.
      handle.store.saveMarkets([{ ...btc, contractSize: 0.001 }]);
      expect(handle.store.markets().find((m) => m.symbol === btc.symbol)?.contractSize).toBe(0.001);
    });

    it('stores a replayed liquidation once and sums each minute and side in a bucket', async () => {
      const { handle } = await start();
      const first = buildLiquidation({ at: BASE_TIME - 5 * MINUTE + 1_000, price: 100, sizeBase: 1, sizeUsd: 100 });
      const second = buildLiquidation({ at: BASE_TIME - 5 * MINUTE + 2_000, price: 101, sizeBase: 1, sizeUsd: 101 });
      const short = buildLiquidation({ at: BASE_TIME - MINUTE, side: 'short', price: 99, sizeBase: 2, sizeUsd: 198 });
      expect(handle.store.saveLiquidations([first, second, short, second])).toBe(3);
      expect(handle.store.saveLiquidations([first, second])).toBe(0);
      const minute = (at: number): number => at - (at % MINUTE);
      const expected = [
        {
          exchange: 'binanceusdm',
          symbol: 'BTC/USDT:USDT',
          minuteAt: minute(first.at),
          side: 'long',
          count: 2,
          sizeUsd: 201,
        },
        {
          exchange: 'binanceusdm',
          symbol: 'BTC/USDT:USDT',
          minuteAt: minute(short.at),
          side: 'short',
          count: 1,
          sizeUsd: 198,
        },
      ];
      expect(handle.store.liquidationBuckets(0)).toEqual(expected);
      expect(handle.store.liquidationBuckets(BASE_TIME - 2 * MINUTE)).toEqual([expected[1]]);
      expect(handle.store.liquidationBuckets(0, 'okx')).toEqual([]);
      expect(handle.store.history('binanceusdm', 'BTC/USDT:USDT', 0).liquidationBuckets).toEqual(expected);
    });

    it('prunes what is older than a time and says how much went', async () => {
      const { handle } = await start();
      handle.store.saveSnapshots([
        buildSnapshot({ at: BASE_TIME - 3 * HOUR }),
        buildSnapshot({ at: BASE_TIME - 2 * HOUR - 10 * MINUTE }),
        buildSnapshot({ at: BASE_TIME - MINUTE }),
      ]);
      handle.store.saveLiquidations([
        buildLiquidation({ at: BASE_TIME - 3 * HOUR }),
        buildLiquidation({ at: BASE_TIME - MINUTE }),
      ]);
      expect(handle.store.prune(BASE_TIME - HOUR)).toMatchObject({ snapshots: 2, liquidations: 1 });
      expect(handle.store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots.map((s) => s.at)).toEqual([
        BASE_TIME - MINUTE,
      ]);
      expect(handle.store.liquidationBuckets(0).map((b) => b.count)).toEqual([1]);
      if (handle.reopen === undefined) return;
      const reopened = await handle.reopen();
      expect(reopened.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots.map((s) => s.at)).toEqual([
        BASE_TIME - MINUTE,
      ]);
      expect(reopened.liquidationBuckets(0).map((b) => b.count)).toEqual([1]);
    });

    it('keeps snapshots, markets, buckets and the liquidations seen across a reopen', async () => {
      const { handle, context } = await start();
      if (handle.reopen === undefined) return;
      const info = buildMarketInfo();
      const snapshots = [buildSnapshot({ at: BASE_TIME - 3 * HOUR }), buildSnapshot({ at: BASE_TIME - MINUTE })];
      const liquidation = buildLiquidation({ at: BASE_TIME - 2 * MINUTE });
      handle.store.saveMarkets([info]);
      handle.store.saveSnapshots(snapshots);
      handle.store.saveLiquidations([liquidation]);
      const before = {
        history: handle.store.history('binanceusdm', 'BTC/USDT:USDT', 0),
        latest: handle.store.latestSnapshots(),
        buckets: handle.store.liquidationBuckets(0),
      };
      context.clock.now = BASE_TIME + MINUTE;
      const reopened = await handle.reopen();
      expect(reopened.markets()).toEqual([info]);
      expect(reopened.history('binanceusdm', 'BTC/USDT:USDT', 0)).toEqual(before.history);
      expect(reopened.latestSnapshots()).toEqual(before.latest);
      expect(reopened.liquidationBuckets(0)).toEqual(before.buckets);
      expect(reopened.saveLiquidations([liquidation])).toBe(0);
    });

    it('refuses bad rows, reports them and saves the rest of their batch', async () => {
      const { handle, context } = await start();
      const good = buildSnapshot({ at: BASE_TIME });
      const bad = { ...buildSnapshot({ at: BASE_TIME - MINUTE }), markPrice: -1 };
      const otherBase = buildSnapshot({ at: BASE_TIME - 2 * MINUTE, base: 'ETH' });
      handle.store.saveSnapshots([bad, good, otherBase]);
      expect(handle.store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots).toEqual([good]);
      expect(handle.store.saveLiquidations([{ ...buildLiquidation(), price: 0 }, buildLiquidation()])).toBe(1);
      handle.store.saveMarkets([{ ...buildMarketInfo(), contractSize: 0 }]);
      expect(handle.store.markets()).toEqual([]);
      const reported = context.rejections.map((error) => ({
        kind: error.kind,
        saved: error.saved,
        indices: error.rejected.map((row) => row.index),
      }));
      expect(reported).toEqual([
        { kind: 'snapshot', saved: 1, indices: [0, 2] },
        { kind: 'liquidation', saved: 1, indices: [0] },
        { kind: 'market', saved: 0, indices: [0] },
      ]);
      expect(context.rejections[0]?.rejected[1]?.problems[0]).toMatch(/base: "ETH" differs/);
    });
  });
}
