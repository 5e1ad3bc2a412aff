import { z } from 'zod';

/** The venues Spiralwatch knows, by ccxt id. */
export const EXCHANGE_IDS = ['binanceusdm', 'bybit', 'okx', 'hyperliquid'] as const;
export const exchangeIdSchema = z.enum(EXCHANGE_IDS);
export type ExchangeId = z.infer<typeof exchangeIdSchema>;

/** `exchange:SYMBOL` with ccxt's unified symbol, e.g. `binanceusdm:BTC/USDT:USDT`. */
export type MarketKey = `${ExchangeId}:${string}`;

export function marketKey(exchange: ExchangeId, symbol: string): MarketKey {
  return `${exchange}:${symbol}`;
}

/** Order-book depth is measured cumulatively within these distances of the mid price, in percent. */
export const DEPTH_BANDS_PERCENT = [0.5, 1, 2, 5] as const;

const epochMs = z.number().int().nonnegative();
const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();

export const depthBandSchema = z.object({
  withinPercent: positive,
  /** Resting bids between mid and mid x (1 - withinPercent/100), in USD. */
  bidUsd: nonNegative,
  /** Resting asks between mid and mid x (1 + withinPercent/100), in USD. */
  askUsd: nonNegative,
});
export type DepthBand = z.infer<typeof depthBandSchema>;

export const marketInfoSchema = z.object({
  exchange: exchangeIdSchema,
  /** ccxt unified symbol, e.g. `BTC/USDT:USDT`. */
  symbol: z.string().min(1),
  /** The venue's own id, e.g. `BTCUSDT`. */
  venueId: z.string().min(1),
  base: z.string().min(1),
  quote: z.string().min(1),
  settle: z.string().min(1),
  /** Base units per contract (1 on most linear perpetuals). */
  contractSize: positive,
});
export type MarketInfo = z.infer<typeof marketInfoSchema>;

/**
 * One market's state at one poll. `null` means the venue did not give the value (never 0).
 * Rates are fractions (0.0001 = 0.01%).
 */
export const snapshotSchema = z.object({
  exchange: exchangeIdSchema,
  symbol: z.string().min(1),
  base: z.string().min(1),
  at: epochMs,
  markPrice: positive.nullable(),
  indexPrice: positive.nullable(),
  lastPrice: positive.nullable(),
  /** Funding paid per interval, as a fraction; positive means longs pay shorts. */
  fundingRate: z.number().finite().nullable(),
  fundingIntervalHours: positive.nullable(),
  nextFundingAt: epochMs.nullable(),
  /** fundingRate scaled to a year (rate x intervals per year), as a fraction. */
  fundingRateAnnualized: z.number().finite().nullable(),
  openInterestContracts: nonNegative.nullable(),
  openInterestUsd: nonNegative.nullable(),
  volume24hUsd: nonNegative.nullable(),
  /** Cumulative depth per band of DEPTH_BANDS_PERCENT, measured for the top markets only. */
  depthBands: z.array(depthBandSchema).nullable(),
  /** Long accounts over short accounts, where the venue publishes it. */
  longShortAccountRatio: positive.nullable(),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

/** Which side's position was closed by the liquidation (a long is liquidated by a sell order). */
export const positionSideSchema = z.enum(['long', 'short']);
export type PositionSide = z.infer<typeof positionSideSchema>;

export const liquidationSchema = z.object({
  exchange: exchangeIdSchema,
  symbol: z.string().min(1),
  at: epochMs,
  side: positionSideSchema,
  price: positive,
  /** Size in base units (coins), after applying the contract size. */
  sizeBase: positive,
  sizeUsd: positive,
});
export type Liquidation = z.infer<typeof liquidationSchema>;

/** Liquidations of one market and side summed over one minute. */
export const liquidationBucketSchema = z.object({
  exchange: exchangeIdSchema,
  symbol: z.string().min(1),
  /** Start of the minute, epoch ms. */
  minuteAt: epochMs,
  side: positionSideSchema,
  count: z.number().int().positive(),
  sizeUsd: nonNegative,
});
export type LiquidationBucket = z.infer<typeof liquidationBucketSchema>;

/** Recent history of one market, oldest first, as the risk engine reads it. */
export interface MarketHistory {
  exchange: ExchangeId;
  symbol: string;
  snapshots: readonly Snapshot[];
  liquidationBuckets: readonly LiquidationBucket[];
}

export type VenueHealthState = 'ok' | 'degraded' | 'disabled' | 'not polled';
/** How the bot sees a venue's liquidations: `sampled` feeds publish at most one per symbol per interval. */
export type LiquidationCoverage = 'all' | 'sampled' | 'not streamed';
export type StreamState = 'streaming' | 'reconnecting' | 'stopped' | 'not streamed';

export interface VenueHealth {
  exchange: ExchangeId;
  state: VenueHealthState;
  marketsWatched: number;
  lastSuccessAt: number | null;
  consecutiveFailures: number;
  /** Last failure, already free of secrets, for `status`. */
  lastError: string | null;
  liquidationStream: StreamState;
  liquidationCoverage: LiquidationCoverage;
  lastLiquidationAt: number | null;
}

/**
 * One step of a market's public leverage (risk-limit) table, as the risk engine reads it. A position whose size is
 * between `floor` and `cap` (in `unit`: USD notional on Bybit, base units on OKX, whose tiers are in contracts)
 * may use at most `maxLeverage` and is liquidated below `maintenanceMarginRate`.
 */
export const leverageTierSchema = z.object({
  tier: z.number().int().positive(),
  unit: z.enum(['usd', 'base']),
  floor: nonNegative,
  /** `null` for the last, open-ended tier. */
  cap: positive.nullable(),
  maintenanceMarginRate: nonNegative,
  maxLeverage: positive,
});
export type LeverageTier = z.infer<typeof leverageTierSchema>;
