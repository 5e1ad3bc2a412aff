// The SQLite market store: the one place that talks SQL about markets, snapshots and liquidations.
//
// - Writes are validated at the boundary (validation.ts): bad rows are skipped and reported through
//   `onRejected`, the rest of the batch is saved in one transaction with prepared statements.
// - Reads for the risk engine come from the in-memory window (window.ts), filled as data is saved and rebuilt
//   from disk at open, so `history()` never touches SQL.
// - In-memory state changes only after its transaction committed; if a transaction fails the market registry
//   is reloaded from disk, so memory never holds what the database does not.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { exchangeIdSchema, marketKey } from '../domain/market.js';
import type {
  ExchangeId,
  Liquidation,
  LiquidationBucket,
  MarketHistory,
  MarketInfo,
  PositionSide,
  Snapshot,
} from '../domain/market.js';
import type { MarketStore } from '../domain/ports.js';
import { SnapshotCompactor } from './compaction.js';
import type { CompactResult } from './compaction.js';
import { migrate } from './migrations.js';
import {
  SNAPSHOT_ROW_LENGTH,
  SNAPSHOT_VALUE_COLUMNS,
  freezeSnapshot,
  rowToSnapshot,
  snapshotToRow,
} from './snapshot-row.js';
import {
  BUCKET_COUNT,
  BUCKET_USD,
  MarketWindow,
  MINUTE_MS,
  slotStart,
  COARSE_SLOT_MS,
  FINE_SPAN_MS,
  WINDOW_SPAN_MS,
} from './window.js';
import type { ColumnRing } from './column-ring.js';
import { latestSnapshotsOf, liquidationBucketsOf, marketInfoOf, marketInfosOf, materialise } from './market-reads.js';
import type { MarketRow, WindowedMarket } from './market-reads.js';
import {
  StoreRejectionError,
  checkLiquidation,
  checkMarket,
  checkSnapshot,
  conflict,
  partition,
} from './validation.js';
import type { RejectedRow, RowKind } from './validation.js';

export const DATABASE_FILE = 'spiralwatch.db';
const DAY_MS = 24 * 60 * MINUTE_MS;
/** How often (store clock) every market's window is advanced, also those that receive no data. */
const SWEEP_EVERY_MS = MINUTE_MS;

export interface StoreOptions {
  /** Directory of `spiralwatch.db`; created if missing. */
  dataDir: string;
  /**
   * How long rows stay on disk; `pruneExpired()` deletes older ones. Snapshots older than the 24 h window are kept
   * thinned to one per market per 30 minutes (compaction.ts).
   */
  retentionDays: number;
  /** The store's clock (epoch ms); the window's 2 h and 24 h boundaries are measured from it. */
  now?: () => number;
  /**
   * Receives the rows a batch refused (the rest of the batch was saved). Defaults to `console.warn` of the
   * error's message; pass the application's logger.
   */
  onRejected?: (error: StoreRejectionError) => void;
  /** The poll interval the window is sized for (default 30 s); faster polls still fit, at a cost. */
  expectedPollMs?: number;
  /** How long a write waits for another connection's lock (default 5 s). */
  busyTimeoutMs?: number;
  /** Rows deleted per transaction by prune and by compaction (default 20,000). */
  pruneBatchRows?: number;
  /**
   * Keep the Snapshot objects history() builds, one per window row, and hand the same frozen objects out again
   * until their row changes (default false: at 2,000 markets the warm cache is ~370 MB, over the bot's memory goal;
   * replays, with a few markets at a dense cadence, turn it on). Costs their memory (~1 object per row read) for a history() that
   * only builds what changed since the last call; false builds fresh, mutable objects on every call.
   */
  cacheHistory?: boolean;
}

/** What a save kept and refused. */
export interface SaveReport {
  saved: number;
  rejected: readonly RejectedRow[];
}

export interface PruneResult {
  snapshots: number;
  liquidations: number;
  /** Buckets whose whole minute lies before the cut. */
  liquidationBuckets: number;
}

/** What `pruneExpired()` did: the prune past retentionDays, then the compaction past the window. */
export interface MaintenanceResult extends PruneResult {
  /** Snapshots older than the window deleted because a later one of the same market shares their bucket. */
  compactedSnapshots: number;
  /** False when a bucket limit left buckets to thin (`compact` goes on from there). */
  compactionDone: boolean;
}

export interface WindowStats {
  markets: number;
  finePoints: number;
  coarsePoints: number;
  buckets: number;
  /** Bytes of typed-array storage behind the window. */
  bytes: number;
}

export interface SqliteMarketStore extends MarketStore {
  /** Path of the database file. */
  readonly path: string;
  /** Schema version after migrating. */
  readonly schemaVersion: number;
  /** The connection, for other repositories in src/store (subscriptions, outbox); nothing outside src/store. */
  readonly db: Database.Database;
  saveMarkets(markets: readonly MarketInfo[]): SaveReport;
  saveSnapshots(snapshots: readonly Snapshot[]): SaveReport;
  prune(beforeAt: number): PruneResult;
  /**
   * Thins the snapshots older than the window (24 h on the store's clock) to the last one per market and
   * 30-minute bucket; what the window holds, and so every read, is unchanged. Idempotent. With `maxBuckets`, thins
   * at most that many (the oldest first) and says in `done` whether any is left, so a caller can yield between steps.
   */
  compact(maxBuckets?: number): CompactResult;
  /** Prunes what is older than `retentionDays` on the store's clock, then compacts (at most `compactBuckets`). */
  pruneExpired(options?: { compactBuckets?: number }): MaintenanceResult;
  windowStats(): WindowStats;
  /**
   * Opens one transaction for every write until `endBatch()` (each save inside it becomes a savepoint), so that a
   * caller that writes in many small saves, a replay's pass, pays one commit for them. Memory takes each save as
   * its savepoint is released, before the batch commits: for a store whose file is thrown away if the batch
   * fails (replays), never for the bot's.
   */
  beginBatch(): void;
  /** Commits the batch `beginBatch()` opened; nothing when none is open. */
  endBatch(): void;
}

interface MarketEntry extends WindowedMarket {
  readonly id: number;
}

type SqlValue = number | string | null;

export function openStore(options: StoreOptions): SqliteMarketStore {
  if (!(options.retentionDays > 0)) throw new RangeError('retentionDays must be a positive number of days');
  const now = options.now ?? Date.now;
  mkdirSync(options.dataDir, { recursive: true });
  const path = join(options.dataDir, DATABASE_FILE);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  const db = new Database(path, { timeout: busyTimeoutMs });
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite refused WAL mode for ${path} (journal_mode is ${String(mode)})`);
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    db.pragma('foreign_keys = ON');
    // Keep the -wal file from staying at its high-water mark after a big prune.
    db.pragma('journal_size_limit = 67108864');
    const { version } = migrate(db, now);
    return new SqliteStore(db, path, version, options, now);
  } catch (error) {
    db.close();
    throw error;
  }
}

class SqliteStore implements SqliteMarketStore {
  readonly path: string;
  readonly schemaVersion: number;
  readonly db: Database.Database;
  private readonly now: () => number;
  private readonly retentionDays: number;
  private readonly expectedPollMs: number;
  private readonly pruneBatchRows: number;
  private readonly cacheHistory: boolean;
  private readonly compactor: SnapshotCompactor;
  private readonly onRejected: (error: StoreRejectionError) => void;
  private readonly byKey = new Map<string, MarketEntry>();
  private readonly byId = new Map<number, MarketEntry>();
  private marketsCache: readonly MarketInfo[] | null = null;
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private batching = false;
  private readonly row = new Float64Array(SNAPSHOT_ROW_LENGTH);
  private readonly params: SqlValue[] = new Array<SqlValue>(2 + SNAPSHOT_VALUE_COLUMNS.length).fill(null);

  private readonly stmt: {
    selectMarkets: Database.Statement;
    insertMarketKey: Database.Statement;
    upsertMarket: Database.Statement;
    setBase: Database.Statement;
    upsertSnapshot: Database.Statement;
    insertLiquidation: Database.Statement;
    addToBucket: Database.Statement;
  };
  private readonly txSnapshots: (rows: readonly Snapshot[], indices: readonly number[]) => Saved<Snapshot>;
  private readonly txLiquidations: (rows: readonly Liquidation[]) => Liquidation[];
  private readonly txMarkets: (rows: readonly MarketInfo[]) => void;

  constructor(db: Database.Database, path: string, version: number, options: StoreOptions, now: () => number) {
    this.db = db;
    this.path = path;
    this.schemaVersion = version;
    this.now = now;
    this.retentionDays = options.retentionDays;
    this.expectedPollMs = options.expectedPollMs ?? 30_000;
    this.pruneBatchRows = Math.max(1, Math.trunc(options.pruneBatchRows ?? 20_000));
    this.cacheHistory = options.cacheHistory ?? false;
    this.compactor = new SnapshotCompactor(db, this.pruneBatchRows);
    this.onRejected = options.onRejected ?? ((error) => console.warn(error.message));

    const valueColumns = SNAPSHOT_VALUE_COLUMNS.join(', ');
    this.stmt = {
      selectMarkets: db.prepare(
        'SELECT id, exchange, symbol, base, venue_id, quote, settle, contract_size FROM markets ORDER BY id',
      ),
      insertMarketKey: db
        .prepare('INSERT INTO markets (exchange, symbol, first_seen_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id')
        .pluck(),
      upsertMarket: db
        .prepare(
          `INSERT INTO markets (exchange, symbol, base, venue_id, quote, settle, contract_size, first_seen_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (exchange, symbol) DO UPDATE SET
             base = excluded.base, venue_id = excluded.venue_id, quote = excluded.quote, settle = excluded.settle,
             contract_size = excluded.contract_size, updated_at = excluded.updated_at
           RETURNING id`,
        )
        .pluck(),
      setBase: db.prepare('UPDATE markets SET base = ?, updated_at = ? WHERE id = ?'),
      upsertSnapshot: db.prepare(
        `INSERT INTO snapshots (at, market_id, ${valueColumns})
         VALUES (?, ?, ${SNAPSHOT_VALUE_COLUMNS.map(() => '?').join(', ')})
         ON CONFLICT (at, market_id) DO UPDATE SET
           ${SNAPSHOT_VALUE_COLUMNS.map((column) => `${column} = excluded.${column}`).join(', ')}`,
      ),
      insertLiquidation: db.prepare(
        `INSERT INTO liquidations (at, market_id, side, price, size_base, size_usd) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      addToBucket: db.prepare(
        `INSERT INTO liquidation_buckets (minute_at, market_id, side, count, size_usd) VALUES (?, ?, ?, 1, ?)
         ON CONFLICT (minute_at, market_id, side) DO UPDATE SET
           count = count + 1, size_usd = size_usd + excluded.size_usd`,
      ),
    };
    this.txSnapshots = db.transaction((rows: readonly Snapshot[], indices: readonly number[]) =>
      this.writeSnapshots(rows, indices),
    );
    this.txLiquidations = db.transaction((rows: readonly Liquidation[]) => this.writeLiquidations(rows));
    this.txMarkets = db.transaction((rows: readonly MarketInfo[]) => this.writeMarkets(rows));

    this.reloadMarkets();
    this.loadWindow();
  }

  // ---- writes ----

  saveMarkets(markets: readonly MarketInfo[]): SaveReport {
    const { valid, rejected } = partition(markets, checkMarket);
    this.guard(() => this.txMarkets(valid.map((v) => v.value)));
    this.marketsCache = null;
    return this.report('market', valid.length, rejected);
  }

  saveSnapshots(snapshots: readonly Snapshot[]): SaveReport {
    const { valid, rejected } = partition(snapshots, checkSnapshot);
    const saved = this.guard(() =>
      this.txSnapshots(
        valid.map((v) => v.value),
        valid.map((v) => v.index),
      ),
    );
    const at = this.now();
    for (const { entry, value } of saved.rows) {
      entry.window.advance(at);
      snapshotToRow(value, this.row);
      entry.window.addSnapshot(this.row);
    }
    this.sweep(at);
    return this.report('snapshot', saved.rows.length, [...rejected, ...saved.conflicts]);
  }

  saveLiquidations(liquidations: readonly Liquidation[]): number {
    const { valid, rejected } = partition(liquidations, checkLiquidation);
    const fresh = this.guard(() => this.txLiquidations(valid.map((v) => v.value)));
    const at = this.now();
    for (const liquidation of fresh) {
      const entry = this.byKey.get(marketKey(liquidation.exchange, liquidation.symbol));
      if (entry === undefined) continue;
      entry.window.advance(at);
      entry.window.addToBucket(slotStart(liquidation.at, MINUTE_MS), liquidation.side, 1, liquidation.sizeUsd);
    }
    this.sweep(at);
    this.report('liquidation', valid.length, rejected);
    return fresh.length;
  }

  prune(beforeAt: number): PruneResult {
    const result: PruneResult = {
      snapshots: this.deleteInBatches('snapshots', 'at', beforeAt),
      liquidations: this.deleteInBatches('liquidations', 'at', beforeAt),
      // A bucket goes once its whole minute [minute_at, minute_at + 1 min) lies before the cut.
      liquidationBuckets: this.deleteInBatches('liquidation_buckets', 'minute_at', beforeAt - MINUTE_MS + 1),
    };
    for (const entry of this.byId.values()) entry.window.dropBefore(beforeAt);
    return result;
  }

  compact(maxBuckets?: number): CompactResult {
    // Only rows the window has let go of: its cut is the same WINDOW_SPAN_MS on the same clock.
    return this.compactor.compact(this.now() - WINDOW_SPAN_MS, maxBuckets);
  }

  pruneExpired(options: { compactBuckets?: number } = {}): MaintenanceResult {
    const pruned = this.prune(this.now() - this.retentionDays * DAY_MS);
    const compacted = this.compact(options.compactBuckets);
    return { ...pruned, compactedSnapshots: compacted.snapshots, compactionDone: compacted.done };
  }

  close(): void {
    if (!this.db.open) return;
    this.endBatch();
    this.db.pragma('optimize');
    this.db.close();
  }

  // ---- reads (from the window) ----

  markets(): readonly MarketInfo[] {
    this.marketsCache ??= marketInfosOf(this.byId.values());
    return this.marketsCache;
  }

  latestSnapshots(exchange?: ExchangeId): readonly Snapshot[] {
    return latestSnapshotsOf(this.byId.values(), this.now(), exchange);
  }

  /**
   * The market's window since `sinceAt`. The array is the caller's own; with `cacheHistory` its
   * snapshots are frozen objects shared with other calls (and other callers): read them, never mutate them.
   */
  history(exchange: ExchangeId, symbol: string, sinceAt: number): MarketHistory {
    const entry = this.byKey.get(marketKey(exchange, symbol));
    if (entry === undefined) return { exchange, symbol, snapshots: [], liquidationBuckets: [] };
    entry.window.advance(this.now());
    const snapshots: Snapshot[] = [];
    const build = this.cacheHistory ? materialiseShared : materialise;
    entry.window.forEachSnapshot(sinceAt, (ring, index) => snapshots.push(build(entry, ring, index)));
    return { exchange, symbol, snapshots, liquidationBuckets: this.historyBuckets(entry, sinceAt) };
  }

  /**
   * The market's buckets whose minute ends after `sinceAt`, by minute, long before short in the same minute: the
   * two sides' rings (each ascending, one row per minute) merged. With `cacheHistory`, frozen objects kept per row
   * as the snapshots are.
   */
  private historyBuckets(entry: MarketEntry, sinceAt: number): LiquidationBucket[] {
    const buckets: LiquidationBucket[] = [];
    const longs = entry.window.bucketRing('long');
    const shorts = entry.window.bucketRing('short');
    const from = sinceAt - MINUTE_MS + 1;
    const longCount = longs?.size ?? 0;
    const shortCount = shorts?.size ?? 0;
    let i = longs === null ? 0 : longs.lowerBound(from);
    let j = shorts === null ? 0 : shorts.lowerBound(from);
    while (i < longCount || j < shortCount) {
      const takeLong =
        j >= shortCount || (i < longCount && (longs as ColumnRing).time(i) <= (shorts as ColumnRing).time(j));
      if (takeLong) buckets.push(this.bucketAt(entry, longs as ColumnRing, i++, 'long'));
      else buckets.push(this.bucketAt(entry, shorts as ColumnRing, j++, 'short'));
    }
    return buckets;
  }

  private bucketAt(entry: MarketEntry, ring: ColumnRing, index: number, side: PositionSide): LiquidationBucket {
    if (this.cacheHistory) {
      const cached = ring.cached(index) as LiquidationBucket | undefined;
      if (cached !== undefined) return cached;
    }
    const bucket: LiquidationBucket = {
      exchange: entry.exchange,
      symbol: entry.symbol,
      minuteAt: ring.time(index),
      side,
      count: ring.value(index, BUCKET_COUNT),
      sizeUsd: ring.value(index, BUCKET_USD),
    };
    if (!this.cacheHistory) return bucket;
    ring.setCached(index, Object.freeze(bucket));
    return bucket;
  }

  liquidationBuckets(sinceAt: number, exchange?: ExchangeId): readonly LiquidationBucket[] {
    // Stable sort: within a minute, markets stay in registry order and long comes before short.
    return liquidationBucketsOf(this.byId.values(), this.now(), sinceAt, exchange);
  }

  beginBatch(): void {
    if (this.batching) return;
    if (!this.db.inTransaction) this.db.exec('BEGIN');
    this.batching = true;
  }

  endBatch(): void {
    if (!this.batching) return;
    this.batching = false;
    // A failed statement that made SQLite roll the whole transaction back leaves nothing to commit.
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  windowStats(): WindowStats {
    const stats: WindowStats = { markets: this.byId.size, finePoints: 0, coarsePoints: 0, buckets: 0, bytes: 0 };
    for (const entry of this.byId.values()) {
      const s = entry.window.stats();
      stats.finePoints += s.finePoints;
      stats.coarsePoints += s.coarsePoints;
      stats.buckets += s.buckets;
      stats.bytes += s.bytes;
    }
    return stats;
  }

  // ---- transactions (run inside db.transaction) ----

  private writeMarkets(rows: readonly MarketInfo[]): void {
    const at = this.now();
    for (const info of rows) {
      const id = this.stmt.upsertMarket.get(
        info.exchange,
        info.symbol,
        info.base,
        info.venueId,
        info.quote,
        info.settle,
        info.contractSize,
        at,
        at,
      ) as number;
      const entry = this.byId.get(id) ?? this.register(id, info.exchange, info.symbol);
      setBase(entry, info.base);
      entry.info = info;
    }
  }

  private writeSnapshots(rows: readonly Snapshot[], indices: readonly number[]): Saved<Snapshot> {
    const saved: Saved<Snapshot> = { rows: [], conflicts: [] };
    const params = this.params;
    for (let i = 0; i < rows.length; i++) {
      const snapshot = rows[i] as Snapshot;
      const entry = this.ensureMarket(snapshot.exchange, snapshot.symbol);
      if (entry.base === null) {
        this.stmt.setBase.run(snapshot.base, this.now(), entry.id);
        setBase(entry, snapshot.base);
      } else if (entry.base !== snapshot.base) {
        saved.conflicts.push(
          conflict(
            'snapshot',
            indices[i] ?? i,
            snapshot,
            `base: "${snapshot.base}" differs from the market's base "${entry.base}"`,
          ),
        );
        continue;
      }
      snapshotToRow(snapshot, this.row);
      params[0] = snapshot.at;
      params[1] = entry.id;
      for (let c = 1; c < SNAPSHOT_ROW_LENGTH; c++) {
        const value = this.row[c] as number;
        params[c + 1] = Number.isNaN(value) ? null : value;
      }
      this.stmt.upsertSnapshot.run(params);
      saved.rows.push({ entry, value: snapshot });
    }
    return saved;
  }

  private writeLiquidations(rows: readonly Liquidation[]): Liquidation[] {
    const fresh: Liquidation[] = [];
    for (const liquidation of rows) {
      const entry = this.ensureMarket(liquidation.exchange, liquidation.symbol);
      const { changes } = this.stmt.insertLiquidation.run(
        liquidation.at,
        entry.id,
        liquidation.side,
        liquidation.price,
        liquidation.sizeBase,
        liquidation.sizeUsd,
      );
      if (changes === 0) continue; // seen before
      this.stmt.addToBucket.run(slotStart(liquidation.at, MINUTE_MS), entry.id, liquidation.side, liquidation.sizeUsd);
      fresh.push(liquidation);
    }
    return fresh;
  }

  private ensureMarket(exchange: ExchangeId, symbol: string): MarketEntry {
    const known = this.byKey.get(marketKey(exchange, symbol));
    if (known !== undefined) return known;
    const at = this.now();
    const id = this.stmt.insertMarketKey.get(exchange, symbol, at, at) as number;
    return this.register(id, exchange, symbol);
  }

  private register(id: number, exchange: ExchangeId, symbol: string): MarketEntry {
    const entry: MarketEntry = {
      id,
      exchange,
      symbol,
      base: null,
      info: null,
      window: new MarketWindow({ expectedPollMs: this.expectedPollMs }),
    };
    this.byId.set(id, entry);
    this.byKey.set(marketKey(exchange, symbol), entry);
    return entry;
  }

  /** Runs a transaction; if it fails, the registry is re-read so it holds only what was committed. */
  private guard<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (this.db.open) this.reloadMarkets();
      throw error;
    }
  }

  /** Hands the refused rows of a batch to `onRejected`; `saved` counts the rows of the batch that were kept. */
  private report(kind: RowKind, saved: number, rejected: RejectedRow[]): SaveReport {
    if (rejected.length > 0) {
      rejected.sort((a, b) => a.index - b.index);
      this.onRejected(new StoreRejectionError(kind, rejected, saved));
    }
    return { saved, rejected };
  }

  // ---- loading ----

  private reloadMarkets(): void {
    const seen = new Set<number>();
    for (const row of this.stmt.selectMarkets.all() as MarketRow[]) {
      const exchange = exchangeIdSchema.safeParse(row.exchange);
      if (!exchange.success) continue; // a venue this build no longer knows
      seen.add(row.id);
      const entry = this.byId.get(row.id) ?? this.register(row.id, exchange.data, row.symbol);
      setBase(entry, row.base);
      entry.info = marketInfoOf(row, exchange.data);
    }
    for (const [id, entry] of this.byId) {
      if (seen.has(id)) continue;
      this.byId.delete(id);
      this.byKey.delete(marketKey(entry.exchange, entry.symbol));
    }
    this.marketsCache = null;
  }

  /**
   * Rebuilds the window from disk. The coarse tier is reduced by SQL to the last row per market and 5-minute
   * slot, one slot at a time (small groups sort in memory; one GROUP BY over 22 h sorts millions of rows and
   * took about twice as long for 2,000 markets).
   */
  private loadWindow(): void {
    const at = this.now();
    const windowCutoff = at - WINDOW_SPAN_MS;
    const fineCutoff = at - FINE_SPAN_MS;
    for (const entry of this.byId.values()) entry.window.advance(at);
    const values = SNAPSHOT_VALUE_COLUMNS.join(', ');
    // With exactly one max() aggregate, SQLite takes the bare columns from the row holding the max: the last
    // snapshot of the slot, as the live window keeps it.
    const lastOfSlot = this.db
      .prepare(`SELECT market_id, max(at), ${values} FROM snapshots WHERE at >= ? AND at < ? GROUP BY market_id`)
      .raw();
    const fine = this.db
      .prepare(`SELECT market_id, at, ${values} FROM snapshots WHERE at >= ? ORDER BY at, market_id`)
      .raw();
    const add = (rows: Iterable<unknown>): void => {
      for (const raw of rows as Iterable<SqlValue[]>) {
        const entry = this.byId.get(raw[0] as number);
        if (entry === undefined) continue;
        for (let c = 0; c < SNAPSHOT_ROW_LENGTH; c++) {
          const value = raw[c + 1];
          this.row[c] = typeof value === 'number' ? value : Number.NaN;
        }
        entry.window.addSnapshot(this.row);
      }
    };
    for (let slot = slotStart(windowCutoff, COARSE_SLOT_MS); slot < fineCutoff; slot += COARSE_SLOT_MS) {
      add(lastOfSlot.iterate(Math.max(slot, windowCutoff), Math.min(slot + COARSE_SLOT_MS, fineCutoff)));
    }
    add(fine.iterate(fineCutoff));
    const buckets = this.db
      .prepare(
        'SELECT market_id, minute_at, side, count, size_usd FROM liquidation_buckets WHERE minute_at > ? ORDER BY minute_at',
      )
      .raw();
    for (const raw of buckets.iterate(windowCutoff - MINUTE_MS) as Iterable<SqlValue[]>) {
      const entry = this.byId.get(raw[0] as number);
      if (entry === undefined) continue;
      entry.window.addToBucket(raw[1] as number, raw[2] as PositionSide, raw[3] as number, raw[4] as number);
    }
    this.lastSweepAt = at;
  }

  // ---- maintenance ----

  /** Advances every market's window now and then, so markets that stopped receiving data age out too. */
  private sweep(at: number): void {
    if (at - this.lastSweepAt < SWEEP_EVERY_MS) return;
    this.lastSweepAt = at;
    for (const entry of this.byId.values()) entry.window.advance(at);
  }

  /**
   * Deletes rows with `column < bound`, oldest first, at most about `pruneBatchRows` per transaction (more only when many rows share
   * the batch's last time) so that
   * the WAL stays small and other connections wait briefly. Table and column names are constants.
   */
  private deleteInBatches(table: string, column: string, bound: number): number {
    const nth = this.db
      .prepare(`SELECT ${column} FROM ${table} WHERE ${column} < ? ORDER BY ${column} LIMIT 1 OFFSET ?`)
      .pluck();
    const deleteUpTo = this.db.prepare(`DELETE FROM ${table} WHERE ${column} <= ?`);
    const deleteBelow = this.db.prepare(`DELETE FROM ${table} WHERE ${column} < ?`);
    let deleted = 0;
    for (;;) {
      const cut = nth.get(bound, this.pruneBatchRows - 1) as number | undefined;
      if (cut === undefined) return deleted + deleteBelow.run(bound).changes;
      deleted += deleteUpTo.run(cut).changes;
    }
  }
}

interface Saved<T> {
  rows: { entry: MarketEntry; value: T }[];
  conflicts: RejectedRow[];
}

const readScratch = new Float64Array(SNAPSHOT_ROW_LENGTH);

/**
 * The frozen Snapshot of a window row, built once and kept on the row (the ring drops it when the row's values
 * change, and setBase drops every row's when the market's base changes; exchange and symbol are fixed per entry),
 * so a read touches no object it hands out again.
 */
function materialiseShared(entry: MarketEntry, ring: ColumnRing, index: number): Snapshot {
  const cached = ring.cached(index) as Snapshot | undefined;
  if (cached !== undefined) return cached;
  ring.readRow(index, readScratch);
  const snapshot = freezeSnapshot(rowToSnapshot(entry.exchange, entry.symbol, entry.base ?? '', readScratch));
  ring.setCached(index, snapshot);
  return snapshot;
}

/** Sets the market's base; the snapshots kept for its rows carry the old one, so they are built again. */
function setBase(entry: MarketEntry, base: string | null): void {
  if (entry.base === base) return;
  entry.base = base;
  entry.window.fine.clearCached();
  entry.window.coarse.clearCached();
}
