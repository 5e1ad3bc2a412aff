// The shared store contract on the Postgres store against a real PostgreSQL, and what only Postgres does: the
// write-behind flusher (batches, retries, the queue bound), followers that refresh from the leader's rows, and
// retention on disk.
import { describe, expect, it, vi } from 'vitest';
import type pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/market-store.js';
import type { PostgresMarketStore, PostgresStoreOptions } from '../../src/store/postgres/market-store.js';
import { usePostgres } from '../support/postgres.js';
import { BASE_TIME, HOUR, MINUTE, buildLiquidation, buildMarketInfo, buildSnapshot } from '../builders.js';
import { describeStoreContract } from './contract.js';
import type { ContractContext } from './contract.js';

const postgres = usePostgres();

describeStoreContract('Postgres', async (context: ContractContext) => {
  const pool = postgres.pool(await postgres.server().freshDatabase(), 10);
  const openHere = (): Promise<PostgresMarketStore> =>
    openPostgresStore({
      pool,
      retentionDays: 7,
      now: () => context.clock.now,
      onRejected: (error) => context.rejections.push(error),
    });
  let store = await openHere();
  return {
    store,
    async reopen() {
      await store.end();
      store = await openHere();
      return store;
    },
    async close() {
      await store.end();
    },
  };
});

describe('Postgres market store', () => {
  const clock = { now: BASE_TIME };
  const fresh = async (): Promise<pg.Pool> => postgres.pool(await postgres.server().freshDatabase(), 10);
  const open = async (pool: pg.Pool, options: Partial<PostgresStoreOptions> = {}): Promise<PostgresMarketStore> => {
    const store = await openPostgresStore({
      pool,
      retentionDays: 7,
      now: () => clock.now,
      flushEveryMs: 0,
      ...options,
    });
    // A test may have cut the database off under it: its last flush may fail.
    postgres.closeAfter({ close: () => store.end().catch(() => undefined) });
    return store;
  };
  const count = async (pool: pg.Pool, table: string): Promise<number> => {
    const result = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    return result.rows[0]?.n ?? -1;
  };

  it('writes queued rows to the tables in one flush and serves reads before it', async () => {
    const pool = await fresh();
    const store = await open(pool);
    const series = Array.from({ length: 50 }, (_, i) => buildSnapshot({ at: BASE_TIME - i * MINUTE }));
    store.saveSnapshots(series);
    expect(store.saveLiquidations([buildLiquidation(), buildLiquidation()])).toBe(1);
    expect(store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots).toHaveLength(50);
    expect(await count(pool, 'snapshots')).toBe(0);
    expect(store.queuedRows()).toBe(52); // 50 snapshots, 1 liquidation, 1 market
    await store.flush();
    expect(store.queuedRows()).toBe(0);
    expect(await count(pool, 'snapshots')).toBe(50);
    expect(await count(pool, 'liquidations')).toBe(1);
    const bucket = await pool.query('SELECT count, size_usd FROM liquidation_buckets');
    expect(bucket.rows).toEqual([{ count: 1, size_usd: buildLiquidation().sizeUsd }]);
  });

  it('flushes on its own timer', async () => {
    const pool = await fresh();
    const store = await open(pool, { flushEveryMs: 20 });
    store.saveSnapshots([buildSnapshot()]);
    await vi.waitFor(async () => expect(await count(pool, 'snapshots')).toBe(1), { timeout: 5_000 });
  });

  it('keeps the rows of a failed flush queued and writes them once the database takes them again', async () => {
    const pool = await fresh();
    const errors: unknown[] = [];
    const store = await open(pool, { flushEveryMs: 20, onFlushError: (error) => errors.push(error) });
    await pool.query('ALTER TABLE snapshots RENAME TO snapshots_away');
    store.saveSnapshots([buildSnapshot({ at: BASE_TIME - MINUTE }), buildSnapshot()]);
    await expect(store.flush()).rejects.toThrow(/snapshots/);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 5_000 });
    expect(store.queuedRows()).toBe(3);
    await pool.query('ALTER TABLE snapshots_away RENAME TO snapshots');
    // The timer retries with backoff; no flush() call is needed.
    await vi.waitFor(async () => expect(await count(pool, 'snapshots')).toBe(2), { timeout: 10_000 });
    expect(store.queuedRows()).toBe(0);
  });

  it('drops the oldest queued rows past the bound and keeps the newest', async () => {
    const pool = await fresh();
    const dropped: { snapshots: number; liquidations: number }[] = [];
    const store = await open(pool, { flushAtRows: 10, maxQueuedRows: 10, onDropped: (d) => dropped.push(d) });
    for (let i = 0; i < 15; i++) store.saveSnapshots([buildSnapshot({ at: BASE_TIME - HOUR + i * MINUTE })]);
    expect(dropped.reduce((sum, d) => sum + d.snapshots, 0)).toBe(5);
    // The window still holds all of them.
    expect(store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots).toHaveLength(15);
    await store.flush();
    const kept = await pool.query<{ at: number }>('SELECT at FROM snapshots ORDER BY at');
    expect(kept.rows.map((row) => row.at)).toEqual(
      Array.from({ length: 10 }, (_, i) => BASE_TIME - HOUR + (i + 5) * MINUTE),
    );
  });

  it('writes a queue larger than one batch completely, one batch after another', async () => {
    const pool = await fresh();
    const store = await open(pool, { flushAtRows: 100 });
    const snapshots = Array.from({ length: 250 }, (_, i) =>
      buildSnapshot({ symbol: `C${i}/USDT:USDT`, base: `C${i}`, at: BASE_TIME }),
    );
    store.saveSnapshots(snapshots);
    await store.flush();
    expect(await count(pool, 'snapshots')).toBe(250);
    expect(await count(pool, 'markets')).toBe(250);
  });

  it("lets a follower see the leader's markets, snapshots and liquidations after a refresh", async () => {
    const pool = await fresh();
    const leader = await open(pool);
    const follower = await open(pool);
    const info = buildMarketInfo();
    leader.saveMarkets([info]);
    leader.saveSnapshots([buildSnapshot({ at: BASE_TIME - MINUTE }), buildSnapshot({ at: BASE_TIME })]);
    leader.saveLiquidations([buildLiquidation({ at: BASE_TIME - 30_000 })]);
    await leader.flush();
    expect(follower.latestSnapshots()).toEqual([]);
    await follower.refresh();
    expect(follower.markets()).toEqual([info]);
    expect(follower.history('binanceusdm', 'BTC/USDT:USDT', 0)).toEqual(
      leader.history('binanceusdm', 'BTC/USDT:USDT', 0),
    );
    // A second refresh with nothing new changes nothing; a replayed snapshot update arrives.
    await follower.refresh();
    expect(follower.liquidationBuckets(0)).toEqual(leader.liquidationBuckets(0));
    leader.saveSnapshots([buildSnapshot({ at: BASE_TIME, markPrice: 99 })]);
    await leader.flush();
    await follower.refresh();
    expect(follower.latestSnapshots().map((s) => s.markPrice)).toEqual([99]);
    expect(follower.liquidationBuckets(0).map((b) => b.count)).toEqual([1]);
  });

  it('writes what is queued when closed through the port', async () => {
    const pool = await fresh();
    const store = await openPostgresStore({ pool, retentionDays: 7, now: () => clock.now, flushEveryMs: 0 });
    store.saveSnapshots([buildSnapshot()]);
    store.close();
    await vi.waitFor(async () => expect(await count(pool, 'snapshots')).toBe(1), { timeout: 5_000 });
  });

  it('counts its own liquidations once when it refreshes the rows it wrote', async () => {
    const pool = await fresh();
    const store = await open(pool);
    store.saveLiquidations([buildLiquidation({ at: BASE_TIME - 30_000 })]);
    store.saveSnapshots([buildSnapshot()]);
    await store.flush();
    await store.refresh();
    expect(store.liquidationBuckets(0).map((b) => b.count)).toEqual([1]);
    expect(store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots).toHaveLength(1);
  });

  it('refreshes on its own every interval once started', async () => {
    const pool = await fresh();
    const leader = await open(pool);
    const follower = await open(pool);
    const stop = follower.startRefreshing(20);
    try {
      leader.saveSnapshots([buildSnapshot()]);
      await leader.flush();
      await vi.waitFor(() => expect(follower.latestSnapshots()).toHaveLength(1), { timeout: 5_000 });
    } finally {
      stop();
    }
  });

  it('thins snapshots past 24 hours to the last per market and 30 minutes, and prunes past retention', async () => {
    const pool = await fresh();
    clock.now = BASE_TIME;
    const store = await open(pool, { retentionDays: 2 });
    // Every 10 minutes over the last 3 days.
    const steps = (3 * 24 * 60) / 10;
    const series = Array.from({ length: steps }, (_, i) =>
      buildSnapshot({ at: BASE_TIME - 3 * 24 * HOUR + i * 10 * MINUTE }),
    );
    store.saveSnapshots(series);
    store.saveLiquidations([
      buildLiquidation({ at: BASE_TIME - 50 * HOUR }),
      buildLiquidation({ at: BASE_TIME - HOUR }),
    ]);
    await store.flush();
    const result = await store.maintain();
    // Past 2 days: 1 day of rows (144) pruned; day 2: 144 rows thinned to 48; the last 24 h kept whole.
    expect(result).toMatchObject({ snapshots: 144, liquidations: 1, compactedSnapshots: 96 });
    expect(await count(pool, 'snapshots')).toBe(48 + 144);
    const thinned = await pool.query<{ at: number }>('SELECT at FROM snapshots WHERE at < $1 ORDER BY at LIMIT 2', [
      BASE_TIME - 24 * HOUR,
    ]);
    // The last of each 30-minute bucket: minute 20 of it.
    expect(thinned.rows.map((row) => (row.at - (BASE_TIME - 2 * 24 * HOUR)) / MINUTE)).toEqual([20, 50]);
    // Running it again finds nothing to do.
    expect(await store.maintain()).toMatchObject({ snapshots: 0, liquidations: 0, compactedSnapshots: 0 });
  });
});
