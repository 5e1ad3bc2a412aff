// Builders of valid domain values for tests: each returns a value that passes its zod schema, with the fields
// given in `overrides` replaced. Defaults describe Binance's BTC perpetual on 2025-10-10 at 20:00 UTC.
// When a symbol is overridden and base (or quote/settle) is not, they are derived from the ccxt unified symbol
// (`BASE/QUOTE:SETTLE`), so `buildSnapshot({ symbol: 'ETH/USDT:USDT' })` is an ETH snapshot.
import { DEPTH_BANDS_PERCENT } from '../src/domain/market.js';
import type { DepthBand, Liquidation, LiquidationBucket, MarketInfo, Snapshot } from '../src/domain/market.js';

/** 2025-10-10T20:00:00Z, a minute and a 5-minute boundary. */
export const BASE_TIME = Date.UTC(2025, 9, 10, 20, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

function symbolParts(symbol: string): { base: string; quote: string; settle: string } {
  const match = /^([^/]+)\/([^:]+)(?::(.+))?$/.exec(symbol);
  if (match === null) return { base: symbol, quote: 'USDT', settle: 'USDT' };
  const [, base = symbol, quote = 'USDT', settle] = match;
  return { base, quote, settle: settle ?? quote };
}

/** Depth bands at every DEPTH_BANDS_PERCENT; depth grows with distance from mid. */
export function buildDepthBands(bidUsdAtHalfPercent = 2_000_000, askUsdAtHalfPercent = 1_800_000): DepthBand[] {
  return DEPTH_BANDS_PERCENT.map((withinPercent) => ({
    withinPercent,
    bidUsd: bidUsdAtHalfPercent * withinPercent * 2,
    askUsd: askUsdAtHalfPercent * withinPercent * 2,
  }));
}

export function buildSnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  const symbol = overrides.symbol ?? 'BTC/USDT:USDT';
  const markPrice = 121_500;
  return {
    exchange: 'binanceusdm',
    symbol,
    base: symbolParts(symbol).base,
    at: BASE_TIME,
    markPrice,
    indexPrice: 121_480.5,
    lastPrice: 121_510.1,
    fundingRate: 0.0001,
    fundingIntervalHours: 8,
    nextFundingAt: BASE_TIME + 4 * HOUR,
    fundingRateAnnualized: 0.0001 * 3 * 365,
    openInterestContracts: 85_000,
    openInterestUsd: 85_000 * markPrice,
    volume24hUsd: 18_000_000_000,
    depthBands: buildDepthBands(),
    longShortAccountRatio: 1.85,
    ...overrides,
  };
}

/** A snapshot where the venue gave nothing but the time: every nullable field null. */
export function buildEmptySnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return buildSnapshot({
    markPrice: null,
    indexPrice: null,
    lastPrice: null,
    fundingRate: null,
    fundingIntervalHours: null,
    nextFundingAt: null,
    fundingRateAnnualized: null,
    openInterestContracts: null,
    openInterestUsd: null,
    volume24hUsd: null,
    depthBands: null,
    longShortAccountRatio: null,
    ...overrides,
  });
}

export function buildLiquidation(overrides: Partial<Liquidation> = {}): Liquidation {
  const price = overrides.price ?? 120_000;
  const sizeBase = overrides.sizeBase ?? 0.5;
  return {
    exchange: 'binanceusdm',
    symbol: 'BTC/USDT:USDT',
    at: BASE_TIME + 1_234,
    side: 'long',
    price,
    sizeBase,
    sizeUsd: price * sizeBase,
    ...overrides,
  };
}

export function buildMarketInfo(overrides: Partial<MarketInfo> = {}): MarketInfo {
  const symbol = overrides.symbol ?? 'BTC/USDT:USDT';
  const parts = symbolParts(symbol);
  return {
    exchange: 'binanceusdm',
    symbol,
    venueId: `${parts.base}${parts.quote}`,
    base: parts.base,
    quote: parts.quote,
    settle: parts.settle,
    contractSize: 1,
    ...overrides,
  };
}

export function buildLiquidationBucket(overrides: Partial<LiquidationBucket> = {}): LiquidationBucket {
  return {
    exchange: 'binanceusdm',
    symbol: 'BTC/USDT:USDT',
    minuteAt: BASE_TIME,
    side: 'long',
    count: 1,
    sizeUsd: 60_000,
    ...overrides,
  };
}

/** `count` snapshots of one market every `stepMs` from `fromAt`, each built with `overrides(i, at)`. */
export function buildSnapshotSeries(
  count: number,
  fromAt: number,
  stepMs: number,
  overrides: (index: number, at: number) => Partial<Snapshot> = () => ({}),
): Snapshot[] {
  return Array.from({ length: count }, (_, i) => {
    const at = fromAt + i * stepMs;
    return buildSnapshot({ at, ...overrides(i, at) });
  });
}
