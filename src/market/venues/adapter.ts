// What the poller needs from each venue: its request plan (which bulk endpoints, through which ccxt methods) and
// its raw shapes, turned into our Quote, Liquidation and LeverageTier. One file per venue implements it.
import type { Exchange, MarketInterface as Market } from 'ccxt';
import type { ExchangeId, LeverageTier, Liquidation, LiquidationCoverage } from '../../domain/market.js';
import type { Quote, Rejection, VenueMarket } from '../types.js';

/** What a venue adapter may use while it fetches. */
export interface VenueContext {
  /** The REST instance (ccxt.pro, so the same class also streams). */
  readonly exchange: Exchange;
  /** The one seam every request goes through: retries, rate limits, timeouts, request counting. */
  call<T>(label: string, fn: () => Promise<T>): Promise<T>;
  /** Our market for a venue id as it appears in raw items (BTCUSDT, BTC-USDT-SWAP, BTC for Hyperliquid). */
  marketById(venueId: string): VenueMarket | undefined;
  /** How many markets the venue lists for us, to tell an implausibly short answer. */
  readonly expectedMarkets: number;
  now(): number;
}

export interface BulkQuotes {
  quotes: Map<string, Partial<Quote>>;
  rejections: Rejection[];
  /** Bulk calls that failed this cycle (after retries), by label; the cycle then counts as failed. */
  failures: { label: string; error: unknown }[];
}

export interface LiquidationBatch {
  liquidations: Liquidation[];
  rejections: Rejection[];
}

export interface LiquidationFeed {
  /** `all-market`: one subscription covers every market; `per-symbol`: one topic per market (Bybit). */
  readonly mode: 'all-market' | 'per-symbol';
  readonly coverage: Exclude<LiquidationCoverage, 'not streamed'>;
  /** The `has` key this feed needs. */
  readonly capability: string;
  /** One ccxt watch call; resolves at the next message. `symbol` is set in per-symbol mode. */
  watch(exchange: Exchange, symbol?: string): Promise<unknown>;
  /** The raw `info` of one ccxt liquidation, normalised (OKX packs several fills in one). */
  normalise(info: unknown, marketById: (venueId: string) => VenueMarket | undefined): LiquidationBatch;
}

export interface MarkPriceFeed {
  readonly capability: string;
  /** One ccxt watch call; resolves with the latest items at the next message. */
  watch(exchange: Exchange): Promise<unknown>;
  parse(
    result: unknown,
    marketById: (venueId: string) => VenueMarket | undefined,
  ): {
    quotes: Map<string, Partial<Quote>>;
    rejections: Rejection[];
  };
}

export interface VenueAdapter {
  readonly id: ExchangeId;
  /** Passed to the ccxt constructor (deep-merged): lean market loading, default types. */
  readonly ccxtConfig: Record<string, unknown>;
  /** `has` keys without which the venue cannot be polled. */
  readonly required: readonly string[];
  /** HTTP statuses and body codes that mean "slow down" on this venue (besides ccxt's own classes). */
  readonly rateLimitStatuses: readonly number[];
  readonly rateLimitBodyCodes: readonly string[];
  /** How long a rate-limited answer asks us to wait when it sends no Retry-After (Bybit: a reset timestamp). */
  rateLimitWaitMs?(headers: Readonly<Record<string, string>>, body: string | undefined): number | null;
  /** A loaded ccxt market as ours, or null when it is not a linear USDT/USDC perpetual that trades. */
  toMarket(market: Market, reject: (rejection: Rejection) => void): VenueMarket | null;
  /** Funding intervals that differ from the market listing (Binance `fundingInfo`), by symbol. */
  fetchFundingIntervals?(ctx: VenueContext): Promise<{ intervals: Map<string, number>; rejections: Rejection[] }>;
  /** The bulk fast-cycle reads: prices, funding, and open interest where a bulk call has it. */
  fetchQuotes(ctx: VenueContext): Promise<BulkQuotes>;
  /** Open interest of one market, in contracts, where no bulk call has it (Binance). */
  fetchOpenInterest?(ctx: VenueContext, market: VenueMarket): Promise<number>;
  /** 24 h volume (and last price) from bulk tickers, where the fast-cycle answers lack it (Binance, OKX). */
  fetchVolumes?(ctx: VenueContext): Promise<{
    values: Map<string, { volume24hUsd: number | null; lastPrice: number | null }>;
    rejections: Rejection[];
  }>;
  /** Order-book depth to ask for (levels per side); undefined = ccxt's default. */
  readonly orderBookLimit: number | undefined;
  /** Period of the long/short account ratio, in the venue's spelling; undefined when it has none. */
  readonly longShortPeriod: string | undefined;
  /** Public leverage tiers of one market, where available without keys (Bybit, OKX). */
  fetchLeverageTiers?(
    ctx: VenueContext,
    market: VenueMarket,
  ): Promise<{ tiers: LeverageTier[]; rejections: Rejection[] }>;
  readonly liquidations: LiquidationFeed | undefined;
  readonly markPrices: MarkPriceFeed | undefined;
}

/** The raw `info` of every item of a ccxt answer (a dictionary by symbol, or a list). */
/**
 * The items at `path` of a raw answer (an implicit ccxt call, which skips the unified parse the bot would only undo
 * through `info`), or none when the answer is not shaped so: ccxt hands back a 200 that is not JSON as its text, and
 * the caller's plausibility check then fails it as it fails an empty unified result.
 */
export function itemsAt(answer: unknown, ...path: readonly string[]): unknown[] {
  let value = answer;
  for (const key of path) {
    value =
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  return Array.isArray(value) ? (value as unknown[]) : [];
}

export function infosOf(result: unknown): unknown[] {
  if (result === null || typeof result !== 'object') return [];
  const items: unknown[] = Array.isArray(result) ? result : Object.values(result);
  return items.map((item) =>
    item !== null && typeof item === 'object' && 'info' in item ? (item as { info: unknown }).info : undefined,
  );
}

/** A 200 whose body is not what the venue sends (empty, not JSON, far too short, or items all invalid). Retryable. */
export class ImplausibleResponseError extends Error {
  constructor(
    readonly venue: ExchangeId,
    readonly label: string,
    readonly got: number,
    readonly expected: number,
    /** Items rejected in that answer, so they are still logged (once per field). */
    readonly rejections: readonly Rejection[] = [],
  ) {
    const first = rejections[0];
    const why = first === undefined ? '' : `; items rejected, e.g. ${first.field}: ${first.message}`;
    super(`${venue} ${label}: implausible answer (${got} usable items, expected about ${expected}${why})`);
    this.name = 'ImplausibleResponseError';
  }
}

/**
 * Throws when an answer that should list every market has fewer than half of them usable. ccxt returns `{}` or
 * `[]` for a 200 that is not JSON, so an empty answer is a failure, never "no markets".
 */
export function expectPlausible(
  venue: ExchangeId,
  label: string,
  usable: number,
  expected: number,
  rejections: readonly Rejection[] = [],
): void {
  const floor = Math.max(1, Math.floor(expected * 0.5));
  if (usable < floor) throw new ImplausibleResponseError(venue, label, usable, expected, rejections);
}

/** Is a ccxt market a linear USDT or USDC perpetual that trades? */
export function isLinearStablePerpetual(market: Market): boolean {
  return (
    market.swap === true &&
    market.linear === true &&
    market.active !== false &&
    (market.settle === 'USDT' || market.settle === 'USDC') &&
    market.quote === market.settle
  );
}

/** The market as we keep it: ccxt's unified fields, with what differs per venue given by the caller. */
export function venueMarketOf(
  exchange: ExchangeId,
  market: Market,
  venue: { venueId: string; contractSize?: number; fundingIntervalHours: number | null },
): VenueMarket {
  return {
    exchange,
    symbol: market.symbol,
    venueId: venue.venueId,
    base: market.base,
    quote: market.quote,
    settle: market.settle ?? market.quote,
    contractSize: venue.contractSize ?? market.contractSize ?? 1,
    fundingIntervalHours: venue.fundingIntervalHours,
  };
}

/** A per-symbol answer whose item failed its schema: the request worked, the market's value is rejected. */
export class InvalidItemError extends Error {
  constructor(readonly rejection: Rejection) {
    super(`${rejection.shape} ${rejection.id}: ${rejection.field} ${rejection.message}`);
    this.name = 'InvalidItemError';
  }
}
