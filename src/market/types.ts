// Types shared inside src/market. The domain types (Snapshot, Liquidation, VenueHealth...) live in domain/market.ts;
// these are the poller's own working shapes.
import type { ExchangeId, LeverageTier, MarketInfo, VenueHealth } from '../domain/market.js';

/** A market the poller may watch: a linear USDT/USDC perpetual, active, matching SYMBOLS. */
export interface VenueMarket extends MarketInfo {
  /** Funding interval known from the market listing (Bybit) or the venue's rule (Hyperliquid: 1 h); else null. */
  fundingIntervalHours: number | null;
}

/** What one fast cycle learned about one market; null = the answer did not carry it. */
export interface Quote {
  markPrice: number | null;
  indexPrice: number | null;
  lastPrice: number | null;
  fundingRate: number | null;
  nextFundingAt: number | null;
  /** Interval implied by this answer (OKX: the spacing of its two funding times); null when it says nothing. */
  fundingIntervalHours: number | null;
  /** Open interest in contracts, when this answer carries it (every venue but Binance). */
  openInterestContracts: number | null;
  volume24hUsd: number | null;
}

/** A raw item that failed its schema: rejected for that market only, logged once per venue, shape and field. */
export interface Rejection {
  shape: string;
  /** The venue's id of the item (symbol, instId, coin name) when readable. */
  id: string;
  field: string;
  message: string;
}

/** Raw items of one bulk answer, parsed: values by unified symbol. */
export interface Parsed<T> {
  values: Map<string, T>;
  rejections: Rejection[];
  /** Items in the answer, before any filtering. */
  received: number;
}

/** The three jobs each venue runs on its own schedule. */
export type JobKind = 'fast' | 'depth' | 'slow';

/** What one fast cycle of one venue did; `pollOnce` returns one per venue. */
export interface VenueCycleReport {
  exchange: ExchangeId;
  /** Snapshots written. */
  marketsUpdated: number;
  /** REST requests sent (retries included). */
  requests: number;
  /** Failed requests (after retries) plus rejected items and snapshots. */
  errors: number;
  durationMs: number;
  /** False when the venue's bulk data could not be read this cycle (counts toward `degraded`). */
  ok: boolean;
  /** The failure that made the cycle fail, without secrets. */
  error: string | null;
  /** True when the job was still running from its previous tick and this run was skipped. */
  skipped?: boolean;
}

/** VenueHealth plus what the poller knows beyond the domain's port. */
export interface VenueStatus extends VenueHealth {
  /** Capabilities `exchange.has` does not offer, read at start-up; the features needing them are off. */
  missingCapabilities: string[];
  /** Scheduled runs skipped because the previous run of the same job was still going. */
  skippedRuns: Record<JobKind, number>;
  /** REST requests since start. */
  requests: number;
  /** Until when the venue asked us to stop (Retry-After), epoch ms by the service clock; null when not limited. */
  rateLimitedUntil: number | null;
  /** Binance: cycles within which every watched market's open interest is refreshed; null elsewhere. */
  openInterestRefreshCycles: number | null;
}

export type LeverageTiersBySymbol = ReadonlyMap<string, readonly LeverageTier[]>;

/** One REST request as the seam saw it (every attempt, retries included). */
export interface RequestSample {
  exchange: ExchangeId;
  /** The call it belonged to (`loadMarkets`, `fetchFundingRates`...): a small, fixed set per venue. */
  endpoint: string;
  /** Wall milliseconds from sending to the answer (or the failure). */
  durationMs: number;
  /** False when the request failed (HTTP error, timeout, network error). */
  ok: boolean;
}

/**
 * Optional observers of the market service, for metrics. Called synchronously; they must not throw (a throw is
 * caught and ignored) and must be cheap.
 */
export interface MarketEvents {
  request?(sample: RequestSample): void;
  /** A job finished (its report; `durationMs` is the job's whole run). Skipped runs are not reported here. */
  job?(kind: JobKind, report: VenueCycleReport): void;
}
