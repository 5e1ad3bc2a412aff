// The ports the domain and the edges meet at. The SQLite store implements the storage ports; the market
// module implements the venue-health port. The command core and the risk engine read through these only.
import type {
  ExchangeId,
  Liquidation,
  LiquidationBucket,
  MarketHistory,
  MarketInfo,
  Snapshot,
  VenueHealth,
} from './market.js';

/** Where market data is written. Implemented by the SQLite store (and by in-memory fakes in tests). */
export interface MarketDataSink {
  saveMarkets(markets: readonly MarketInfo[]): void;
  saveSnapshots(snapshots: readonly Snapshot[]): void;
  /** Stores liquidations not seen before (the same event may arrive again after a reconnect); returns how many were new. */
  saveLiquidations(liquidations: readonly Liquidation[]): number;
}

/** What the risk engine and the commands read. */
export interface MarketDataReader {
  markets(): readonly MarketInfo[];
  /** The latest snapshot of every market, or of the markets of one exchange. */
  latestSnapshots(exchange?: ExchangeId): readonly Snapshot[];
  /** The in-memory window (up to 24 h) of one market, oldest first. */
  history(exchange: ExchangeId, symbol: string, sinceAt: number): MarketHistory;
  liquidationBuckets(sinceAt: number, exchange?: ExchangeId): readonly LiquidationBucket[];
}

export interface MarketStore extends MarketDataSink, MarketDataReader {
  /** Deletes rows older than `beforeAt`; returns what was deleted. */
  prune(beforeAt: number): { snapshots: number; liquidations: number };
  close(): void;
}

/** How each venue is doing, for `status`. */
export interface VenueHealthReader {
  venueHealth(): readonly VenueHealth[];
}
