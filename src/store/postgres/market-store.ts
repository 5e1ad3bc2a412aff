// The Postgres market store: the same MarketStore port as SQLite's, for several instances on one database.
//
// - Reads never touch SQL: every read is served from the same in-memory 24 h window as SQLite's (window.ts),
//   loaded from Postgres at open, so the risk loop and the commands stay synchronous.
// - Writes are validated as SQLite's (validation.ts), go into the window at once and are queued; a write-behind
//   flusher sends them every `flushEveryMs` (250 ms), or sooner once `flushAtRows` (5,000) wait, in one
//   transaction with one statement per table (unnest arrays). A failed flush keeps its rows and retries with
//   backoff. The queue holds at most `maxQueuedRows`; past it the oldest queued snapshots and liquidations are
//   dropped from the queue (they stay in the window) and `onDropped` is told: the newest data matters most.
// - A follower pulls what the leader wrote (rows with `change_id` above its last) with `refresh()`.
// - `maintain()` prunes past `retentionDays` and thins snapshots past the window to the last per market and
//   30 minutes (the rule of compaction.ts), in statements of at most `pruneBatchRows` rows.
import type pg from 'pg';
import { exchangeIdSchema, marketKey } from '../../domain/market.js';
import type {
  ExchangeId,
  Liquidation,
  LiquidationBucket,
  MarketHistory,
  MarketInfo,
  PositionSide,
  Snapshot,
} from '../../domain/market.js';
import type { MarketStore } from '../../domain/ports.js';
import { COMPACT_BUCKET_MS } from '../compaction.js';
import { SNAPSHOT_ROW_LENGTH, SNAPSHOT_VALUE_COLUMNS, snapshotToRow } from '../snapshot-row.js';
import {
  StoreRejectionError,
  checkLiquidation,
  checkMarket,
  checkSnapshot,
  conflict,
  partition,
} from '../validation.js';
import type { RejectedRow, RowKind } from '../validation.js';
import { COARSE_SLOT_MS, FINE_SPAN_MS, MINUTE_MS, MarketWindow, WINDOW_SPAN_MS, slotStart } from '../window.js';
import { latestSnapshotsOf, liquidationBucketsOf, marketInfoOf, marketInfosOf, materialise } from '../market-reads.js';
import type { MarketRow, WindowedMarket } from '../market-reads.js';
import { migrate } from './migrate.js';
import { inTransaction } from './pool.js';

const DAY_MS = 24 * 60 * MINUTE_MS;
const SWEEP_EVERY_MS = MINUTE_MS;
const MAX_BACKOFF_MS = 30_000;
/** Rows a follower pulls per query. */
const REFRESH_PAGE_ROWS = 20_000;

export interface PostgresStoreOptions {
  pool: pg.Pool;
  /** How long rows stay on disk (maintain() prunes older ones). */
  retentionDays: number;
  /** The store's clock (epoch ms); the window's 2 h and 24 h boundaries are measured from it. */
  now?: () => number;
  onRejected?: (error: StoreRejectionError) => void;
  /** Told when a flush failed (the rows stay queued) and when the queue bound dropped rows. */
  onFlushError?: (error: unknown) => void;
  onDropped?: (dropped: { snapshots: number; liquidations: number }) => void;
  expectedPollMs?: number;
  /** Default 250 ms; 0 turns the timer off (tests call flush()). */
  flushEveryMs?: number;
  /** Rows per batch, and the queue length that flushes before the timer (default 5,000). */
  flushAtRows?: number;
  /** Default 200,000 rows: 100 polls of 2,000 markets, 50 minutes of an outage at 30 s. */
  maxQueuedRows?: number;
  /** Rows per DELETE statement of maintain() and pruneOnDisk() (default 20,000). */
  pruneBatchRows?: number;
}

export interface PostgresPruneResult {
  snapshots: number;
  liquidations: number;
  liquidationBuckets: number;
}

export interface PostgresMaintenanceResult extends PostgresPruneResult {
  compactedSnapshots: number;
}

export interface PostgresMarketStore extends MarketStore {
  /**
   * Drops rows before `beforeAt` from the window now and from disk at the next flush (after what is queued).
   * Returns what left the window; `pruneOnDisk()` returns what left the tables.
   */
  prune(beforeAt: number): { snapshots: number; liquidations: number };
  pruneOnDisk(beforeAt: number): Promise<PostgresPruneResult>;
  /** Prunes past retentionDays (window and disk) and thins the snapshots past the window. */
  maintain(): Promise<PostgresMaintenanceResult>;
  /** Resolves once everything queued so far is committed; rejects if a flush fails (the rows stay queued). */
  flush(): Promise<void>;
  /** Pulls rows other instances wrote since the last refresh into the window. */
  refresh(): Promise<void>;
  /** Refreshes every `everyMs` until the returned function (or end()) stops it; errors go to onFlushError. */
  startRefreshing(everyMs: number): () => void;
  /** Rows waiting for a flush. */
  queuedRows(): number;
  /**
   * Stops the refresh timers and flushes what is queued; resolves once it is on disk. If that flush fails the rows
   * stay queued, the flusher keeps retrying, and the promise rejects.
   */
  end(): Promise<void>;
  /** The port's close: end() without waiting; a failure goes to onFlushError. Await end() where you can. */
  close(): void;
}

interface MarketEntry extends WindowedMarket {
  /** Null until the market's row is committed. */
  id: number | null;
  /** Liquidation keys in the window (dedupe), with their time for aging out. */
  readonly liquidationKeys: Map<string, number>;
}

interface MarketChangeRow extends MarketRow {
  change_id: number;
}

/** A snapshot row as read: market_id, change_id, at, then the value columns (null or number). */
type SnapshotRow = (number | null)[];

interface LiquidationRow {
  market_id: number;
  change_id: number;
  at: number;
  side: PositionSide;
  price: number;
  size_base: number;
  size_usd: number;
}

interface BucketRow {
  market_id: number;
  minute_at: number;
  side: PositionSide;
  count: number;
  size_usd: number;
}

interface QueuedSnapshot {
  entry: MarketEntry;
  row: Float64Array;
}

interface QueuedLiquidation {
  entry: MarketEntry;
  liquidation: Liquidation;
}

function liquidationKey(at: number, side: PositionSide, price: number, sizeBase: number): string {
  return `${at}|${side}|${price}|${sizeBase}`;
}

const VALUES = SNAPSHOT_VALUE_COLUMNS.join(', ');

export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresMarketStore> {
  if (!(options.retentionDays > 0)) throw new RangeError('retentionDays must be a positive number of days');
  await migrate(options.pool);
  const store = new PgStore(options);
  await store.load();
  return store;
}

class PgStore implements PostgresMarketStore {
  private readonly pool: pg.Pool;
  private readonly now: () => number;
  private readonly retentionDays: number;
  private readonly expectedPollMs: number;
  private readonly flushEveryMs: number;
  private readonly flushAtRows: number;
  private readonly maxQueuedRows: number;
  private readonly pruneBatchRows: number;
  private readonly onRejected: (error: StoreRejectionError) => void;
  private readonly onFlushError: (error: unknown) => void;
  private readonly onDropped: (dropped: { snapshots: number; liquidations: number }) => void;
  private readonly byKey = new Map<string, MarketEntry>();
  private readonly byId = new Map<number, MarketEntry>();
  private marketsCache: readonly MarketInfo[] | null = null;
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private readonly row = new Float64Array(SNAPSHOT_ROW_LENGTH);

  // The queue. Snapshots by market and time, so a resaved one replaces the queued one (one statement may not
  // upsert a row twice).
  private readonly queuedMarkets = new Set<MarketEntry>();
  private readonly queuedSnapshots = new Map<string, QueuedSnapshot>();
  private queuedLiquidations: QueuedLiquidation[] = [];
  private queuedPrunes: {
    beforeAt: number;
    done: (result: PostgresPruneResult) => void;
    fail: (e: unknown) => void;
  }[] = [];

  private lastChangeId = 0;
  private thinnedBefore = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private backoffMs = 0;
  private closed = false;
  private readonly refreshers = new Set<() => void>();

  constructor(options: PostgresStoreOptions) {
    this.pool = options.pool;
    this.now = options.now ?? Date.now;
    this.retentionDays = options.retentionDays;
    this.expectedPollMs = options.expectedPollMs ?? 30_000;
    this.flushEveryMs = options.flushEveryMs ?? 250;
    this.flushAtRows = Math.max(1, Math.trunc(options.flushAtRows ?? 5_000));
    this.maxQueuedRows = Math.max(this.flushAtRows, Math.trunc(options.maxQueuedRows ?? 200_000));
    this.pruneBatchRows = Math.max(1, Math.trunc(options.pruneBatchRows ?? 20_000));
    this.onRejected = options.onRejected ?? ((error) => console.warn(error.message));
    this.onFlushError =
      options.onFlushError ?? ((error) => console.warn(`Postgres store flush failed: ${String(error)}`));
    this.onDropped =
      options.onDropped ??
      ((d) =>
        console.warn(`Postgres store queue full: dropped ${d.snapshots} snapshots, ${d.liquidations} liquidations`));
  }

  // ---- loading ----

  /** Markets, the window and the liquidation keys of the last 24 h, read in one consistent snapshot. */
  async load(): Promise<void> {
    this.lastSweepAt = await inTransaction(
      this.pool,
      async (client) => {
        // The newest change this snapshot sees (not the sequence: it runs ahead of what is committed).
        const max = await client.query<{ id: number }>(
          `SELECT GREATEST((SELECT max(change_id) FROM markets), (SELECT max(change_id) FROM snapshots),
                           (SELECT max(change_id) FROM liquidations), 0) AS id`,
        );
        this.lastChangeId = max.rows[0]?.id ?? 0;
        const markets = await client.query<MarketRow>(
          'SELECT id, exchange, symbol, base, venue_id, quote, settle, contract_size, change_id FROM markets ORDER BY id',
        );
        for (const row of markets.rows) this.applyMarketRow(row);
        const at = this.now();
        const windowCutoff = at - WINDOW_SPAN_MS;
        const fineCutoff = at - FINE_SPAN_MS;
        for (const entry of this.byId.values()) entry.window.advance(at);
        // The coarse tier: the last row per market and 5-minute slot, as the live window keeps it.
        const coarse = await client.query<SnapshotRow>({
          text: `SELECT DISTINCT ON (market_id, at / ${COARSE_SLOT_MS}) market_id, change_id, at, ${VALUES}
                 FROM snapshots WHERE at >= $1 AND at < $2 ORDER BY market_id, at / ${COARSE_SLOT_MS}, at DESC`,
          values: [windowCutoff, fineCutoff],
          rowMode: 'array',
        });
        for (const raw of coarse.rows) this.applySnapshotRow(raw);
        const fine = await client.query<SnapshotRow>({
          text: `SELECT market_id, change_id, at, ${VALUES} FROM snapshots WHERE at >= $1 ORDER BY at, market_id`,
          values: [fineCutoff],
          rowMode: 'array',
        });
        for (const raw of fine.rows) this.applySnapshotRow(raw);
        const buckets = await client.query<BucketRow>(
          'SELECT market_id, minute_at, side, count, size_usd FROM liquidation_buckets WHERE minute_at > $1 ORDER BY minute_at',
          [windowCutoff - MINUTE_MS],
        );
        for (const row of buckets.rows) {
          this.byId.get(row.market_id)?.window.addToBucket(row.minute_at, row.side, row.count, row.size_usd);
        }
        const liquidations = await client.query<
          Pick<LiquidationRow, 'market_id' | 'at' | 'side' | 'price' | 'size_base'>
        >('SELECT market_id, at, side, price, size_base FROM liquidations WHERE at >= $1', [windowCutoff]);
        for (const row of liquidations.rows) {
          this.byId
            .get(row.market_id)
            ?.liquidationKeys.set(liquidationKey(row.at, row.side, row.price, row.size_base), row.at);
        }
        return at;
      },
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
    this.scheduleFlush();
  }

  private applyMarketRow(row: MarketRow): void {
    const exchange = exchangeIdSchema.safeParse(row.exchange);
    if (!exchange.success) return; // a venue this build no longer knows
    let entry = this.byId.get(row.id) ?? this.byKey.get(marketKey(exchange.data, row.symbol));
    if (entry === undefined) entry = this.register(exchange.data, row.symbol);
    if (entry.id === null) {
      entry.id = row.id;
      this.byId.set(row.id, entry);
    }
    // What this instance queued itself stays as queued (it is newer than the row).
    if (this.queuedMarkets.has(entry)) return;
    entry.base = row.base;
    entry.info = marketInfoOf(row, exchange.data);
    this.marketsCache = null;
  }

  private applySnapshotRow(raw: SnapshotRow): void {
    const entry = this.byId.get(raw[0] as number);
    if (entry === undefined) return;
    for (let c = 0; c < SNAPSHOT_ROW_LENGTH; c++) {
      const value = raw[c + 2];
      this.row[c] = typeof value === 'number' ? value : Number.NaN;
    }
    entry.window.addSnapshot(this.row);
  }

  private register(exchange: ExchangeId, symbol: string): MarketEntry {
    const entry: MarketEntry = {
      id: null,
      exchange,
      symbol,
      base: null,
      info: null,
      window: new MarketWindow({ expectedPollMs: this.expectedPollMs }),
      liquidationKeys: new Map(),
    };
    this.byKey.set(marketKey(exchange, symbol), entry);
    return entry;
  }

  private ensureMarket(exchange: ExchangeId, symbol: string): MarketEntry {
    const known = this.byKey.get(marketKey(exchange, symbol));
    if (known !== undefined) return known;
    const entry = this.register(exchange, symbol);
    this.queuedMarkets.add(entry);
    return entry;
  }

  // ---- writes ----

  saveMarkets(markets: readonly MarketInfo[]): void {
    const { valid, rejected } = partition(markets, checkMarket);
    for (const { value: info } of valid) {
      const entry = this.ensureMarket(info.exchange, info.symbol);
      entry.base = info.base;
      entry.info = info;
      this.queuedMarkets.add(entry);
    }
    this.marketsCache = null;
    this.report('market', valid.length, rejected);
    this.scheduleFlush();
  }

  saveSnapshots(snapshots: readonly Snapshot[]): void {
    const checked = snapshots.map((row, index) => checkSnapshot(row, index));
    const rejected: RejectedRow[] = [];
    const at = this.now();
    let saved = 0;
    checked.forEach((result, index) => {
      if (!result.ok) {
        rejected.push(result.rejected);
        return;
      }
      const snapshot = result.value;
      const entry = this.ensureMarket(snapshot.exchange, snapshot.symbol);
      if (entry.base === null) {
        entry.base = snapshot.base;
        this.queuedMarkets.add(entry);
      } else if (entry.base !== snapshot.base) {
        rejected.push(
          conflict(
            'snapshot',
            index,
            snapshot,
            `base: "${snapshot.base}" differs from the market's base "${entry.base}"`,
          ),
        );
        return;
      }
      const row = new Float64Array(SNAPSHOT_ROW_LENGTH);
      snapshotToRow(snapshot, row);
      entry.window.advance(at);
      entry.window.addSnapshot(row);
      this.queuedSnapshots.set(`${marketKey(entry.exchange, entry.symbol)}|${snapshot.at}`, { entry, row });
      saved++;
    });
    this.sweep(at);
    this.report('snapshot', saved, rejected);
    this.enforceBound();
    this.scheduleFlush();
  }

  saveLiquidations(liquidations: readonly Liquidation[]): number {
    const { valid, rejected } = partition(liquidations, checkLiquidation);
    const at = this.now();
    let fresh = 0;
    for (const { value: liquidation } of valid) {
      const entry = this.ensureMarket(liquidation.exchange, liquidation.symbol);
      const key = liquidationKey(liquidation.at, liquidation.side, liquidation.price, liquidation.sizeBase);
      if (entry.liquidationKeys.has(key)) continue;
      // Kept also when older than the window (the sweep ages it out); the disk's ON CONFLICT DO NOTHING
      // dedupes what memory no longer holds.
      entry.liquidationKeys.set(key, liquidation.at);
      entry.window.advance(at);
      entry.window.addToBucket(slotStart(liquidation.at, MINUTE_MS), liquidation.side, 1, liquidation.sizeUsd);
      this.queuedLiquidations.push({ entry, liquidation });
      fresh++;
    }
    this.sweep(at);
    this.report('liquidation', valid.length, rejected);
    this.enforceBound();
    this.scheduleFlush();
    return fresh;
  }

  prune(beforeAt: number): { snapshots: number; liquidations: number } {
    const dropped = this.pruneWindow(beforeAt);
    void this.pruneOnDisk(beforeAt).catch((error: unknown) => this.onFlushError(error));
    return dropped;
  }

  private pruneWindow(beforeAt: number): { snapshots: number; liquidations: number } {
    let snapshots = 0;
    let liquidations = 0;
    for (const entry of this.byKey.values()) {
      entry.window.forEachSnapshot(Number.NEGATIVE_INFINITY, (ring, index) => {
        if (ring.time(index) < beforeAt) snapshots++;
      });
      entry.window.dropBefore(beforeAt);
      for (const [key, at] of entry.liquidationKeys) {
        if (at >= beforeAt) continue;
        entry.liquidationKeys.delete(key);
        liquidations++;
      }
    }
    return { snapshots, liquidations };
  }

  pruneOnDisk(beforeAt: number): Promise<PostgresPruneResult> {
    return new Promise((done, fail) => {
      this.queuedPrunes.push({ beforeAt, done, fail });
      this.scheduleFlush(true);
    });
  }

  async maintain(): Promise<PostgresMaintenanceResult> {
    const cut = this.now() - this.retentionDays * DAY_MS;
    this.pruneWindow(cut);
    const pruned = await this.pruneOnDisk(cut);
    const compactedSnapshots = await this.compact(this.now() - WINDOW_SPAN_MS);
    return { ...pruned, compactedSnapshots };
  }

  // ---- the flusher ----

  queuedRows(): number {
    return this.queuedSnapshots.size + this.queuedLiquidations.length + this.queuedMarkets.size;
  }

  /** Past the bound, the oldest queued rows go (they stay in the window; the disk misses them). */
  private enforceBound(): void {
    let excess = this.queuedSnapshots.size + this.queuedLiquidations.length - this.maxQueuedRows;
    if (excess <= 0) return;
    let snapshots = 0;
    for (const key of this.queuedSnapshots.keys()) {
      if (excess <= 0) break;
      this.queuedSnapshots.delete(key);
      snapshots++;
      excess--;
    }
    const liquidations = Math.min(excess, this.queuedLiquidations.length);
    if (liquidations > 0) this.queuedLiquidations = this.queuedLiquidations.slice(liquidations);
    this.onDropped({ snapshots, liquidations });
  }

  private scheduleFlush(soon = false): void {
    if (this.closed || this.inFlight !== null) return;
    const due = soon || this.queuedSnapshots.size + this.queuedLiquidations.length >= this.flushAtRows;
    if (this.timer !== null && !due) return;
    if (this.flushEveryMs <= 0 && !due) return;
    if (this.timer !== null) clearTimeout(this.timer);
    const delayMs = this.backoffMs > 0 ? this.backoffMs : due ? 0 : this.flushEveryMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.drain().catch((error: unknown) => this.onFlushError(error));
    }, delayMs);
  }

  private hasQueued(): boolean {
    return this.queuedRows() > 0 || this.queuedPrunes.length > 0;
  }

  async flush(): Promise<void> {
    if (this.inFlight !== null) await this.inFlight.catch(() => undefined);
    await this.drain();
  }

  /** Sends batches until the queue is empty; one at a time. */
  private async drain(): Promise<void> {
    if (this.inFlight !== null) return this.inFlight;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const run = (async () => {
      while (this.hasQueued()) await this.flushBatch();
    })();
    this.inFlight = run;
    try {
      await run;
      this.backoffMs = 0;
    } catch (error) {
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(250, this.backoffMs * 2));
      throw error;
    } finally {
      this.inFlight = null;
      if (this.hasQueued()) this.scheduleFlush();
    }
  }

  /** One transaction: the markets, then up to flushAtRows snapshots and liquidations, then one queued prune. */
  private async flushBatch(): Promise<void> {
    const markets = [...this.queuedMarkets];
    const snapshotKeys: string[] = [];
    const snapshots: QueuedSnapshot[] = [];
    for (const [key, queued] of this.queuedSnapshots) {
      if (snapshots.length >= this.flushAtRows) break;
      snapshotKeys.push(key);
      snapshots.push(queued);
    }
    const liquidations = this.queuedLiquidations.slice(0, this.flushAtRows);
    const prune = snapshots.length === 0 && liquidations.length === 0 ? this.queuedPrunes[0] : undefined;
    const ids = await inTransaction(this.pool, async (client) => {
      const written = await this.writeMarkets(client, markets);
      const idOf = (entry: MarketEntry): number => written.get(entry) ?? (entry.id as number);
      if (snapshots.length > 0) await this.writeSnapshots(client, snapshots, idOf);
      if (liquidations.length > 0) await this.writeLiquidations(client, liquidations, idOf);
      return written;
    });
    for (const [entry, id] of ids) {
      entry.id = id;
      this.byId.set(id, entry);
    }
    for (const entry of markets) this.queuedMarkets.delete(entry);
    const sentSnapshots = new Set(snapshots);
    for (const key of snapshotKeys) {
      // A row saved again meanwhile replaced the queued one: that one still has to go.
      const queued = this.queuedSnapshots.get(key);
      if (queued !== undefined && sentSnapshots.has(queued)) this.queuedSnapshots.delete(key);
    }
    // The bound may have dropped some of the batch's liquidations from the head meanwhile: remove by identity.
    const sent = new Set(liquidations);
    this.queuedLiquidations = this.queuedLiquidations.filter((queued) => !sent.has(queued));
    if (prune !== undefined) {
      let pruned: PostgresPruneResult;
      try {
        pruned = await this.deleteOnDisk(prune.beforeAt);
      } catch (error) {
        prune.fail(error);
        this.queuedPrunes.shift();
        throw error;
      }
      this.queuedPrunes.shift();
      prune.done(pruned);
    }
  }

  private async writeMarkets(
    client: pg.PoolClient,
    entries: readonly MarketEntry[],
  ): Promise<Map<MarketEntry, number>> {
    const ids = new Map<MarketEntry, number>();
    if (entries.length === 0) return ids;
    const at = this.now();
    const column = <T>(pick: (entry: MarketEntry) => T): T[] => entries.map(pick);
    // COALESCE: a queued base-only market (known from a snapshot) never clears the info another save gave.
    const result = await client.query<{ id: number; exchange: string; symbol: string }>(
      `INSERT INTO markets (exchange, symbol, base, venue_id, quote, settle, contract_size, first_seen_at, updated_at)
       SELECT e, s, b, v, q, st, c, $8, $8
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[])
         AS u (e, s, b, v, q, st, c)
       ON CONFLICT (exchange, symbol) DO UPDATE SET
         base = COALESCE(excluded.base, markets.base),
         venue_id = COALESCE(excluded.venue_id, markets.venue_id),
         quote = COALESCE(excluded.quote, markets.quote),
         settle = COALESCE(excluded.settle, markets.settle),
         contract_size = COALESCE(excluded.contract_size, markets.contract_size),
         updated_at = excluded.updated_at,
         change_id = nextval('market_change_seq')
       RETURNING id, exchange, symbol`,
      [
        column((e) => e.exchange),
        column((e) => e.symbol),
        column((e) => e.base),
        column((e) => e.info?.venueId ?? null),
        column((e) => e.info?.quote ?? null),
        column((e) => e.info?.settle ?? null),
        column((e) => e.info?.contractSize ?? null),
        at,
      ],
    );
    for (const row of result.rows) {
      const entry = this.byKey.get(`${row.exchange}:${row.symbol}`);
      if (entry !== undefined) ids.set(entry, row.id);
    }
    return ids;
  }

  private async writeSnapshots(
    client: pg.PoolClient,
    snapshots: readonly QueuedSnapshot[],
    idOf: (entry: MarketEntry) => number,
  ): Promise<void> {
    const columns: (number | null)[][] = Array.from({ length: SNAPSHOT_ROW_LENGTH + 1 }, () => []);
    for (const { entry, row } of snapshots) {
      (columns[0] as (number | null)[]).push(idOf(entry));
      for (let c = 0; c < SNAPSHOT_ROW_LENGTH; c++) {
        const value = row[c] as number;
        (columns[c + 1] as (number | null)[]).push(Number.isNaN(value) ? null : value);
      }
    }
    // Casts by column: market_id int, at and next_funding_at int8, the rest float8.
    const casts = ['int4', 'int8', ...SNAPSHOT_VALUE_COLUMNS.map((c) => (c === 'next_funding_at' ? 'int8' : 'float8'))];
    const params = casts.map((cast, i) => `$${i + 1}::${cast}[]`).join(', ');
    await client.query(
      `INSERT INTO snapshots (market_id, at, ${VALUES})
       SELECT * FROM unnest(${params})
       ON CONFLICT (at, market_id) DO UPDATE SET
         ${SNAPSHOT_VALUE_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')},
         change_id = nextval('market_change_seq')`,
      columns,
    );
  }

  private async writeLiquidations(
    client: pg.PoolClient,
    liquidations: readonly QueuedLiquidation[],
    idOf: (entry: MarketEntry) => number,
  ): Promise<void> {
    const pick = <T>(get: (q: QueuedLiquidation) => T): T[] => liquidations.map(get);
    // Buckets count only the rows the insert kept, so a liquidation already on disk is never counted twice.
    await client.query(
      `WITH kept AS (
         INSERT INTO liquidations (at, market_id, side, price, size_base, size_usd)
         SELECT * FROM unnest($1::int8[], $2::int4[], $3::text[], $4::float8[], $5::float8[], $6::float8[])
         ON CONFLICT DO NOTHING
         RETURNING at, market_id, side, size_usd)
       INSERT INTO liquidation_buckets (minute_at, market_id, side, count, size_usd)
       SELECT at - at % ${MINUTE_MS}, market_id, side, count(*), sum(size_usd) FROM kept
       GROUP BY 1, 2, 3
       ON CONFLICT (minute_at, market_id, side) DO UPDATE SET
         count = liquidation_buckets.count + excluded.count,
         size_usd = liquidation_buckets.size_usd + excluded.size_usd`,
      [
        pick((q) => q.liquidation.at),
        pick((q) => idOf(q.entry)),
        pick((q) => q.liquidation.side),
        pick((q) => q.liquidation.price),
        pick((q) => q.liquidation.sizeBase),
        pick((q) => q.liquidation.sizeUsd),
      ],
    );
  }

  // ---- retention ----

  /** Deletes rows before `beforeAt`, at most pruneBatchRows per statement (each its own transaction). */
  private async deleteOnDisk(beforeAt: number): Promise<PostgresPruneResult> {
    return {
      snapshots: await this.deleteInBatches('snapshots', 'at', beforeAt),
      liquidations: await this.deleteInBatches('liquidations', 'at', beforeAt),
      // A bucket goes once its whole minute lies before the cut.
      liquidationBuckets: await this.deleteInBatches('liquidation_buckets', 'minute_at', beforeAt - MINUTE_MS + 1),
    };
  }

  /** Table and column names are constants of this file. */
  private async deleteInBatches(table: string, column: string, bound: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const result = await this.pool.query(
        `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT $2)`,
        [bound, this.pruneBatchRows],
      );
      deleted += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < this.pruneBatchRows) return deleted;
    }
  }

  /**
   * Keeps the last snapshot per market of every 30-minute bucket wholly before `beforeAt`, one statement per
   * bucket (at 2,000 markets every 30 s, 120,000 rows). Buckets already thinned are remembered in memory only.
   */
  private async compact(beforeAt: number): Promise<number> {
    const oldest = await this.pool.query<{ at: number | null }>('SELECT min(at) AS at FROM snapshots');
    const oldestAt = oldest.rows[0]?.at ?? null;
    if (oldestAt === null) return 0;
    let deleted = 0;
    let bucketAt = slotStart(Math.max(oldestAt, this.thinnedBefore), COMPACT_BUCKET_MS);
    for (; bucketAt + COMPACT_BUCKET_MS <= beforeAt; bucketAt += COMPACT_BUCKET_MS) {
      const result = await this.pool.query(
        `DELETE FROM snapshots s USING (
           SELECT market_id, max(at) AS last_at FROM snapshots WHERE at >= $1 AND at < $2 GROUP BY market_id) last
         WHERE s.at >= $1 AND s.at < $2 AND s.market_id = last.market_id AND s.at < last.last_at`,
        [bucketAt, bucketAt + COMPACT_BUCKET_MS],
      );
      deleted += result.rowCount ?? 0;
      this.thinnedBefore = bucketAt + COMPACT_BUCKET_MS;
    }
    return deleted;
  }

  // ---- followers ----

  async refresh(): Promise<void> {
    // One snapshot of the database for all three reads: a row is never seen before the market it belongs to.
    await inTransaction(
      this.pool,
      (client) => this.refreshWith(client),
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
  }

  private async refreshWith(client: pg.PoolClient): Promise<void> {
    const markets = await client.query<MarketChangeRow>(
      `SELECT id, exchange, symbol, base, venue_id, quote, settle, contract_size, change_id
       FROM markets WHERE change_id > $1 ORDER BY change_id`,
      [this.lastChangeId],
    );
    for (const row of markets.rows) this.applyMarketRow(row);
    const at = this.now();
    for (const entry of this.byId.values()) entry.window.advance(at);
    let maxChangeId = this.lastChangeId;
    for (;;) {
      const page = await client.query<SnapshotRow>({
        text: `SELECT market_id, change_id, at, ${VALUES} FROM snapshots
               WHERE change_id > $1 ORDER BY change_id LIMIT ${REFRESH_PAGE_ROWS}`,
        values: [maxChangeId],
        rowMode: 'array',
      });
      for (const raw of page.rows) {
        this.applySnapshotRow(raw);
        maxChangeId = Math.max(maxChangeId, raw[1] as number);
      }
      if (page.rows.length < REFRESH_PAGE_ROWS) break;
    }
    let maxLiquidationId = this.lastChangeId;
    for (;;) {
      const page = await client.query<LiquidationRow>(
        `SELECT market_id, change_id, at, side, price, size_base, size_usd FROM liquidations
         WHERE change_id > $1 ORDER BY change_id LIMIT ${REFRESH_PAGE_ROWS}`,
        [maxLiquidationId],
      );
      for (const row of page.rows) {
        maxLiquidationId = Math.max(maxLiquidationId, row.change_id);
        const entry = this.byId.get(row.market_id);
        if (entry === undefined) continue;
        const key = liquidationKey(row.at, row.side, row.price, row.size_base);
        if (entry.liquidationKeys.has(key)) continue; // this instance saved it itself
        if (row.at >= at - WINDOW_SPAN_MS) entry.liquidationKeys.set(key, row.at);
        entry.window.addToBucket(slotStart(row.at, MINUTE_MS), row.side, 1, row.size_usd);
      }
      if (page.rows.length < REFRESH_PAGE_ROWS) break;
    }
    for (const row of markets.rows) maxChangeId = Math.max(maxChangeId, row.change_id);
    this.sweep(at); // a follower never saves, so its liquidation keys age out here
    this.lastChangeId = Math.max(maxChangeId, maxLiquidationId);
  }

  startRefreshing(everyMs: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return; // a slow refresh is not stacked
      running = true;
      this.refresh()
        .catch((error: unknown) => this.onFlushError(error))
        .finally(() => {
          running = false;
        });
    }, everyMs);
    timer.unref(); // the owner stops it; it alone must not keep the process up
    const stop = (): void => {
      clearInterval(timer);
      this.refreshers.delete(stop);
    };
    this.refreshers.add(stop);
    return stop;
  }

  close(): void {
    this.end().catch((error: unknown) => this.onFlushError(error));
  }

  async end(): Promise<void> {
    if (this.closed) return;
    for (const stop of [...this.refreshers]) stop();
    await this.flush();
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  // ---- reads (from the window) ----

  markets(): readonly MarketInfo[] {
    this.marketsCache ??= marketInfosOf(this.byKey.values());
    return this.marketsCache;
  }

  latestSnapshots(exchange?: ExchangeId): readonly Snapshot[] {
    return latestSnapshotsOf(this.byKey.values(), this.now(), exchange);
  }

  history(exchange: ExchangeId, symbol: string, sinceAt: number): MarketHistory {
    const entry = this.byKey.get(marketKey(exchange, symbol));
    if (entry === undefined) return { exchange, symbol, snapshots: [], liquidationBuckets: [] };
    entry.window.advance(this.now());
    const snapshots: Snapshot[] = [];
    entry.window.forEachSnapshot(sinceAt, (ring, index) => snapshots.push(materialise(entry, ring, index)));
    const liquidationBuckets: LiquidationBucket[] = [];
    entry.window.forEachBucket(sinceAt, (minuteAt, side, count, sizeUsd) =>
      liquidationBuckets.push({ exchange, symbol, minuteAt, side, count, sizeUsd }),
    );
    // By minute, long before short in the same minute (forEachBucket gives all longs, then all shorts).
    liquidationBuckets.sort((a, b) => a.minuteAt - b.minuteAt);
    return { exchange, symbol, snapshots, liquidationBuckets };
  }

  liquidationBuckets(sinceAt: number, exchange?: ExchangeId): readonly LiquidationBucket[] {
    return liquidationBucketsOf(this.byKey.values(), this.now(), sinceAt, exchange);
  }

  // ---- helpers ----

  /** Advances every window now and then (markets without data age out too) and ages the liquidation keys. */
  private sweep(at: number): void {
    if (at - this.lastSweepAt < SWEEP_EVERY_MS) return;
    this.lastSweepAt = at;
    const cut = at - WINDOW_SPAN_MS;
    for (const entry of this.byKey.values()) {
      entry.window.advance(at);
      for (const [key, liquidationAt] of entry.liquidationKeys)
        if (liquidationAt < cut) entry.liquidationKeys.delete(key);
    }
  }

  private report(kind: RowKind, saved: number, rejected: RejectedRow[]): void {
    if (rejected.length === 0) return;
    rejected.sort((a, b) => a.index - b.index);
    this.onRejected(new StoreRejectionError(kind, rejected, saved));
  }
}
