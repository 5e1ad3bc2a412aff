// Pure normalisation shared by the venues: parsing raw items against their schema, funding annualisation, open
// interest in USD, order-book depth bands, and the Snapshot and Liquidation builders. No I/O, no ccxt.
import type { z } from 'zod';
import { DEPTH_BANDS_PERCENT, snapshotSchema } from '../domain/market.js';
import type { DepthBand, ExchangeId, Liquidation, PositionSide, Snapshot } from '../domain/market.js';
import type { RawOrderBook } from './schemas.js';
import type { Parsed, Quote, Rejection, VenueMarket } from './types.js';

export const HOURS_PER_YEAR = 24 * 365;

/** Funding per interval scaled to a year: rate x (8760 / interval hours). */
export function annualizedFundingRate(rate: number | null, intervalHours: number | null): number | null {
  if (rate === null || intervalHours === null || !(intervalHours > 0)) return null;
  return rate * (HOURS_PER_YEAR / intervalHours);
}

/** Open interest in USD: contracts x contract size x mark price (USDT and USDC taken at 1 USD). */
export function openInterestUsd(
  contracts: number | null,
  contractSize: number,
  markPrice: number | null,
): number | null {
  if (contracts === null || markPrice === null) return null;
  return contracts * contractSize * markPrice;
}

/** Hours between two funding times, when they look like a funding interval (a whole number of hours, 1..24). */
export function intervalHoursBetween(firstAt: number | null, secondAt: number | null): number | null {
  if (firstAt === null || secondAt === null || secondAt <= firstAt) return null;
  const hours = (secondAt - firstAt) / 3_600_000;
  const rounded = Math.round(hours);
  return rounded >= 1 && rounded <= 24 && Math.abs(hours - rounded) < 0.01 ? rounded : null;
}

/**
 * Cumulative resting USD within each band of the mid price. Amounts are in contracts, so each level counts
 * price x amount x contractSize. A book that does not reach a band's edge gives a lower bound for that band.
 * Null when either side is empty.
 */
export function depthBands(
  book: RawOrderBook,
  contractSize: number,
  bandsPercent: readonly number[] = DEPTH_BANDS_PERCENT,
): DepthBand[] | null {
  const bestBid = Math.max(...book.bids.map((level) => level[0]));
  const bestAsk = Math.min(...book.asks.map((level) => level[0]));
  if (!Number.isFinite(bestBid) || !Number.isFinite(bestAsk) || bestBid <= 0 || bestAsk <= 0) return null;
  const mid = (bestBid + bestAsk) / 2;
  return bandsPercent.map((withinPercent) => {
    const low = mid * (1 - withinPercent / 100);
    const high = mid * (1 + withinPercent / 100);
    let bidUsd = 0;
    let askUsd = 0;
    for (const [price, amount] of book.bids) if (price >= low) bidUsd += price * amount * contractSize;
    for (const [price, amount] of book.asks) if (price <= high) askUsd += price * amount * contractSize;
    return { withinPercent, bidUsd, askUsd };
  });
}

/** A fresh quote with nothing known. */
export function emptyQuote(): Quote {
  return {
    markPrice: null,
    indexPrice: null,
    lastPrice: null,
    fundingRate: null,
    nextFundingAt: null,
    fundingIntervalHours: null,
    openInterestContracts: null,
    volume24hUsd: null,
  };
}

/** Merges parts of quotes from several answers (OKX reads three), later non-null values winning. */
export function mergeQuotes(...parts: ReadonlyArray<Partial<Quote> | undefined>): Quote {
  const merged = emptyQuote();
  for (const part of parts) {
    if (part === undefined) continue;
    for (const key of Object.keys(part) as (keyof Quote)[]) {
      const value = part[key];
      if (value !== null && value !== undefined) merged[key] = value;
    }
  }
  return merged;
}

/** The first message of a zod error, as a `field` and a short text. */
function describeIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { field: '(item)', message: 'invalid' };
  return { field: issue.path.length === 0 ? '(item)' : issue.path.map(String).join('.'), message: issue.message };
}

/** A Rejection from a zod error: the first issue's field and message. */
export function rejectionOf(shape: string, id: string, error: z.ZodError): Rejection {
  return { shape, id, ...describeIssue(error) };
}

function readableId(item: unknown, idKeys: readonly string[]): string {
  if (item === null || typeof item !== 'object') return '?';
  for (const key of idKeys) {
    const value = (item as Record<string, unknown>)[key];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return '?';
}

/**
 * Parses raw items against `schema`. Items of markets we do not watch (inverse swaps, other settle currencies,
 * unlisted ids) are skipped before validation; an invalid item of a watched market becomes a Rejection.
 */
export function parseItems<S extends z.ZodType, T>(
  shape: string,
  schema: S,
  items: readonly unknown[],
  options: {
    /** Keys that hold the venue's id in a raw item, the first present wins. */
    idKeys: readonly string[];
    marketOf: (venueId: string) => VenueMarket | undefined;
    map: (item: z.output<S>, market: VenueMarket) => T;
  },
): Parsed<T> {
  const values = new Map<string, T>();
  const rejections: Rejection[] = [];
  for (const item of items) {
    const id = readableId(item, options.idKeys);
    const market = options.marketOf(id);
    if (market === undefined) continue;
    const result = schema.safeParse(item);
    if (!result.success) {
      rejections.push({ shape, id, ...describeIssue(result.error) });
      continue;
    }
    values.set(market.symbol, options.map(result.data, market));
  }
  return { values, rejections, received: items.length };
}

/** Validates one value against `schema`, as a Rejection on failure. */
export function parseOne<S extends z.ZodType>(
  shape: string,
  id: string,
  schema: S,
  value: unknown,
): { ok: true; value: z.output<S> } | { ok: false; rejection: Rejection } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, rejection: { shape, id, ...describeIssue(result.error) } };
}

export interface SnapshotParts {
  market: VenueMarket;
  at: number;
  quote: Quote;
  /** Open interest in contracts: this cycle's, or the last known when this venue refreshes it less often. */
  openInterestContracts: number | null;
  volume24hUsd: number | null;
  lastPrice: number | null;
  depthBands: DepthBand[] | null;
  longShortAccountRatio: number | null;
}

/** Builds a Snapshot and validates it with snapshotSchema; a failure is a Rejection of shape `snapshot`. */
export function buildSnapshot(
  parts: SnapshotParts,
): { ok: true; snapshot: Snapshot } | { ok: false; rejection: Rejection } {
  const { market, quote } = parts;
  const fundingIntervalHours = quote.fundingIntervalHours ?? market.fundingIntervalHours;
  const candidate: Snapshot = {
    exchange: market.exchange,
    symbol: market.symbol,
    base: market.base,
    at: parts.at,
    markPrice: quote.markPrice,
    indexPrice: quote.indexPrice,
    lastPrice: parts.lastPrice,
    fundingRate: quote.fundingRate,
    fundingIntervalHours,
    nextFundingAt: quote.nextFundingAt,
    fundingRateAnnualized: annualizedFundingRate(quote.fundingRate, fundingIntervalHours),
    openInterestContracts: parts.openInterestContracts,
    openInterestUsd: openInterestUsd(parts.openInterestContracts, market.contractSize, quote.markPrice),
    volume24hUsd: parts.volume24hUsd,
    depthBands: parts.depthBands,
    longShortAccountRatio: parts.longShortAccountRatio,
  };
  const checked = parseOne('snapshot', market.symbol, snapshotSchema, candidate);
  return checked.ok ? { ok: true, snapshot: checked.value } : { ok: false, rejection: checked.rejection };
}

/** Builds a Liquidation from a venue's fill: size in contracts, USD computed here (Binance sends no quote value). */
export function buildLiquidation(
  exchange: ExchangeId,
  market: VenueMarket,
  fill: { at: number; side: PositionSide; price: number; contracts: number },
): Liquidation {
  const sizeBase = fill.contracts * market.contractSize;
  return {
    exchange,
    symbol: market.symbol,
    at: fill.at,
    side: fill.side,
    price: fill.price,
    sizeBase,
    sizeUsd: sizeBase * fill.price,
  };
}

/** Content key of a liquidation, to drop the same event seen twice (reconnects, OKX backlog replays). */
export function liquidationKey(liquidation: Liquidation): string {
  return [
    liquidation.exchange,
    liquidation.symbol,
    liquidation.at,
    liquidation.side,
    liquidation.price,
    liquidation.sizeBase,
  ].join('|');
}
