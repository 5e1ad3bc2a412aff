// One zod schema per external shape the poller reads: the raw `info` object ccxt keeps from each venue's answer
// (or, for the few unified structures read as they are, the unified shape). Venues send numbers as strings, and OKX
// sends "" for a value it does not have; the helpers below turn both into numbers or null and reject the rest.
import { z } from 'zod';

/** A finite number, sent as a number or a numeric string. */
const num = z
  .union([z.number(), z.string().trim().min(1)])
  .transform((value) => Number(value))
  .pipe(z.number().finite());

const positiveNum = num.pipe(z.number().positive());
const nonNegativeNum = num.pipe(z.number().nonnegative());

/** A number the venue may leave out (absent, null or ""): null then. */
const optionalNum = z.union([z.number(), z.string(), z.null(), z.undefined()]).transform((value, ctx) => {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return null;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) {
    ctx.addIssue({ code: 'custom', message: `not a number: ${String(value).slice(0, 20)}` });
    return z.NEVER;
  }
  return parsed;
});

/** Epoch milliseconds, as a number or a numeric string. */
const epochMs = num.pipe(z.number().int().nonnegative());
/** Epoch milliseconds the venue may leave out; 0 (Binance's "none") also becomes null. */
const optionalEpochMs = optionalNum.transform((value) => (value === null || value <= 0 ? null : Math.trunc(value)));

const id = z.string().min(1);

// ---------------------------------------------------------------------------------------------------------------
// Binance USD-M

/** `GET /fapi/v1/premiumIndex`, one item per symbol (`fetchFundingRates`). */
export const binancePremiumIndexSchema = z.object({
  symbol: id,
  markPrice: positiveNum,
  indexPrice: optionalNum,
  lastFundingRate: optionalNum,
  nextFundingTime: optionalEpochMs,
  time: epochMs.optional(),
});
export type BinancePremiumIndex = z.infer<typeof binancePremiumIndexSchema>;

/** `GET /fapi/v1/openInterest?symbol=` (`fetchOpenInterest`): open interest in contracts (= base units). */
export const binanceOpenInterestSchema = z.object({
  symbol: id,
  openInterest: nonNegativeNum,
  time: epochMs.optional(),
});

/** `GET /fapi/v1/fundingInfo`: only the symbols whose interval differs from the default. */
export const binanceFundingInfoSchema = z.object({
  symbol: id,
  fundingIntervalHours: positiveNum,
});

/** `GET /fapi/v1/ticker/24hr` without a symbol (`fetchTickers`). */
export const binanceTicker24hSchema = z.object({
  symbol: id,
  lastPrice: optionalNum,
  quoteVolume: nonNegativeNum,
});

/** `!markPrice@arr@1s` stream item (`watchMarkPrices`). */
export const binanceMarkPriceUpdateSchema = z.object({
  s: id,
  p: positiveNum,
  i: optionalNum,
  r: optionalNum,
  T: optionalEpochMs,
  E: epochMs,
});

/** `forceOrder` stream order (`watchLiquidationsForSymbols`): S is the side of the liquidation ORDER. */
export const binanceForceOrderSchema = z.object({
  s: id,
  S: z.enum(['BUY', 'SELL']),
  q: positiveNum,
  p: optionalNum,
  ap: optionalNum,
  X: z.string().optional(),
  l: optionalNum,
  z: optionalNum,
  T: epochMs,
});
export type BinanceForceOrder = z.infer<typeof binanceForceOrderSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Bybit v5

/** `GET /v5/market/instruments-info?category=linear` item (the market's `info`): funding interval in minutes. */
export const bybitInstrumentSchema = z.object({
  symbol: id,
  fundingInterval: positiveNum,
});

/** `GET /v5/market/tickers?category=linear` item (`fetchTickers`): open interest in base units, its value in USD. */
export const bybitTickerSchema = z.object({
  symbol: id,
  lastPrice: optionalNum,
  markPrice: positiveNum,
  indexPrice: optionalNum,
  fundingRate: optionalNum,
  nextFundingTime: optionalEpochMs,
  /** "" for a new listing that has none yet: missing, not zero. */
  openInterest: optionalNum.pipe(z.number().nonnegative().nullable()),
  openInterestValue: optionalNum,
  turnover24h: optionalNum,
});
export type BybitTicker = z.infer<typeof bybitTickerSchema>;

/** `allLiquidation.<symbol>` item: S is the side of the liquidated POSITION (Buy = a long was liquidated). */
export const bybitLiquidationSchema = z.object({
  T: epochMs,
  s: id,
  S: z.enum(['Buy', 'Sell']),
  v: positiveNum,
  p: positiveNum,
});
export type BybitLiquidation = z.infer<typeof bybitLiquidationSchema>;

/** `GET /v5/market/risk-limit` item (`fetchMarketLeverageTiers`): riskLimitValue is USD notional. */
export const bybitRiskLimitSchema = z.object({
  id: num.pipe(z.number().int().positive()),
  riskLimitValue: positiveNum,
  maintenanceMargin: nonNegativeNum,
  maxLeverage: positiveNum,
});

// ---------------------------------------------------------------------------------------------------------------
// OKX v5

/** `GET /api/v5/public/funding-rate?instId=ANY` item: fundingTime is the NEXT settlement, nextFundingTime the one after. */
export const okxFundingRateSchema = z.object({
  instId: id,
  /** "" when OKX has no rate for the swap (a new listing): missing, not zero. */
  fundingRate: optionalNum,
  fundingTime: optionalEpochMs,
  nextFundingTime: optionalEpochMs,
});
export type OkxFundingRate = z.infer<typeof okxFundingRateSchema>;

/** `GET /api/v5/public/open-interest?instType=SWAP` item: oi in contracts. */
export const okxOpenInterestSchema = z.object({
  instId: id,
  /** "" when OKX has no figure yet: missing, not zero. */
  oi: optionalNum.pipe(z.number().nonnegative().nullable()),
  oiCcy: optionalNum,
  oiUsd: optionalNum,
});

/** `GET /api/v5/public/mark-price?instType=SWAP` item. */
export const okxMarkPriceSchema = z.object({
  instId: id,
  markPx: positiveNum,
});

/** `GET /api/v5/market/tickers?instType=SWAP` item: volCcy24h is in base currency for derivatives. */
export const okxTickerSchema = z.object({
  instId: id,
  last: optionalNum,
  volCcy24h: nonNegativeNum,
});

/** `GET /api/v5/market/index-tickers?quoteCcy=` answer: the {code, msg, data} envelope (items checked one by one). */
export const okxIndexTickersAnswerSchema = z.object({
  code: z.literal('0'),
  data: z.array(z.unknown()),
});

/** `GET /api/v5/market/index-tickers` item: instId names the index (BTC-USDT), idxPx is "" when OKX has none. */
export const okxIndexTickerSchema = z.object({
  instId: id,
  idxPx: optionalNum.pipe(z.number().positive().nullable()),
});

/** `liquidation-orders` channel item: side is the liquidation ORDER's side, posSide the position's (or `net`). */
export const okxLiquidationSchema = z.object({
  instId: id,
  details: z
    .array(
      z.object({
        side: z.enum(['buy', 'sell']),
        posSide: z.string().optional(),
        sz: positiveNum,
        bkPx: positiveNum,
        ts: epochMs,
      }),
    )
    .min(1),
});
export type OkxLiquidation = z.infer<typeof okxLiquidationSchema>;

/** `GET /api/v5/public/position-tiers` item: minSz and maxSz are in contracts for swaps. */
export const okxPositionTierSchema = z.object({
  tier: num.pipe(z.number().int().positive()),
  minSz: nonNegativeNum,
  maxSz: optionalNum,
  mmr: nonNegativeNum,
  maxLever: positiveNum,
});

// ---------------------------------------------------------------------------------------------------------------
// Hyperliquid

/**
 * `POST /info {"type":"metaAndAssetCtxs"}`: ccxt merges `universe[i]` and `assetCtxs[i]` into one `info` per
 * market. openInterest is in coins; dayNtlVlm is USD notional.
 */
export const hyperliquidAssetSchema = z.object({
  name: id,
  markPx: positiveNum,
  oraclePx: optionalNum,
  midPx: optionalNum,
  funding: num,
  openInterest: nonNegativeNum,
  dayNtlVlm: optionalNum,
});
export type HyperliquidAsset = z.infer<typeof hyperliquidAssetSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Unified ccxt structures read as they are

/** One level of a ccxt order book: [price, amount in contracts]. */
const bookLevel = z.tuple([z.number().finite().positive(), z.number().finite().nonnegative()]).rest(z.unknown());

export const orderBookSchema = z.object({
  bids: z.array(bookLevel),
  asks: z.array(bookLevel),
});
export type RawOrderBook = z.infer<typeof orderBookSchema>;

/** A point of `fetchLongShortRatioHistory`. */
export const longShortPointSchema = z.object({
  timestamp: num.pipe(z.number().int().nonnegative()),
  longShortRatio: positiveNum,
});
