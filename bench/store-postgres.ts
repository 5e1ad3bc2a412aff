// The market store on Postgres beside SQLite, for 2,000 markets polled every 30 s: snapshot write rate (rows/s,
// saveSnapshots per poll and then flush, so the figure is rows on disk), history() read time (24 h of one market,
// from the window on both stores), the window's load at open, and disk per market per day measured on the tables
// (with their indexes) and projected to a retained week: one day at full resolution plus six days thinned to one
// row per market per 30 minutes (maintain(), as SQLite's compaction).
//
// Set STORE_PG_POLLS to change how many polls are written (default 120: one hour, 240,000 rows per store; 20 with
// --quick).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../src/domain/market.js';
import type { MarketStore } from '../src/domain/ports.js';
import { DATABASE_FILE, openStore } from '../src/store/index.js';
import { openPostgresStore } from '../src/store/postgres/market-store.js';
import { openPool } from '../src/store/postgres/pool.js';
import { startTestPostgres } from '../test/support/postgres.js';
import { percentiles, type Bench, type BenchFigures } from './types.js';

const MARKETS = 2_000;
const POLL_MS = 30_000;
const POLLS_PER_DAY = (24 * 3_600_000) / POLL_MS;
const KEPT_PER_DAY_AFTER_24H = 48;
const START_AT = Date.UTC(2026, 0, 5, 0, 0, 0);

function poll(index: number): Snapshot[] {
  const at = START_AT + index * POLL_MS;
  return Array.from({ length: MARKETS }, (_, m) => {
    const price = 100 + m + Math.sin(index / 10 + m) * 2;
    return {
      exchange: 'binanceusdm',
      symbol: `M${m}/USDT:USDT`,
      base: `M${m}`,
      at,
      markPrice: price,
      indexPrice: price * 0.9999,
      lastPrice: price * 1.0001,
      fundingRate: 0.0001 * Math.cos(index + m),
      fundingIntervalHours: 8,
      nextFundingAt: at + 3_600_000,
      fundingRateAnnualized: 0.1095 * Math.cos(index + m),
      openInterestContracts: 1_000_000 + index * 10 + m,
      openInterestUsd: (1_000_000 + index * 10 + m) * price,
      volume24hUsd: 5e8 + m,
      depthBands: m < 20 ? [{ withinPercent: 0.5, bidUsd: 1e6, askUsd: 9e5 }] : null,
      longShortAccountRatio: m % 3 === 0 ? 1.2 : null,
    } satisfies Snapshot;
  });
}

function historyTimes(store: MarketStore, nowAt: number): { median: number; p99: number } {
  const samples: number[] = [];
  for (let m = 0; m < MARKETS; m++) {
    const startedAt = performance.now();
    store.history('binanceusdm', `M${m}/USDT:USDT`, nowAt - 24 * 3_600_000);
    samples.push(performance.now() - startedAt);
  }
  return percentiles(samples);
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Disk figures from the bytes one snapshot row takes. */
function diskFigures(bytesPerRow: number) {
  return {
    bytesPerSnapshotRow: round(bytesPerRow, 1),
    mbPerMarketPerDay: round((bytesPerRow * POLLS_PER_DAY) / 1e6),
    weekAt2000MarketsGb: round((MARKETS * bytesPerRow * (POLLS_PER_DAY + 6 * KEPT_PER_DAY_AFTER_24H)) / 1e9),
  };
}

async function measure(quick: boolean): Promise<BenchFigures[]> {
  const polls = Math.max(2, Number(process.env['STORE_PG_POLLS'] ?? (quick ? 20 : 120)));
  const rows = polls * MARKETS;
  const figures: BenchFigures[] = [];
  const shape = { markets: MARKETS, polls, snapshots: rows };
  const endAt = START_AT + polls * POLL_MS;
  const clock = { now: START_AT };

  // SQLite
  const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-bench-pgcmp-'));
  try {
    const sqlite = openStore({ dataDir: dir, retentionDays: 7, now: () => clock.now });
    let startedAt = performance.now();
    for (let i = 0; i < polls; i++) {
      clock.now = START_AT + i * POLL_MS;
      sqlite.saveSnapshots(poll(i));
    }
    const sqliteWriteS = (performance.now() - startedAt) / 1000;
    const sqliteHistory = historyTimes(sqlite, clock.now);
    sqlite.close();
    clock.now = endAt;
    startedAt = performance.now();
    const reopened = openStore({ dataDir: dir, retentionDays: 7, now: () => clock.now });
    const sqliteOpenMs = performance.now() - startedAt;
    reopened.close();
    const fileBytes = statSync(join(dir, DATABASE_FILE)).size;
    figures.push({
      bench: 'store-postgres',
      case: 'sqlite',
      figures: {
        ...shape,
        writeSnapshotsPerSecond: Math.round(rows / sqliteWriteS),
        history24hMedianMs: round(sqliteHistory.median, 3),
        history24hP99Ms: round(sqliteHistory.p99, 3),
        openMs: Math.round(sqliteOpenMs),
        ...diskFigures(fileBytes / rows),
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Postgres
  const server = await startTestPostgres();
  try {
    const pool = openPool(await server.freshDatabase());
    try {
      clock.now = START_AT;
      const store = await openPostgresStore({ pool, retentionDays: 7, now: () => clock.now, onFlushError: () => {} });
      let startedAt = performance.now();
      for (let i = 0; i < polls; i++) {
        clock.now = START_AT + i * POLL_MS;
        store.saveSnapshots(poll(i));
        // Let the flusher run between polls, as the 30 s between real polls does.
        if (store.queuedRows() > 20_000) await store.flush();
      }
      await store.flush();
      const pgWriteS = (performance.now() - startedAt) / 1000;
      const pgHistory = historyTimes(store, clock.now);
      await store.end();
      clock.now = endAt;
      startedAt = performance.now();
      const reopened = await openPostgresStore({ pool, retentionDays: 7, now: () => clock.now });
      const pgOpenMs = performance.now() - startedAt;
      await reopened.end();
      await pool.query('VACUUM ANALYZE snapshots');
      const size = await pool.query<{ bytes: number }>("SELECT pg_total_relation_size('snapshots') AS bytes");
      const bytes = size.rows[0]?.bytes ?? 0;
      figures.push({
        bench: 'store-postgres',
        case: 'postgres',
        figures: {
          ...shape,
          writeSnapshotsPerSecond: Math.round(rows / pgWriteS),
          history24hMedianMs: round(pgHistory.median, 3),
          history24hP99Ms: round(pgHistory.p99, 3),
          openMs: Math.round(pgOpenMs),
          ...diskFigures(bytes / rows),
        },
      });
    } finally {
      await pool.end();
    }
  } finally {
    await server.stop();
  }
  return figures;
}

export const storePostgres: Bench = {
  name: 'store-postgres',
  description: `the market store on Postgres beside SQLite: ${MARKETS} markets polled every 30 s (writes, reads, disk)`,
  run: ({ quick }) => measure(quick),
};
