// OKX v5. Request plan per fast cycle, four bulk calls in parallel: `GET /api/v5/public/funding-rate?instId=ANY`
// (fetchFundingRates), `GET /api/v5/public/open-interest?instType=SWAP` (fetchOpenInterests),
// `GET /api/v5/public/mark-price?instType=SWAP` (fetchMarkPrices) and `GET /api/v5/market/index-tickers?quoteCcy=USDT`
// (the implicit publicGetMarketIndexTickers; one more with quoteCcy=USDC when USDC swaps are among our markets).
// They include inverse (coin-margined) swaps and indexes, which are skipped because they are not among our markets.
// Funding intervals come from the spacing of fundingTime and nextFundingTime. Once a minute
// `GET /api/v5/market/tickers?instType=SWAP` for last price and 24 h volume.
import type { MarketInterface as Market } from 'ccxt';
import {
  okxFundingRateSchema,
  okxIndexTickerSchema,
  okxIndexTickersAnswerSchema,
  okxLiquidationSchema,
  okxMarkPriceSchema,
  okxOpenInterestSchema,
  okxPositionTierSchema,
  okxTickerSchema,
} from '../schemas.js';
import { buildLiquidation, intervalHoursBetween, parseItems, parseOne, rejectionOf } from '../normalise.js';
import type { Parsed, Quote, Rejection, VenueMarket } from '../types.js';
import {
  expectPlausible,
  ImplausibleResponseError,
  infosOf,
  itemsAt,
  isLinearStablePerpetual,
  venueMarketOf,
} from './adapter.js';
import type { BulkQuotes, LiquidationBatch, VenueAdapter, VenueContext } from './adapter.js';
import type { LeverageTier, Liquidation, PositionSide } from '../../domain/market.js';

const VENUE = 'okx';

export function okxMarket(market: Market): VenueMarket | null {
  if (!isLinearStablePerpetual(market) || typeof market.id !== 'string') return null;
  const contractSize = market.contractSize;
  if (contractSize === undefined || !(contractSize > 0)) return null;
  // OKX swaps are in contracts of contractSize coins: without it, sizes cannot be converted.
  return venueMarketOf(VENUE, market, { venueId: market.id, contractSize, fundingIntervalHours: null });
}

/** funding-rate items: fundingTime is the next settlement; the interval is its distance to nextFundingTime. */
export function parseOkxFundingRates(items: readonly unknown[], marketOf: (id: string) => VenueMarket | undefined) {
  return parseItems('okx.fundingRate', okxFundingRateSchema, items, {
    idKeys: ['instId'],
    marketOf,
    map: (item): Partial<Quote> => ({
      fundingRate: item.fundingRate,
      nextFundingAt: item.fundingTime,
      fundingIntervalHours: intervalHoursBetween(item.fundingTime, item.nextFundingTime),
    }),
  });
}

/** open-interest items: `oi` is in contracts (contract size = ctVal base units). */
export function parseOkxOpenInterests(items: readonly unknown[], marketOf: (id: string) => VenueMarket | undefined) {
  return parseItems('okx.openInterest', okxOpenInterestSchema, items, {
    idKeys: ['instId'],
    marketOf,
    map: (item): Partial<Quote> => ({ openInterestContracts: item.oi }),
  });
}

export function parseOkxMarkPrices(items: readonly unknown[], marketOf: (id: string) => VenueMarket | undefined) {
  return parseItems('okx.markPrice', okxMarkPriceSchema, items, {
    idKeys: ['instId'],
    marketOf,
    map: (item): Partial<Quote> => ({ markPrice: item.markPx }),
  });
}

/** The swap marked against an index: BTC-USDT-SWAP against BTC-USDT. */
export function okxSwapIdOf(indexId: string): string {
  return `${indexId}-SWAP`;
}

/**
 * index-tickers items, by the swap of each index (`swapOf` takes the index id). An index OKX sends as "" is left out
 * (the market's index stays null, not a rejection); a value that is not a positive number is rejected.
 */
export function parseOkxIndexTickers(
  items: readonly unknown[],
  swapOf: (indexId: string) => VenueMarket | undefined,
): Parsed<Partial<Quote>> {
  const parsed = parseItems('okx.indexTicker', okxIndexTickerSchema, items, {
    idKeys: ['instId'],
    marketOf: swapOf,
    map: (item) => item.idxPx,
  });
  const values = new Map<string, Partial<Quote>>();
  for (const [symbol, indexPrice] of parsed.values) if (indexPrice !== null) values.set(symbol, { indexPrice });
  return { values, rejections: parsed.rejections, received: parsed.received };
}

/** SWAP tickers: volCcy24h is in base currency for derivatives, so USD = volCcy24h x last. */
export function parseOkxTickers(items: readonly unknown[], marketOf: (id: string) => VenueMarket | undefined) {
  return parseItems('okx.ticker', okxTickerSchema, items, {
    idKeys: ['instId'],
    marketOf,
    map: (item) => {
      const last = item.last !== null && item.last > 0 ? item.last : null;
      return { volume24hUsd: last === null ? null : item.volCcy24h * last, lastPrice: last };
    },
  });
}

/**
 * A `liquidation-orders` item. Each detail has `side`, the liquidation ORDER's side, and `posSide`, the position's
 * side in long/short mode (`net` in net mode). The liquidated position is posSide when it says long or short, else
 * the opposite of the order side (a sell closes a long). ccxt keeps only the first detail; every detail is read
 * here. `sz` is in contracts; `bkPx` is the bankruptcy price.
 */
export function normaliseOkxLiquidation(
  raw: unknown,
  marketOf: (id: string) => VenueMarket | undefined,
): LiquidationBatch {
  const id = raw !== null && typeof raw === 'object' ? String((raw as Record<string, unknown>)['instId'] ?? '?') : '?';
  const parsed = parseOne('okx.liquidationOrders', id, okxLiquidationSchema, raw);
  if (!parsed.ok) return { liquidations: [], rejections: [parsed.rejection] };
  const market = marketOf(parsed.value.instId);
  if (market === undefined) return { liquidations: [], rejections: [] };
  const liquidations: Liquidation[] = parsed.value.details.map((detail) => {
    const side: PositionSide =
      detail.posSide === 'long' || detail.posSide === 'short'
        ? detail.posSide
        : detail.side === 'sell'
          ? 'long'
          : 'short';
    return buildLiquidation(VENUE, market, { at: detail.ts, side, price: detail.bkPx, contracts: detail.sz });
  });
  return { liquidations, rejections: [] };
}

/** position-tiers items: minSz / maxSz are in contracts for swaps, given here in base units (x ctVal). */
export function parseOkxPositionTiers(
  items: readonly unknown[],
  market: VenueMarket,
): { tiers: LeverageTier[]; rejections: Rejection[] } {
  const rejections: Rejection[] = [];
  const tiers: LeverageTier[] = [];
  for (const item of items) {
    const parsed = parseOne('okx.positionTier', market.venueId, okxPositionTierSchema, item);
    if (!parsed.ok) {
      rejections.push(parsed.rejection);
      continue;
    }
    const tier = parsed.value;
    tiers.push({
      tier: tier.tier,
      unit: 'base',
      floor: tier.minSz * market.contractSize,
      cap: tier.maxSz !== null && tier.maxSz > 0 ? tier.maxSz * market.contractSize : null,
      maintenanceMarginRate: tier.mmr,
      maxLeverage: tier.maxLever,
    });
  }
  tiers.sort((a, b) => a.tier - b.tier);
  return { tiers, rejections };
}

/** The implicit ccxt methods of the bulk reads (not in the unified Exchange type). */
interface OkxBulkApi {
  publicGetMarketIndexTickers(params: { quoteCcy: string }): Promise<unknown>;
  publicGetPublicFundingRate(params: { instId: 'ANY' }): Promise<unknown>;
  publicGetPublicOpenInterest(params: { instType: 'SWAP' }): Promise<unknown>;
  publicGetPublicMarkPrice(params: { instType: 'SWAP' }): Promise<unknown>;
}

/** How many of our markets quote in each currency: one index-tickers request per currency. */
function indexQuoteCounts(ctx: VenueContext): Map<string, number> {
  const counts = new Map<string, number>();
  for (const market of Object.values(ctx.exchange.markets ?? {}) as (Market | undefined)[]) {
    const ours = typeof market?.id === 'string' ? ctx.marketById(market.id) : undefined;
    if (ours !== undefined) counts.set(ours.quote, (counts.get(ours.quote) ?? 0) + 1);
  }
  return new Map([...counts].sort(([a], [b]) => (a === 'USDT' ? -1 : b === 'USDT' ? 1 : a.localeCompare(b))));
}

function readOkxIndexPrices(ctx: VenueContext, quoteCcy: string, expected: number) {
  const label = 'indexTickers';
  return ctx.call(label, async () => {
    const api = ctx.exchange as unknown as OkxBulkApi;
    const answer = okxIndexTickersAnswerSchema.safeParse(await api.publicGetMarketIndexTickers({ quoteCcy }));
    // ccxt hands back a 200 that is not JSON as its text (or ""): a failure to retry, like an empty bulk answer.
    if (!answer.success) {
      throw new ImplausibleResponseError(VENUE, label, 0, expected, [
        rejectionOf('okx.indexTickers', quoteCcy, answer.error),
      ]);
    }
    const swapOf = (indexId: string) => {
      const market = ctx.marketById(okxSwapIdOf(indexId));
      return market?.quote === quoteCcy ? market : undefined;
    };
    const result = parseOkxIndexTickers(answer.data.data, swapOf);
    expectPlausible(VENUE, label, result.values.size, expected, result.rejections);
    return result;
  });
}

async function fetchOkxQuotes(ctx: VenueContext): Promise<BulkQuotes> {
  const expected = ctx.expectedMarkets;
  // The raw answers, as the unified fetchFundingRates, fetchOpenInterests and fetchMarkPrices request them: the
  // parsers read the venue's own items, which the unified methods would only wrap.
  const api = ctx.exchange as unknown as OkxBulkApi;
  const read = (label: string, fetch: () => Promise<unknown>, parse: typeof parseOkxMarkPrices) =>
    ctx.call(label, async () => {
      const result = parse(itemsAt(await fetch(), 'data'), ctx.marketById);
      expectPlausible(VENUE, label, result.values.size, expected, result.rejections);
      return result;
    });
  const core = [
    {
      label: 'fundingRate',
      run: read('fundingRate', () => api.publicGetPublicFundingRate({ instId: 'ANY' }), parseOkxFundingRates),
    },
    {
      label: 'openInterest',
      run: read('openInterest', () => api.publicGetPublicOpenInterest({ instType: 'SWAP' }), parseOkxOpenInterests),
    },
    {
      label: 'markPrice',
      run: read('markPrice', () => api.publicGetPublicMarkPrice({ instType: 'SWAP' }), parseOkxMarkPrices),
    },
  ];
  const indexes = [...indexQuoteCounts(ctx)].map(([quoteCcy, count]) => ({
    label: `indexTickers ${quoteCcy}`,
    run: readOkxIndexPrices(ctx, quoteCcy, count),
  }));
  const requests = [...core, ...indexes];
  const settled = await Promise.allSettled(requests.map((request) => request.run));
  const quotes = new Map<string, Partial<Quote>>();
  const rejections: Rejection[] = [];
  const failures: BulkQuotes['failures'] = [];
  settled.forEach((outcome, index) => {
    if (outcome.status === 'rejected') {
      failures.push({ label: requests[index]?.label ?? '?', error: outcome.reason });
      return;
    }
    rejections.push(...outcome.value.rejections);
    for (const [symbol, part] of outcome.value.values) quotes.set(symbol, { ...quotes.get(symbol), ...part });
  });
  // Index prices alone make no snapshot worth storing: the cycle fails when none of the three others answered.
  const coreFailures = settled.slice(0, core.length).filter((outcome) => outcome.status === 'rejected');
  if (coreFailures.length === core.length) throw failures[0]?.error;
  return { quotes, rejections, failures };
}

export const okxAdapter: VenueAdapter = {
  id: VENUE,
  // Only swaps (one instruments call instead of four); OKX's default type is spot otherwise.
  ccxtConfig: { options: { fetchMarkets: { types: ['swap'] }, defaultType: 'swap' } },
  required: ['fetchFundingRates', 'fetchOpenInterests', 'fetchMarkPrices'],
  rateLimitStatuses: [429],
  rateLimitBodyCodes: ['50011', '50061'],
  toMarket: (market) => okxMarket(market),
  fetchQuotes: fetchOkxQuotes,
  async fetchVolumes(ctx: VenueContext) {
    const parsed = await ctx.call('tickers', async () => {
      const result = parseOkxTickers(infosOf(await ctx.exchange.fetchTickers()), ctx.marketById);
      expectPlausible(VENUE, 'tickers', result.values.size, ctx.expectedMarkets, result.rejections);
      return result;
    });
    return { values: parsed.values, rejections: parsed.rejections };
  },
  orderBookLimit: 400,
  longShortPeriod: '5m',
  async fetchLeverageTiers(ctx: VenueContext, market: VenueMarket) {
    const items = await ctx.call('positionTiers', async () =>
      infosOf(await ctx.exchange.fetchMarketLeverageTiers(market.symbol)),
    );
    return parseOkxPositionTiers(items, market);
  },
  liquidations: {
    mode: 'all-market',
    coverage: 'sampled',
    capability: 'watchLiquidationsForSymbols',
    // No symbols: one `liquidation-orders` subscription for every swap (instType SWAP); filtered on our markets.
    // (defaultType swap makes ccxt ask for instType SWAP.)
    watch: (exchange) => exchange.watchLiquidationsForSymbols(undefined as unknown as string[]),
    normalise: normaliseOkxLiquidation,
  },
  markPrices: undefined,
};
