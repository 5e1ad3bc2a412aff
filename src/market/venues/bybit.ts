// Bybit v5. Request plan per fast cycle: one `GET /v5/market/tickers?category=linear` (fetchTickers), which carries
// mark, index, last, funding, next funding, open interest (base units) and 24 h turnover for every linear market.
// Funding intervals come with the market listing (`instruments-info` fundingInterval, minutes). Liquidations: one
// `allLiquidation.<SYMBOL>` topic per market, which Bybit describes as every liquidation (pushed every 500 ms).
import type { MarketInterface as Market } from 'ccxt';
import { bybitInstrumentSchema, bybitLiquidationSchema, bybitRiskLimitSchema, bybitTickerSchema } from '../schemas.js';
import { buildLiquidation, parseItems, parseOne } from '../normalise.js';
import type { Quote, Rejection, VenueMarket } from '../types.js';
import { expectPlausible, infosOf, isLinearStablePerpetual, itemsAt, venueMarketOf } from './adapter.js';

/** The implicit ccxt method of `GET /v5/market/tickers` (not in the unified Exchange type). */
interface BybitTickersApi {
  publicGetV5MarketTickers(params: { category: 'linear' }): Promise<unknown>;
}
import type { LiquidationBatch, VenueAdapter, VenueContext } from './adapter.js';
import type { LeverageTier } from '../../domain/market.js';

const VENUE = 'bybit';

export function bybitMarket(market: Market, reject: (rejection: Rejection) => void): VenueMarket | null {
  if (!isLinearStablePerpetual(market) || typeof market.id !== 'string') return null;
  const instrument = parseOne('bybit.instrument', market.id, bybitInstrumentSchema, market.info);
  if (!instrument.ok) reject(instrument.rejection);
  return venueMarketOf(VENUE, market, {
    venueId: market.id,
    fundingIntervalHours: instrument.ok ? instrument.value.fundingInterval / 60 : null,
  });
}

/** Linear tickers as quotes; open interest is in base units, so contracts = openInterest / contractSize. */
export function parseBybitTickers(items: readonly unknown[], marketOf: (id: string) => VenueMarket | undefined) {
  return parseItems('bybit.ticker', bybitTickerSchema, items, {
    idKeys: ['symbol'],
    marketOf,
    map: (item, market): Partial<Quote> => ({
      markPrice: item.markPrice,
      indexPrice: item.indexPrice !== null && item.indexPrice > 0 ? item.indexPrice : null,
      lastPrice: item.lastPrice !== null && item.lastPrice > 0 ? item.lastPrice : null,
      fundingRate: item.fundingRate,
      nextFundingAt: item.nextFundingTime,
      openInterestContracts: item.openInterest === null ? null : item.openInterest / market.contractSize,
      volume24hUsd: item.turnover24h,
    }),
  });
}

/**
 * An `allLiquidation` item. Bybit's `S` is the side of the liquidated POSITION ("When you receive a Buy update,
 * this means that a long position has been liquidated"), the opposite of Binance's order side; ccxt passes it
 * through lowercased, so its `side` field must not be read as an order side. `v` is in base units.
 */
export function normaliseBybitLiquidation(
  raw: unknown,
  marketOf: (id: string) => VenueMarket | undefined,
): LiquidationBatch {
  const id = raw !== null && typeof raw === 'object' ? String((raw as Record<string, unknown>)['s'] ?? '?') : '?';
  const parsed = parseOne('bybit.allLiquidation', id, bybitLiquidationSchema, raw);
  if (!parsed.ok) return { liquidations: [], rejections: [parsed.rejection] };
  const item = parsed.value;
  const market = marketOf(item.s);
  if (market === undefined) return { liquidations: [], rejections: [] };
  return {
    liquidations: [
      buildLiquidation(VENUE, market, {
        at: item.T,
        side: item.S === 'Buy' ? 'long' : 'short',
        price: item.p,
        contracts: item.v / market.contractSize,
      }),
    ],
    rejections: [],
  };
}

/** Risk-limit items as tiers: each tier runs from the previous tier's riskLimitValue (USD) to its own. */
export function parseBybitRiskLimits(
  items: readonly unknown[],
  market: VenueMarket,
): { tiers: LeverageTier[]; rejections: Rejection[] } {
  const rejections: Rejection[] = [];
  const rows: { id: number; riskLimitValue: number; maintenanceMargin: number; maxLeverage: number }[] = [];
  for (const item of items) {
    const parsed = parseOne('bybit.riskLimit', market.venueId, bybitRiskLimitSchema, item);
    if (parsed.ok) rows.push(parsed.value);
    else rejections.push(parsed.rejection);
  }
  rows.sort((a, b) => a.id - b.id);
  const tiers = rows.map((row, index): LeverageTier => {
    const previous = rows[index - 1];
    return {
      tier: index + 1,
      unit: 'usd',
      floor: previous === undefined ? 0 : previous.riskLimitValue,
      cap: row.riskLimitValue,
      maintenanceMarginRate: row.maintenanceMargin,
      maxLeverage: row.maxLeverage,
    };
  });
  return { tiers, rejections };
}

/**
 * Bybit sends no Retry-After with retCode 10006; `X-Bapi-Limit-Reset-Timestamp` says when the limit resets. It is
 * measured against the answer's own `time` (server clock), so a skewed local clock does not stretch the wait.
 */
export function bybitRateLimitWaitMs(
  headers: Readonly<Record<string, string>>,
  body: string | undefined,
): number | null {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === 'x-bapi-limit-reset-timestamp');
  const resetAt = entry === undefined ? Number.NaN : Number(entry[1]);
  if (!Number.isFinite(resetAt)) return null;
  let serverNow = Date.now();
  try {
    const time = (JSON.parse(body ?? '') as { time?: unknown }).time;
    if (typeof time === 'number' && Number.isFinite(time)) serverNow = time;
  } catch {
    // not JSON: fall back to the local clock
  }
  return Math.max(0, Math.min(60_000, resetAt - serverNow));
}

export const bybitAdapter: VenueAdapter = {
  id: VENUE,
  // Only linear markets: instruments-info?category=linear (+ its PreLaunch page) instead of four categories.
  ccxtConfig: { options: { fetchMarkets: { types: ['linear'] }, defaultType: 'swap', defaultSubType: 'linear' } },
  required: ['fetchTickers'],
  // Bybit answers an IP over its limit with 403 "access too frequent"; per-UID limits with retCode 10006.
  rateLimitStatuses: [403, 429],
  rateLimitBodyCodes: ['10006', '10018'],
  rateLimitWaitMs: bybitRateLimitWaitMs,
  toMarket: bybitMarket,
  async fetchQuotes(ctx: VenueContext) {
    const parsed = await ctx.call('tickers', async () => {
      // The raw answer, as the unified fetchTickers requests it for linear contracts: the parser reads the items.
      const api = ctx.exchange as unknown as BybitTickersApi;
      const answer = await api.publicGetV5MarketTickers({ category: 'linear' });
      const result = parseBybitTickers(itemsAt(answer, 'result', 'list'), ctx.marketById);
      expectPlausible(VENUE, 'tickers', result.values.size, ctx.expectedMarkets, result.rejections);
      return result;
    });
    return { quotes: parsed.values, rejections: parsed.rejections, failures: [] };
  },
  orderBookLimit: 500,
  longShortPeriod: '5min',
  async fetchLeverageTiers(ctx: VenueContext, market: VenueMarket) {
    const items = await ctx.call('riskLimit', async () =>
      infosOf(await ctx.exchange.fetchMarketLeverageTiers(market.symbol)),
    );
    return parseBybitRiskLimits(items, market);
  },
  liquidations: {
    mode: 'per-symbol',
    coverage: 'all',
    capability: 'watchLiquidations',
    // ccxt's default topic is allLiquidation (the older `liquidation` topic was one per second).
    watch: (exchange, symbol) => exchange.watchLiquidations(symbol ?? ''),
    normalise: normaliseBybitLiquidation,
  },
  markPrices: undefined,
};
