// What the SQLite and the Postgres stores share on the read side: the markets table's row, and the reads every
// store serves from its in-memory window (src/store/window.ts) of each market.
import type { ExchangeId, LiquidationBucket, MarketInfo, Snapshot } from '../domain/market.js';
import type { ColumnRing } from './column-ring.js';
import { SNAPSHOT_ROW_LENGTH, rowToSnapshot } from './snapshot-row.js';
import type { MarketWindow } from './window.js';

/** A row of the markets table (the same columns in SQLite and Postgres). */
export interface MarketRow {
  id: number;
  exchange: string;
  symbol: string;
  base: string | null;
  venue_id: string | null;
  quote: string | null;
  settle: string | null;
  contract_size: number | null;
}

/** The market a row describes, or null while the row lacks what a fast cycle fills in (base, quote, ...). */
export function marketInfoOf(row: MarketRow, exchange: ExchangeId): MarketInfo | null {
  if (row.base === null || row.venue_id === null || row.quote === null || row.settle === null) return null;
  if (row.contract_size === null) return null;
  return {
    exchange,
    symbol: row.symbol,
    venueId: row.venue_id,
    base: row.base,
    quote: row.quote,
    settle: row.settle,
    contractSize: row.contract_size,
  };
}

/** A market as a store holds it in memory. */
export interface WindowedMarket {
  readonly exchange: ExchangeId;
  readonly symbol: string;
  /** Known once a snapshot or the market info gave it. */
  base: string | null;
  info: MarketInfo | null;
  readonly window: MarketWindow;
}

const readScratch = new Float64Array(SNAPSHOT_ROW_LENGTH);

/** A fresh Snapshot of a window row. */
export function materialise(entry: WindowedMarket, ring: ColumnRing, index: number): Snapshot {
  ring.readRow(index, readScratch);
  return rowToSnapshot(entry.exchange, entry.symbol, entry.base ?? '', readScratch);
}

/** The markets with their info (those known only from their data are left out). */
export function marketInfosOf(entries: Iterable<WindowedMarket>): readonly MarketInfo[] {
  const infos: MarketInfo[] = [];
  for (const entry of entries) if (entry.info !== null) infos.push(entry.info);
  return Object.freeze(infos);
}

/** The latest snapshot of every market, or of the markets of one exchange, as of `at`. */
export function latestSnapshotsOf(entries: Iterable<WindowedMarket>, at: number, exchange?: ExchangeId): Snapshot[] {
  const snapshots: Snapshot[] = [];
  for (const entry of entries) {
    if (exchange !== undefined && entry.exchange !== exchange) continue;
    entry.window.advance(at);
    const latest = entry.window.latest();
    if (latest !== null) snapshots.push(materialise(entry, latest.ring, latest.index));
  }
  return snapshots;
}

/** Every market's liquidation buckets since `sinceAt` as of `at`, by minute. */
export function liquidationBucketsOf(
  entries: Iterable<WindowedMarket>,
  at: number,
  sinceAt: number,
  exchange?: ExchangeId,
): LiquidationBucket[] {
  const buckets: LiquidationBucket[] = [];
  for (const entry of entries) {
    if (exchange !== undefined && entry.exchange !== exchange) continue;
    entry.window.advance(at);
    entry.window.forEachBucket(sinceAt, (minuteAt, side, count, sizeUsd) =>
      buckets.push({ exchange: entry.exchange, symbol: entry.symbol, minuteAt, side, count, sizeUsd }),
    );
  }
  return buckets.sort((a, b) => a.minuteAt - b.minuteAt);
}
