// Binance USD-M. Request plan per fast cycle: `GET /fapi/v1/premiumIndex` (fetchFundingRates: mark, index, funding,
// next funding for every symbol; skipped while the `!markPrice@arr@1s` stream is fresh) + `GET /fapi/v1/openInterest`
// per symbol on a tiered cadence (there is no bulk open interest). Once a minute `GET /fapi/v1/ticker/24hr` for 24 h
// volume; at start and every slow run `GET /fapi/v1/fundingInfo`, which lists only the symbols whose funding
// interval is not the default 8 h.
import type { MarketInterface as Market } from 'ccxt';
import {
  binanceForceOrderSchema,
  binanceFundingInfoSchema,
  binanceMarkPriceUpdateSchema,
  binanceOpenInterestSchema,
  binancePremiumIndexSchema,
  binanceTicker24hSchema,
} from '../schemas.js';
import type { BinanceForceOrder } from '../schemas.js';
import { buildLiquidation, parseItems, parseOne } from '../normalise.js';
import type { Quote, VenueMarket } from '../types.js';
import {
  expectPlausible,
  infosOf,
  InvalidItemError,
  isLinearStablePerpetual,
  itemsAt,
  venueMarketOf,
} from './adapter.js';
import type { LiquidationBatch, VenueAdapter, VenueContext } from './adapter.js';
import type { Liquidation } from '../../domain/market.js';

const VENUE = 'binanceusdm';
export const BINANCE_DEFAULT_FUNDING_HOURS = 8;

export function binanceMarket(market: Market): VenueMarket | null {
  if (!isLinearStablePerpetual(market) || typeof market.id !== 'string') return null;
  return venueMarketOf(VENUE, market, { venueId: market.id, fundingIntervalHours: BINANCE_DEFAULT_FUNDING_HOURS });
}

/** premiumIndex items as quotes (mark, index, funding, next funding). */
export function parseBinancePremiumIndex(items: readonly unknown[], marketOf: (id: string) => VenueMarket | undefined) {
  return parseItems('binanceusdm.premiumIndex', binancePremiumIndexSchema, items, {
    idKeys: ['symbol'],
    marketOf,
    map: (item): Partial<Quote> => ({
      markPrice: item.markPrice,
      indexPrice: item.indexPrice !== null && item.indexPrice > 0 ? item.indexPrice : null,
      fundingRate: item.lastFundingRate,
      nextFundingAt: item.nextFundingTime,
    }),
  });
}

/** `!markPrice@arr@1s` items as quotes: the same fields as premiumIndex, pushed every second. */
export function parseBinanceMarkPriceUpdates(
  items: readonly unknown[],
  marketOf: (id: string) => VenueMarket | undefined,
) {
  return parseItems('binanceusdm.markPriceUpdate', binanceMarkPriceUpdateSchema, items, {
    idKeys: ['s'],
    marketOf,
    map: (item): Partial<Quote> => ({
      markPrice: item.p,
      indexPrice: item.i !== null && item.i > 0 ? item.i : null,
      fundingRate: item.r,
      nextFundingAt: item.T,
    }),
  });
}

/** fundingInfo items: intervals of the symbols that differ from 8 h. */
export function parseBinanceFundingInfo(items: readonly unknown[], marketOf: (id: string) => VenueMarket | undefined) {
  return parseItems('binanceusdm.fundingInfo', binanceFundingInfoSchema, items, {
    idKeys: ['symbol'],
    marketOf,
    map: (item) => item.fundingIntervalHours,
  });
}

/** 24 h tickers: quoteVolume is in the quote currency (USDT/USDC, taken at 1 USD). */
export function parseBinanceTickers(items: readonly unknown[], marketOf: (id: string) => VenueMarket | undefined) {
  return parseItems('binanceusdm.ticker24hr', binanceTicker24hSchema, items, {
    idKeys: ['symbol'],
    marketOf,
    map: (item) => ({
      volume24hUsd: item.quoteVolume,
      lastPrice: item.lastPrice !== null && item.lastPrice > 0 ? item.lastPrice : null,
    }),
  });
}

/**
 * A `forceOrder` event. `S` is the side of the liquidation ORDER: the venue sells to close a liquidated long and
 * buys to close a liquidated short. Size is the filled quantity (`z`, else the order's `q`) in contracts; the
 * price the average fill (`ap`, else the order price `p`). USD is computed here: Binance sends no quote value.
 */
export function normaliseBinanceForceOrder(
  raw: unknown,
  marketOf: (id: string) => VenueMarket | undefined,
): LiquidationBatch {
  const parsed = parseOne('binanceusdm.forceOrder', idOf(raw, 's'), binanceForceOrderSchema, raw);
  if (!parsed.ok) return { liquidations: [], rejections: [parsed.rejection] };
  const order: BinanceForceOrder = parsed.value;
  const market = marketOf(order.s);
  if (market === undefined) return { liquidations: [], rejections: [] };
  const price = order.ap !== null && order.ap > 0 ? order.ap : order.p;
  const contracts = order.z !== null && order.z > 0 ? order.z : order.q;
  if (price === null || !(price > 0)) {
    return {
      liquidations: [],
      rejections: [{ shape: 'binanceusdm.forceOrder', id: order.s, field: 'ap', message: 'no usable price' }],
    };
  }
  const liquidation: Liquidation = buildLiquidation(VENUE, market, {
    at: order.T,
    side: order.S === 'SELL' ? 'long' : 'short',
    price,
    contracts,
  });
  return { liquidations: [liquidation], rejections: [] };
}

function idOf(raw: unknown, key: string): string {
  if (raw !== null && typeof raw === 'object') {
    const value = (raw as Record<string, unknown>)[key];
    if (typeof value === 'string') return value;
  }
  return '?';
}

/** The implicit ccxt methods of the fast cycle's reads (not in the unified Exchange type). */
interface BinanceBulkApi {
  fapiPublicGetPremiumIndex(): Promise<unknown>;
  fapiPublicGetOpenInterest(params: { symbol: string }): Promise<unknown>;
}

export const binanceusdmAdapter: VenueAdapter = {
  id: VENUE,
  // binanceusdm loads linear markets only by default (one `exchangeInfo`); fetchCurrencies needs keys and is skipped.
  ccxtConfig: { options: { fetchMarkets: { types: ['linear'] }, defaultType: 'swap', defaultSubType: 'linear' } },
  required: ['fetchFundingRates', 'fetchOpenInterest'],
  rateLimitStatuses: [418, 429],
  rateLimitBodyCodes: ['-1003', '-1015'],
  toMarket: (market) => binanceMarket(market),
  async fetchFundingIntervals(ctx: VenueContext) {
    const items = await ctx.call('fundingInfo', async () => infosOf(await ctx.exchange.fetchFundingIntervals()));
    const parsed = parseBinanceFundingInfo(items, ctx.marketById);
    return { intervals: parsed.values, rejections: parsed.rejections };
  },
  async fetchQuotes(ctx: VenueContext) {
    const parsed = await ctx.call('premiumIndex', async () => {
      // The raw answer of the unified fetchFundingRates's request: the parser reads the items.
      const api = ctx.exchange as unknown as BinanceBulkApi;
      const result = parseBinancePremiumIndex(itemsAt(await api.fapiPublicGetPremiumIndex()), ctx.marketById);
      expectPlausible(VENUE, 'premiumIndex', result.values.size, ctx.expectedMarkets, result.rejections);
      return result;
    });
    return { quotes: parsed.values, rejections: parsed.rejections, failures: [] };
  },
  async fetchOpenInterest(ctx: VenueContext, market: VenueMarket) {
    const api = ctx.exchange as unknown as BinanceBulkApi;
    const info = await ctx.call('openInterest', () => api.fapiPublicGetOpenInterest({ symbol: market.venueId }));
    const parsed = parseOne('binanceusdm.openInterest', market.venueId, binanceOpenInterestSchema, info);
    if (!parsed.ok) throw new InvalidItemError(parsed.rejection);
    return parsed.value.openInterest;
  },
  async fetchVolumes(ctx: VenueContext) {
    const parsed = await ctx.call('ticker24hr', async () => {
      const result = parseBinanceTickers(infosOf(await ctx.exchange.fetchTickers()), ctx.marketById);
      expectPlausible(VENUE, 'ticker24hr', result.values.size, ctx.expectedMarkets, result.rejections);
      return result;
    });
    return { values: parsed.values, rejections: parsed.rejections };
  },
  orderBookLimit: 500,
  longShortPeriod: '5m',
  liquidations: {
    mode: 'all-market',
    coverage: 'sampled',
    capability: 'watchLiquidationsForSymbols',
    // An empty list subscribes to `!forceOrder@arr`, every symbol on one stream.
    watch: (exchange) => exchange.watchLiquidationsForSymbols([]),
    normalise: normaliseBinanceForceOrder,
  },
  markPrices: {
    capability: 'watchMarkPrices',
    watch: (exchange) => exchange.watchMarkPrices(),
    parse: (result, marketOf) => {
      const parsed = parseBinanceMarkPriceUpdates(infosOf(result), marketOf);
      return { quotes: parsed.values, rejections: parsed.rejections };
    },
  },
};
