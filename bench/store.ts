// `npm run bench -- store [--quick]`: fills the SQLite store through its real API with 2,000 markets x 24 h of
// polls every 30 s (5.76 million snapshots, plus liquidations) into a temporary directory, then measures RSS with
// the 24 h window held, insert throughput, history() latency, a reopen (window rebuilt from disk) and a prune.
// Disk: a copy of the filled day is measured at full resolution and again once compacted (the clock moved a day on),
// and a separate week of polls for fewer markets, with pruneExpired (which compacts) every hour of store time,
// gives the size of a real week's file, projected to 2,000 markets.
//
// The work runs in child processes that import only the store (this file, forked with the parent's loader and
// --expose-gc), so RSS is the store's and not whatever other benchmarks loaded into the runner: one child fills
// and reads, a second one opens the filled file as a restarted bot would and prunes. RSS is read after a forced
// GC when the child can get one (`gcBeforeRss` says how).
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EXCHANGE_IDS } from '../src/domain/market.js';
import type { ExchangeId, Liquidation, MarketInfo, Snapshot } from '../src/domain/market.js';
import { DATABASE_FILE, WINDOW_SPAN_MS, openStore } from '../src/store/index.js';
import type { Bench } from './types.js';
import { percentiles } from './types.js';
import { createRandom } from '../src/mock-exchange/random.js';

const POLL_MS = 30_000;
const HOUR_MS = 3_600_000;
const RSS_GOAL_MB = 256;
/** Markets whose order-book depth is measured (DEPTH_TOP_N's default). */
const DEPTH_TOP_N = 20;
const LIQUIDATIONS_PER_POLL = 25;
const DAY_MS = 24 * HOUR_MS;
const RETENTION_DAYS = 7;
/** The goal: a week at 2,000 markets every 30 s on disk. */
const WEEK_GOAL_BYTES = 1e9;
const GOAL_MARKETS = 2_000;
/** How often the week run calls pruneExpired (and so compacts); PRUNE_CRON in src/main.ts must run this often. */
const COMPACT_EVERY_MS = HOUR_MS;

type GcMode = 'global.gc' | 'v8 flag' | 'none';

function findGc(): { gc: () => void; mode: GcMode } {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return { gc: exposed, mode: 'global.gc' };
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return { gc: gc as () => void, mode: 'v8 flag' };
  } catch {
    // fall through: RSS is read without a forced collection
  }
  return { gc: () => undefined, mode: 'none' };
}

const mb = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10;

/** The mock exchange's seeded generator, so runs compare. */
function random(seed: number): () => number {
  return createRandom(seed).next;
}

interface MarketState {
  info: MarketInfo;
  price: number;
  openInterest: number;
  funding: number;
  depth: boolean;
  ratio: boolean;
}

function makeMarkets(count: number, depthCount = DEPTH_TOP_N): MarketState[] {
  const rand = random(7);
  return Array.from({ length: count }, (_, i) => {
    const exchange = EXCHANGE_IDS[i % EXCHANGE_IDS.length] as ExchangeId;
    const base = `C${i.toString(36).toUpperCase()}`;
    return {
      info: {
        exchange,
        symbol: `${base}/USDT:USDT`,
        venueId: `${base}USDT`,
        base,
        quote: 'USDT',
        settle: 'USDT',
        contractSize: 1,
      },
      price: 0.01 + rand() * 50_000,
      openInterest: 1e5 + rand() * 1e7,
      funding: (rand() - 0.4) * 0.0005,
      depth: i < depthCount,
      ratio: exchange !== 'hyperliquid',
    };
  });
}

function poll(markets: readonly MarketState[], at: number, rand: () => number): Snapshot[] {
  return markets.map((m) => {
    m.price *= 1 + (rand() - 0.5) * 0.002;
    m.openInterest = Math.max(1, m.openInterest * (1 + (rand() - 0.5) * 0.004));
    m.funding += (rand() - 0.5) * 0.00001;
    const depthUsd = m.openInterest * m.price * 0.001;
    return {
      exchange: m.info.exchange,
      symbol: m.info.symbol,
      base: m.info.base,
      at,
      markPrice: m.price,
      indexPrice: m.price * (1 + (rand() - 0.5) * 0.0005),
      lastPrice: m.price * (1 + (rand() - 0.5) * 0.0005),
      fundingRate: m.funding,
      fundingIntervalHours: 8,
      nextFundingAt: at - (at % (8 * HOUR_MS)) + 8 * HOUR_MS,
      fundingRateAnnualized: m.funding * 3 * 365,
      openInterestContracts: m.openInterest,
      openInterestUsd: m.openInterest * m.price,
      volume24hUsd: m.openInterest * m.price * 3,
      depthBands: m.depth
        ? [0.5, 1, 2, 5].map((withinPercent) => ({
            withinPercent,
            bidUsd: depthUsd * withinPercent,
            askUsd: depthUsd * withinPercent * 0.9,
          }))
        : null,
      longShortAccountRatio: m.ratio ? 0.5 + rand() * 2 : null,
    };
  });
}

function liquidations(
  markets: readonly MarketState[],
  at: number,
  rand: () => number,
  count = LIQUIDATIONS_PER_POLL,
): Liquidation[] {
  return Array.from({ length: count }, () => {
    const m = markets[Math.floor(rand() ** 3 * markets.length)] as MarketState;
    const sizeBase = (1 + rand() * 100) / Math.sqrt(m.price);
    return {
      exchange: m.info.exchange,
      symbol: m.info.symbol,
      at: at - Math.floor(rand() * POLL_MS),
      side: rand() < 0.6 ? 'long' : 'short',
      price: m.price,
      sizeBase,
      sizeUsd: sizeBase * m.price,
    };
  });
}

function timeIt<T>(run: () => T): { value: T; ms: number } {
  const start = process.hrtime.bigint();
  const value = run();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

const CHILD_ENV = 'SPIRALWATCH_STORE_BENCH_CHILD';
const END_AT = Date.UTC(2025, 9, 11, 0, 0, 0);
const POLLS = (24 * HOUR_MS) / POLL_MS;
/** The store clock during a poll: shortly after the poll's timestamp. */
const POLL_DONE_MS = 2_000;

interface ChildRequest {
  step: 'fill' | 'reopen' | 'disk' | 'week';
  dir: string;
  marketCount: number;
}

interface ChildReply {
  figures: Record<string, number | string | boolean>;
  disk?: Record<string, number>;
  reads?: Record<string, number>;
  prune?: Record<string, number>;
}

function memoryFigures(prefix: string): Record<string, number> {
  const memory = process.memoryUsage();
  return {
    [`${prefix}RssMb`]: mb(memory.rss),
    [`${prefix}HeapTotalMb`]: mb(memory.heapTotal),
    [`${prefix}HeapUsedMb`]: mb(memory.heapUsed),
    [`${prefix}ArrayBuffersMb`]: mb(memory.arrayBuffers),
  };
}

function fill(request: ChildRequest, gc: () => void): ChildReply {
  const start = END_AT - POLLS * POLL_MS;
  const clock = { now: start };
  const rssBeforeOpen = process.memoryUsage().rss;
  const store = openStore({ dataDir: request.dir, retentionDays: 7, now: () => clock.now });
  try {
    const markets = makeMarkets(request.marketCount);
    store.saveMarkets(markets.map((m) => m.info));
    const rand = random(42);
    let snapshotMs = 0;
    let liquidationMs = 0;
    let saved = 0;
    let newLiquidations = 0;
    let peakRss = 0;
    const fillStart = performance.now();
    for (let i = 0; i < POLLS; i++) {
      const at = start + i * POLL_MS;
      clock.now = at + POLL_DONE_MS;
      const batch = poll(markets, at, rand);
      const s = timeIt(() => store.saveSnapshots(batch));
      snapshotMs += s.ms;
      saved += s.value.saved;
      const liq = liquidations(markets, at, rand);
      const l = timeIt(() => store.saveLiquidations(liq));
      liquidationMs += l.ms;
      newLiquidations += l.value;
      if (i % 240 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const fillSeconds = (performance.now() - fillStart) / 1000;
    gc();
    gc();
    const rss = process.memoryUsage().rss;
    const stats = store.windowStats();
    const figures = {
      markets: request.marketCount,
      snapshotsSaved: saved,
      liquidationsSaved: newLiquidations,
      snapshotsPerSecond: Math.round(saved / (snapshotMs / 1000)),
      liquidationsPerSecond: Math.round((POLLS * LIQUIDATIONS_PER_POLL) / (liquidationMs / 1000)),
      fillSeconds: Math.round(fillSeconds * 10) / 10,
      dbFileMb: mb(statSync(store.path).size),
      rssBeforeOpenMb: mb(rssBeforeOpen),
      ...memoryFigures('after24h'),
      storeRssMb: mb(rss - rssBeforeOpen),
      rssPeakSampledMb: mb(Math.max(peakRss, rss)),
      windowMb: mb(stats.bytes),
      windowFinePoints: stats.finePoints,
      windowCoarsePoints: stats.coarsePoints,
      windowBuckets: stats.buckets,
    };

    // history() of random markets: the full 24 h (materialises ~500 snapshots) and the last hour.
    const readRand = random(3);
    const full: number[] = [];
    const lastHour: number[] = [];
    for (let i = 0; i < 500; i++) {
      const m = markets[Math.floor(readRand() * markets.length)] as MarketState;
      full.push(timeIt(() => store.history(m.info.exchange, m.info.symbol, clock.now - 24 * HOUR_MS)).ms);
      lastHour.push(timeIt(() => store.history(m.info.exchange, m.info.symbol, clock.now - HOUR_MS)).ms);
    }
    const first = markets[0] as MarketState;
    const points = store.history(first.info.exchange, first.info.symbol, 0).snapshots.length;
    const latest = Array.from({ length: 20 }, () => timeIt(() => store.latestSnapshots()).ms);
    const buckets = Array.from({ length: 20 }, () => timeIt(() => store.liquidationBuckets(clock.now - HOUR_MS)).ms);
    const p24 = percentiles(full);
    const p1 = percentiles(lastHour);
    const reads = {
      snapshotsPer24hHistory: points,
      history24hMedianMs: p24.median,
      history24hP99Ms: p24.p99,
      history1hMedianMs: p1.median,
      history1hP99Ms: p1.p99,
      latestSnapshotsAllMedianMs: percentiles(latest).median,
      liquidationBuckets1hMedianMs: percentiles(buckets).median,
    };
    return { figures, reads };
  } finally {
    store.close();
  }
}

/** Opens the filled file in a fresh process, as a restarted bot does, then prunes the older half of the day. */
function reopen(request: ChildRequest, gc: () => void): ChildReply {
  // The clock of the last poll of the fill, so the rebuilt window can be compared with the one filled live.
  const clock = { now: END_AT - POLL_MS + POLL_DONE_MS };
  const rssBeforeOpen = process.memoryUsage().rss;
  const opened = timeIt(() => openStore({ dataDir: request.dir, retentionDays: 7, now: () => clock.now }));
  const store = opened.value;
  try {
    gc();
    gc();
    const rss = process.memoryUsage().rss;
    const stats = store.windowStats();
    const figures = {
      reopenMs: Math.round(opened.ms),
      rssBeforeOpenMb: mb(rssBeforeOpen),
      ...memoryFigures('afterReopen'),
      storeRssMb: mb(rss - rssBeforeOpen),
      windowFinePoints: stats.finePoints,
      windowCoarsePoints: stats.coarsePoints,
    };
    const pruned = timeIt(() => store.prune(clock.now - 12 * HOUR_MS));
    const rows = pruned.value.snapshots + pruned.value.liquidations + pruned.value.liquidationBuckets;
    const prune = {
      prunedSnapshots: pruned.value.snapshots,
      prunedLiquidations: pruned.value.liquidations,
      prunedBuckets: pruned.value.liquidationBuckets,
      pruneMs: Math.round(pruned.ms),
      prunedRowsPerSecond: Math.round(rows / (pruned.ms / 1000)),
    };
    return { figures, prune };
  } finally {
    store.close();
  }
}

/** Bytes of a database file and its tables: page_count x page_size, the pages on the free list, dbstat per table. */
function fileFigures(path: string): {
  bytes: number;
  freeBytes: number;
  unusedSnapshotBytes: number;
  tables: Record<string, number>;
} {
  const db = new Database(path, { readonly: true });
  try {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const rows = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as {
      name: string;
      bytes: number;
    }[];
    const unused = db.prepare("SELECT sum(unused) FROM dbstat WHERE name = 'snapshots'").pluck().get() as number;
    return {
      bytes: pages * pageSize,
      freeBytes: free * pageSize,
      unusedSnapshotBytes: unused,
      tables: Object.fromEntries(rows.map((row) => [row.name, row.bytes])),
    };
  } finally {
    db.close();
  }
}

/** A packed copy (VACUUM INTO) of the database in `fromDir`, written to `toDir`; returns its path. */
function vacuumCopy(fromDir: string, toDir: string): string {
  mkdirSync(toDir, { recursive: true });
  const to = join(toDir, DATABASE_FILE);
  const db = new Database(join(fromDir, DATABASE_FILE), { readonly: true });
  try {
    db.prepare('VACUUM INTO ?').run(to);
  } finally {
    db.close();
  }
  return to;
}

/**
 * Bytes per market per day at full resolution (a packed copy of the filled day) and once compacted (the copy opened a
 * day later and compacted, then packed again). The liquidation tables are counted in both: they are not thinned.
 */
function disk(request: ChildRequest): ChildReply {
  const copyDir = join(request.dir, 'disk-copy');
  const coarseDir = join(request.dir, 'disk-coarse');
  const full = fileFigures(vacuumCopy(request.dir, copyDir));
  // The copy is compacted in place, a day later: every row of the filled day now lies before the window.
  const clock = { now: END_AT + WINDOW_SPAN_MS + POLL_DONE_MS };
  const store = openStore({ dataDir: copyDir, retentionDays: RETENTION_DAYS, now: () => clock.now });
  const compacted = timeIt(() => store.pruneExpired());
  store.close();
  const unpacked = fileFigures(join(copyDir, DATABASE_FILE));
  const coarse = fileFigures(vacuumCopy(copyDir, coarseDir));
  for (const dir of [copyDir, coarseDir]) rmSync(dir, { recursive: true, force: true });
  const perMarket = (bytes: number): number => Math.round(bytes / request.marketCount);
  const liquidationBytes = (tables: Record<string, number>): number =>
    (tables['liquidations'] ?? 0) + (tables['liquidation_buckets'] ?? 0);
  return {
    figures: {},
    disk: {
      fullBytesPerMarketPerDay: perMarket(full.bytes),
      fullSnapshotBytesPerMarketPerDay: perMarket(full.tables['snapshots'] ?? 0),
      coarseBytesPerMarketPerDay: perMarket(coarse.bytes),
      coarseSnapshotBytesPerMarketPerDay: perMarket(coarse.tables['snapshots'] ?? 0),
      // Pages still in use right after compaction, before any VACUUM (the rest went to the free list for reuse).
      coarseUnpackedBytesPerMarketPerDay: perMarket(unpacked.bytes - unpacked.freeBytes),
      liquidationBytesPerMarketPerDay: perMarket(liquidationBytes(full.tables)),
      compactedSnapshots: compacted.value.compactedSnapshots,
      compactMs: Math.round(compacted.ms),
      compactedRowsPerSecond: Math.round(compacted.value.compactedSnapshots / (compacted.ms / 1000)),
      // pruneExpired runs synchronously: how long an hourly run would hold the event loop at 2,000 markets.
      compactMsPerHourAt2000Markets: Math.round(((compacted.ms / 24) * GOAL_MARKETS) / request.marketCount),
    },
  };
}

/**
 * A week of polls every 30 s for `marketCount` markets (liquidations at the fill's rate per market) with
 * pruneExpired every COMPACT_EVERY_MS on the store clock (the cadence the goal assumes); then the file itself is
 * measured.
 */
function week(request: ChildRequest): ChildReply {
  const polls = (RETENTION_DAYS * DAY_MS) / POLL_MS;
  const start = END_AT - polls * POLL_MS;
  const clock = { now: start };
  const dir = join(request.dir, 'week');
  const store = openStore({ dataDir: dir, retentionDays: RETENTION_DAYS, now: () => clock.now });
  // Depth rows are larger: keep their share of the markets what it is at 2,000, so the projection scales honestly.
  const markets = makeMarkets(
    request.marketCount,
    Math.max(1, Math.round((DEPTH_TOP_N * request.marketCount) / GOAL_MARKETS)),
  );
  store.saveMarkets(markets.map((m) => m.info));
  const rand = random(42);
  const liquidationsPerPoll = (LIQUIDATIONS_PER_POLL * request.marketCount) / GOAL_MARKETS;
  let owedLiquidations = 0;
  let maintenanceMs = 0;
  let maintenanceMaxMs = 0;
  let nextMaintenanceAt = start + COMPACT_EVERY_MS;
  const weekStart = performance.now();
  for (let i = 0; i < polls; i++) {
    const at = start + i * POLL_MS;
    clock.now = at + POLL_DONE_MS;
    store.saveSnapshots(poll(markets, at, rand));
    owedLiquidations += liquidationsPerPoll;
    const count = Math.floor(owedLiquidations);
    owedLiquidations -= count;
    if (count > 0) store.saveLiquidations(liquidations(markets, at, rand, count));
    if (clock.now >= nextMaintenanceAt) {
      const { ms } = timeIt(() => store.pruneExpired());
      maintenanceMs += ms;
      maintenanceMaxMs = Math.max(maintenanceMaxMs, ms);
      nextMaintenanceAt += COMPACT_EVERY_MS;
    }
  }
  const weekSeconds = (performance.now() - weekStart) / 1000;
  store.close(); // checkpoints the WAL into the file
  const file = fileFigures(join(dir, DATABASE_FILE));
  const fileBytes = statSync(join(dir, DATABASE_FILE)).size;
  const scale = GOAL_MARKETS / request.marketCount;
  return {
    figures: {},
    disk: {
      weekMarkets: request.marketCount,
      weekSimulatedSeconds: Math.round(weekSeconds * 10) / 10,
      weekFileBytes: fileBytes,
      weekPageBytes: file.bytes,
      weekFreeListBytes: file.freeBytes,
      // Room left inside the snapshot pages (b-tree splits of appended rows, merges after compaction); VACUUM packs it.
      weekSnapshotPagesUnusedBytes: file.unusedSnapshotBytes,
      weekMaintenanceMsPerRun: Math.round(maintenanceMs / (polls / (COMPACT_EVERY_MS / POLL_MS))),
      weekMaintenanceMaxMs: Math.round(maintenanceMaxMs),
      projectedWeekAt2000MarketsBytes: Math.round(fileBytes * scale),
    },
  };
}

/** Runs one step in a child process that loads only this file (and the store), with the parent's loader. */
function inChild(request: ChildRequest): Promise<ChildReply> {
  return new Promise((resolve, reject) => {
    const execArgv = [...process.execArgv.filter((arg) => arg !== '--expose-gc'), '--expose-gc'];
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv,
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(request) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let reply: ChildReply | undefined;
    child.on('message', (message) => {
      reply = message as ChildReply;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (reply !== undefined) resolve(reply);
      else reject(new Error(`store bench child (${request.step}) exited with code ${String(code)} and no result`));
    });
  });
}

export const storeBench: Bench = {
  name: 'store',
  description:
    'SQLite store filled through its API with 2,000 markets x 24 h at 30 s (quick: 200), in a child process: RSS with the window held, insert throughput, history() latency, reopen, prune; bytes on disk per market per day at full and compacted resolution, and a week compacted hourly (100 markets, quick: 20) projected to 2,000',
  async run({ quick }) {
    const marketCount = quick ? 200 : 2_000;
    const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-bench-store-'));
    try {
      const filled = await inChild({ step: 'fill', dir, marketCount });
      const measured = await inChild({ step: 'disk', dir, marketCount });
      const reopened = await inChild({ step: 'reopen', dir, marketCount });
      const weekMarkets = quick ? 20 : 100;
      const weekRun = await inChild({ step: 'week', dir, marketCount: weekMarkets });
      const d = { ...measured.disk, ...weekRun.disk };
      const projectedBytes = Number(d['projectedWeekAt2000MarketsBytes']);
      const full = Number(d['fullBytesPerMarketPerDay']);
      const coarse = Number(d['coarseBytesPerMarketPerDay']);
      const gb = (bytes: number): number => Math.round(bytes / 1e7) / 100;
      const rss = Number(filled.figures['after24hRssMb']);
      const goal = `RSS < ${RSS_GOAL_MB} MB with ${marketCount} markets x 24 h held`;
      return [
        {
          bench: 'store',
          case: `fill ${marketCount} markets x 24 h`,
          figures: filled.figures,
          goal,
          goalMet: rss < RSS_GOAL_MB,
        },
        { bench: 'store', case: 'reads from the window', figures: filled.reads ?? {} },
        {
          bench: 'store',
          case: 'reopen in a fresh process (window rebuilt from disk)',
          figures: {
            ...reopened.figures,
            windowPointsMatch:
              reopened.figures['windowFinePoints'] === filled.figures['windowFinePoints'] &&
              reopened.figures['windowCoarsePoints'] === filled.figures['windowCoarsePoints'],
          },
          goal,
          goalMet: Number(reopened.figures['afterReopenRssMb']) < RSS_GOAL_MB,
        },
        { bench: 'store', case: 'prune 12 h', figures: reopened.prune ?? {} },
        {
          bench: 'store',
          case: `disk: a day at full resolution and compacted (${marketCount} markets)`,
          figures: measured.disk ?? {},
        },
        {
          bench: 'store',
          case: `disk: a week at ${weekMarkets} markets every 30 s, compacted hourly, projected to ${GOAL_MARKETS}`,
          figures: {
            ...weekRun.disk,
            projectedWeekAt2000MarketsGb: gb(projectedBytes),
            // The same from the day's two figures: one day at full resolution and the rest compacted.
            formulaWeekAt2000MarketsGb: gb((full + (RETENTION_DAYS - 1) * coarse) * GOAL_MARKETS),
            // If compaction ran only daily (PRUNE_CRON at 03:30): up to a second day at full resolution before it.
            formulaWeekDailyCompactionAt2000MarketsGb: gb((2 * full + (RETENTION_DAYS - 2) * coarse) * GOAL_MARKETS),
          },
          goal: `a week at ${GOAL_MARKETS} markets every 30 s under 1 GB on disk (compacting every hour)`,
          goalMet: projectedBytes < WEEK_GOAL_BYTES,
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

// ---- child process entry ----

const childRequest = process.env[CHILD_ENV];
if (childRequest !== undefined && process.send !== undefined) {
  const request = JSON.parse(childRequest) as ChildRequest;
  const { gc, mode } = findGc();
  const steps = { fill, reopen, disk, week } as const;
  const reply = steps[request.step](request, gc);
  reply.figures['gcBeforeRss'] = mode;
  process.send(reply, () => process.disconnect());
}
