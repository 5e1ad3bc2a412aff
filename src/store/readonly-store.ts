// A read-only view of the bot's store for processes that must not disturb it (the command line beside a running
// bot). It never creates the directory or the database, never writes and never migrates: a store at another
// schema version is refused, not upgraded. Reads go to SQL on each call (no in-memory window), shaped as the
// bot's window shapes them, so a command answers from it what it would answer in the bot.
//
// SQLite in WAL mode lets this connection read while the bot writes. Opening a WAL database that no connection
// has open makes SQLite create its empty `-wal` and `-shm` side files (readers coordinate through them); the
// database file itself is never written.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { exchangeIdSchema, marketKey } from '../domain/market.js';
import type {
  ExchangeId,
  LiquidationBucket,
  MarketHistory,
  MarketInfo,
  PositionSide,
  Snapshot,
} from '../domain/market.js';
import type { MarketDataReader } from '../domain/ports.js';
import { MIGRATIONS } from './migrations.js';
import { SNAPSHOT_ROW_LENGTH, SNAPSHOT_VALUE_COLUMNS, rowToSnapshot } from './snapshot-row.js';
import { marketInfoOf, type MarketRow } from './market-reads.js';
import { DATABASE_FILE } from './sqlite-store.js';
import { COARSE_SLOT_MS, FINE_SPAN_MS, MINUTE_MS, WINDOW_SPAN_MS } from './window.js';

/** Why the store could not be read; the caller chooses the words. */
export type ReadOnlyProblem = 'missing' | 'locked' | 'corrupt' | 'schema' | 'unreadable';

/** A read of the store failed after it opened (the bot locked it too long, a damaged page). */
export class StoreReadError extends Error {
  readonly problem: ReadOnlyProblem;
  readonly path: string;
  constructor(problem: ReadOnlyProblem, path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreReadError';
    this.problem = problem;
    this.path = path;
  }
}

export interface ReadOnlyMarketStore extends MarketDataReader {
  /** Path of the database file. */
  readonly path: string;
  readonly schemaVersion: number;
  /** Time (epoch ms) of the newest snapshot within the window (24 h), or null when there is none. */
  lastSnapshotAt(): number | null;
  close(): void;
}

export type ReadOnlyOpenResult =
  | { ok: true; store: ReadOnlyMarketStore }
  | {
      ok: false;
      problem: ReadOnlyProblem;
      /** The database file looked for. */
      path: string;
      /** SQLite's message, or what did not match (schema versions). */
      detail: string;
      /** For 'schema': the version found (0 when the file has no Spiralwatch schema) and the one this build reads. */
      schema?: { found: number; expected: number };
    };

export interface ReadOnlyOptions {
  /** The reader's clock (epoch ms); the window's 2 h and 24 h boundaries are measured from it. */
  now?: () => number;
  /** How long a read waits for a lock another connection holds (default 2 s). */
  busyTimeoutMs?: number;
}

/** Sorts a failure of SQLite into a problem, by its error code. */
function problemOf(error: unknown): ReadOnlyProblem {
  const code = error instanceof Database.SqliteError ? error.code : '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) return 'corrupt';
  return 'unreadable';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens `dataDir/spiralwatch.db` for reading, or says why it cannot: no file ('missing'), locked, corrupt, at a
 * schema version other than this build's ('schema'), or unreadable otherwise.
 */
export function openStoreReadOnly(dataDir: string, options: ReadOnlyOptions = {}): ReadOnlyOpenResult {
  const path = join(dataDir, DATABASE_FILE);
  if (!existsSync(path)) return { ok: false, problem: 'missing', path, detail: 'no database file' };
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? 2_000 });
  } catch (error) {
    return { ok: false, problem: existsSync(path) ? problemOf(error) : 'missing', path, detail: messageOf(error) };
  }
  try {
    const hasMigrations = db
      .prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .pluck()
      .get() as number;
    const found = hasMigrations
      ? (db.prepare('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() as number)
      : 0;
    const expected = MIGRATIONS.length;
    if (found !== expected) {
      db.close();
      return {
        ok: false,
        problem: 'schema',
        path,
        detail: `schema version ${found}, this build reads ${expected}`,
        schema: { found, expected },
      };
    }
    const store = new ReadOnlyStore(db, path, found, options.now ?? Date.now);
    store.lastSnapshotAt(); // touches the data pages, so a damaged file shows here rather than mid-command
    return { ok: true, store };
  } catch (error) {
    if (db.open) db.close();
    const problem = error instanceof StoreReadError ? error.problem : problemOf(error);
    return { ok: false, problem, path, detail: messageOf(error) };
  }
}

interface MarketEntry {
  readonly id: number;
  readonly exchange: ExchangeId;
  readonly symbol: string;
  readonly base: string;
  readonly info: MarketInfo | null;
}

type SqlValue = number | string | null;

class ReadOnlyStore implements ReadOnlyMarketStore {
  readonly path: string;
  readonly schemaVersion: number;
  private readonly db: Database.Database;
  private readonly now: () => number;
  /** The markets as they were at open; a market the bot adds later is not seen by this (short-lived) reader. */
  private readonly byId = new Map<number, MarketEntry>();
  private readonly byKey = new Map<string, MarketEntry>();
  private readonly row = new Float64Array(SNAPSHOT_ROW_LENGTH);

  constructor(db: Database.Database, path: string, version: number, now: () => number) {
    this.db = db;
    this.path = path;
    this.schemaVersion = version;
    this.now = now;
    const rows = this.read(
      () =>
        db
          .prepare('SELECT id, exchange, symbol, base, venue_id, quote, settle, contract_size FROM markets ORDER BY id')
          .all() as MarketRow[],
    );
    for (const row of rows) {
      const exchange = exchangeIdSchema.safeParse(row.exchange);
      if (!exchange.success) continue; // a venue this build no longer knows, skipped as the store skips it
      const info = marketInfoOf(row, exchange.data);
      const entry = { id: row.id, exchange: exchange.data, symbol: row.symbol, base: row.base ?? '', info };
      this.byId.set(row.id, entry);
      this.byKey.set(marketKey(entry.exchange, entry.symbol), entry);
    }
  }

  markets(): readonly MarketInfo[] {
    return [...this.byId.values()].flatMap((entry) => (entry.info === null ? [] : [entry.info]));
  }

  lastSnapshotAt(): number | null {
    const at = this.read(
      () =>
        this.db.prepare('SELECT max(at) FROM snapshots WHERE at >= ?').pluck().get(this.windowCutoff()) as
          number | null,
    );
    return at ?? null;
  }

  latestSnapshots(exchange?: ExchangeId): readonly Snapshot[] {
    const wanted = [...this.byId.values()].filter((e) => exchange === undefined || e.exchange === exchange);
    const latest = new Map<number, Snapshot>();
    if (wanted.length === 0) return [];
    const ids = new Set(wanted.map((e) => e.id));
    // Newest first, stopping once every market has its row: a normal poll has them all in its last cycle, and
    // the primary key (at, market_id) has no index by market to ask for each one.
    this.read(() => {
      const statement = this.db
        .prepare(
          `SELECT market_id, at, ${SNAPSHOT_VALUE_COLUMNS.join(', ')} FROM snapshots WHERE at >= ? ORDER BY at DESC`,
        )
        .raw();
      for (const raw of statement.iterate(this.windowCutoff()) as Iterable<SqlValue[]>) {
        const id = raw[0] as number;
        if (!ids.has(id) || latest.has(id)) continue;
        latest.set(id, this.snapshotOf(this.byId.get(id) as MarketEntry, raw));
        if (latest.size === ids.size) break;
      }
    });
    return wanted.flatMap((entry) => {
      const snapshot = latest.get(entry.id);
      return snapshot === undefined ? [] : [snapshot];
    });
  }

  history(exchange: ExchangeId, symbol: string, sinceAt: number): MarketHistory {
    const entry = this.byKey.get(marketKey(exchange, symbol));
    if (entry === undefined) return { exchange, symbol, snapshots: [], liquidationBuckets: [] };
    const windowCutoff = this.windowCutoff();
    const fineCutoff = this.now() - FINE_SPAN_MS;
    const values = SNAPSHOT_VALUE_COLUMNS.join(', ');
    return this.read(() => {
      // As the window holds it: the last snapshot of each 5-minute slot before the last 2 h, every one after.
      const coarse = this.db
        .prepare(
          `SELECT market_id, max(at), ${values} FROM snapshots WHERE market_id = ? AND at >= ? AND at < ?
         GROUP BY at / ${COARSE_SLOT_MS} ORDER BY 2`,
        )
        .raw();
      const fine = this.db
        .prepare(`SELECT market_id, at, ${values} FROM snapshots WHERE market_id = ? AND at >= ? ORDER BY at`)
        .raw();
      const buckets = this.db
        .prepare(
          `SELECT minute_at, side, count, size_usd FROM liquidation_buckets WHERE market_id = ? AND minute_at >= ?
         ORDER BY minute_at, side`,
        )
        .raw();
      const rows = [
        ...(coarse.all(entry.id, windowCutoff, fineCutoff) as SqlValue[][]),
        ...(fine.all(entry.id, fineCutoff) as SqlValue[][]),
      ];
      const snapshots = rows.filter((raw) => (raw[1] as number) >= sinceAt).map((raw) => this.snapshotOf(entry, raw));
      const from = Math.max(sinceAt, windowCutoff) - MINUTE_MS + 1;
      const liquidationBuckets = (buckets.all(entry.id, from) as SqlValue[][]).map((raw): LiquidationBucket => ({
        exchange,
        symbol,
        minuteAt: raw[0] as number,
        side: raw[1] as PositionSide,
        count: raw[2] as number,
        sizeUsd: raw[3] as number,
      }));
      return { exchange, symbol, snapshots, liquidationBuckets };
    });
  }

  liquidationBuckets(sinceAt: number, exchange?: ExchangeId): readonly LiquidationBucket[] {
    const from = Math.max(sinceAt, this.windowCutoff()) - MINUTE_MS + 1;
    // Within a minute: markets in registry order, long before short, as the store orders them.
    const rows = this.read(
      () =>
        this.db
          .prepare(
            'SELECT market_id, minute_at, side, count, size_usd FROM liquidation_buckets WHERE minute_at >= ? ORDER BY minute_at, market_id, side',
          )
          .raw()
          .all(from) as SqlValue[][],
    );
    return rows.flatMap((raw): LiquidationBucket[] => {
      const entry = this.byId.get(raw[0] as number);
      if (entry === undefined || (exchange !== undefined && entry.exchange !== exchange)) return [];
      return [
        {
          exchange: entry.exchange,
          symbol: entry.symbol,
          minuteAt: raw[1] as number,
          side: raw[2] as PositionSide,
          count: raw[3] as number,
          sizeUsd: raw[4] as number,
        },
      ];
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private windowCutoff(): number {
    return this.now() - WINDOW_SPAN_MS;
  }

  /** A raw row (market_id, at, values...) as a Snapshot; NULL is NaN in the row layout. */
  private snapshotOf(entry: MarketEntry, raw: readonly SqlValue[]): Snapshot {
    for (let c = 0; c < SNAPSHOT_ROW_LENGTH; c++) {
      const value = raw[c + 1];
      this.row[c] = typeof value === 'number' ? value : Number.NaN;
    }
    return rowToSnapshot(entry.exchange, entry.symbol, entry.base, this.row);
  }

  /** Runs a read; SQLite's failures come out as StoreReadError, so callers can tell them from their own. */
  private read<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw new StoreReadError(problemOf(error), this.path, messageOf(error), { cause: error });
    }
  }
}
