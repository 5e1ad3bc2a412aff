// Hyperliquid. Request plan per fast cycle: one `POST /info {"type":"metaAndAssetCtxs"}` (fetchFundingRates), whose
// `universe[i]` and `assetCtxs[i]` ccxt merges into one item per market: mark, oracle (index) price, funding per
// hour, open interest in coins, 24 h notional volume. Markets load with the same single call (swap only, no
// currencies). Funding is paid hourly. There is no public liquidation channel: liquidations are "not streamed".
import type { MarketInterface as Market } from 'ccxt';
import { hyperliquidAssetSchema } from '../schemas.js';
import { parseItems } from '../normalise.js';
import type { Quote, VenueMarket } from '../types.js';
import { expectPlausible, isLinearStablePerpetual, itemsAt, venueMarketOf } from './adapter.js';
import type { VenueAdapter, VenueContext } from './adapter.js';

const VENUE = 'hyperliquid';
const HOUR_MS = 3_600_000;

export function hyperliquidMarket(market: Market): VenueMarket | null {
  if (!isLinearStablePerpetual(market)) return null;
  const info = (market.info ?? {}) as Record<string, unknown>;
  if (info['hip3'] === true) return null; // builder-deployed markets live on other dexes
  // ccxt's id is the asset's index; raw items name the coin, which is also what l2Book asks for.
  const baseName = (market as unknown as Record<string, unknown>)['baseName'];
  const coin = typeof baseName === 'string' ? baseName : info['name'];
  if (typeof coin !== 'string' || coin.length === 0) return null;
  return venueMarketOf(VENUE, market, { venueId: coin, fundingIntervalHours: 1 });
}

/** The next funding settlement: Hyperliquid pays at the top of every hour. */
export function nextHourAt(now: number): number {
  return (Math.floor(now / HOUR_MS) + 1) * HOUR_MS;
}

/** Asset contexts as quotes; open interest is in coins (contract size 1). */
export function parseHyperliquidAssets(
  items: readonly unknown[],
  marketOf: (id: string) => VenueMarket | undefined,
  now: number,
) {
  return parseItems('hyperliquid.assetCtx', hyperliquidAssetSchema, items, {
    idKeys: ['name'],
    marketOf,
    map: (item, market): Partial<Quote> => ({
      markPrice: item.markPx,
      indexPrice: item.oraclePx !== null && item.oraclePx > 0 ? item.oraclePx : null,
      fundingRate: item.funding,
      nextFundingAt: nextHourAt(now),
      fundingIntervalHours: 1,
      openInterestContracts: item.openInterest / market.contractSize,
      volume24hUsd: item.dayNtlVlm,
    }),
  });
}

/** The implicit ccxt method of `POST /info` (not in the unified Exchange type). */
interface HyperliquidInfoApi {
  publicPostInfo(params: { type: 'metaAndAssetCtxs' }): Promise<unknown>;
}

/**
 * `[meta, assetCtxs]` as items: each universe entry with its context (the same position in both lists), as the
 * unified fetchFundingRates merges them; the parser reads the merged items.
 */
function assetItemsOf(answer: unknown): unknown[] {
  const [meta, contexts] = Array.isArray(answer) ? (answer as unknown[]) : [];
  const universe = itemsAt(meta, 'universe');
  const assetContexts = Array.isArray(contexts) ? (contexts as unknown[]) : [];
  const record = (value: unknown): object => (value !== null && typeof value === 'object' ? value : {});
  return universe.map((entry, i) => ({ ...record(entry), ...record(assetContexts[i]) }));
}

export const hyperliquidAdapter: VenueAdapter = {
  id: VENUE,
  // Perpetuals only, and no spotMeta call for currencies: market loading is one metaAndAssetCtxs request.
  ccxtConfig: { options: { fetchMarkets: { types: ['swap'] } }, has: { fetchCurrencies: false } },
  required: ['fetchFundingRates'],
  rateLimitStatuses: [429],
  rateLimitBodyCodes: [],
  toMarket: (market) => hyperliquidMarket(market),
  async fetchQuotes(ctx: VenueContext) {
    const parsed = await ctx.call('metaAndAssetCtxs', async () => {
      const api = ctx.exchange as unknown as HyperliquidInfoApi;
      const answer = await api.publicPostInfo({ type: 'metaAndAssetCtxs' });
      const result = parseHyperliquidAssets(assetItemsOf(answer), ctx.marketById, ctx.now());
      expectPlausible(VENUE, 'metaAndAssetCtxs', result.values.size, ctx.expectedMarkets, result.rejections);
      return result;
    });
    return { quotes: parsed.values, rejections: parsed.rejections, failures: [] };
  },
  orderBookLimit: undefined,
  longShortPeriod: undefined,
  liquidations: undefined,
  markPrices: undefined,
};
