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

// ---- Chat subscriptions (issue: chat). Implemented by src/store/subscriptions.ts. ----

/** Risk levels, lowest first, as alerts and subscriptions use them. */
export const ALERT_LEVELS = ['calm', 'elevated', 'warning', 'critical'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];
export const MARKET_REGIMES = ['loaded', 'unwinding', 'quiet'] as const;
export type MarketRegime = (typeof MARKET_REGIMES)[number];

/** A chat or channel on a platform: a Telegram chat id, a Discord channel id. */
export interface ChatRef {
  platform: 'discord' | 'telegram' | 'console' | 'cli';
  id: string;
}

/** One chat's alert subscription (one per chat); null filters mean "all". */
export interface Subscription {
  id: number;
  chat: ChatRef;
  /** Market filters as typed (`BTC`, `binanceusdm:BTC/USDT:USDT`), upper-cased bases or full keys; null = all. */
  markets: readonly string[] | null;
  minLevel: AlertLevel;
  regimes: readonly MarketRegime[] | null;
  /** Platform user id of whoever subscribed, when known. */
  createdBy: string | null;
  createdAt: number;
  paused: boolean;
  pausedReason: string | null;
}

export interface SubscriptionInput {
  chat: ChatRef;
  markets: readonly string[] | null;
  minLevel: AlertLevel;
  regimes: readonly MarketRegime[] | null;
  createdBy: string | null;
  createdAt: number;
}

export interface SubscriptionStore {
  /** Creates the chat's subscription or replaces its filters (and resumes it). */
  upsert(input: SubscriptionInput): Subscription;
  /** Removes the chat's subscription; false when it had none. */
  remove(chat: ChatRef): boolean;
  forChat(chat: ChatRef): Subscription | undefined;
  /** Subscriptions that are not paused, optionally of one platform. */
  active(platform?: ChatRef['platform']): readonly Subscription[];
  pause(chat: ChatRef, reason: string): void;
  /** A chat got a new id (Telegram group → supergroup). */
  moveChat(chat: ChatRef, toId: string): void;
}
