// Shared by the mock-exchange tests: a small scenario with round golden values, a manual clock, and real ccxt.pro
// instances pointed at the mock with src/market/origin.ts.
import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import type { ExchangeId } from '../../src/domain/market.js';
import { rewriteUrlTree } from '../../src/market/origin.js';
import type { ScenarioInput } from '../../src/mock-exchange/scenario.js';
import type { MockExchange } from '../../src/mock-exchange/server.js';

export const START = '2025-01-01T00:00:00Z';
export const START_MS = Date.parse(START);

/** A wall clock the test moves by hand. */
export function manualClock(at = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let current = at;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

/**
 * Golden values: at offset 0 every market sits exactly on its first keyframe; at 600 s on the second.
 * BTC liquidations at 10.1 s (long, 50k USD), 10.5 s (short, 20k USD, same second) and 12.2 s (long, 30k at 99,000).
 */
type MarketInput = NonNullable<NonNullable<ScenarioInput['venues']['binanceusdm']>['markets']>[number];

export function fixtureScenario(): ScenarioInput {
  const btc = (extra: Partial<MarketInput> = {}): MarketInput => ({
    base: 'BTC',
    maxLeverage: 100,
    keyframes: [
      {
        atSec: 0,
        price: 100_000,
        premium: 0.001,
        fundingRate: 0.0001,
        openInterestUsd: 2_000_000_000,
        volume24hUsd: 5_000_000_000,
        depth1PctUsd: 10_000_000,
        longShortRatio: 1.5,
      },
      {
        atSec: 600,
        price: 90_000,
        premium: -0.002,
        fundingRate: -0.0002,
        openInterestUsd: 1_500_000_000,
        depth1PctUsd: 2_000_000,
        longShortRatio: 1,
      },
    ],
    liquidations: [
      { atSec: 10.1, side: 'long', sizeUsd: 50_000, price: 100_000 },
      { atSec: 10.5, side: 'short', sizeUsd: 20_000, price: 100_000 },
      { atSec: 12.2, side: 'long', sizeUsd: 30_000, price: 99_000 },
    ],
    ...extra,
  });
  const eth = (settle: 'USDT' | 'USDC', extra: Partial<MarketInput> = {}): MarketInput => ({
    base: 'ETH',
    settle,
    keyframes: [
      {
        atSec: 0,
        price: 2500,
        fundingRate: 0.0003,
        openInterestUsd: 500_000_000,
        volume24hUsd: 1_000_000_000,
        bidDepth1PctUsd: 3_000_000,
        askDepth1PctUsd: 1_000_000,
        longShortRatio: 3,
      },
    ],
    ...extra,
  });
  return {
    name: 'fixture',
    description: 'golden values for the mock-exchange tests',
    start: START,
    durationSec: 3600,
    venues: {
      binanceusdm: { markets: [btc(), eth('USDC', { fundingIntervalHours: 4 })] },
      bybit: { markets: [btc(), eth('USDT'), { ...eth('USDT'), base: 'SOL' }], pageSize: 2 },
      okx: { markets: [btc({ contractSize: 0.01 }), eth('USDT', { contractSize: 0.1 })], inverseSwaps: ['BTC'] },
      hyperliquid: { markets: [btc({ settle: 'USDC', liquidations: [] }), eth('USDC')] },
    },
  };
}

const LEAN_OPTIONS: Record<ExchangeId, Record<string, unknown>> = {
  binanceusdm: {},
  bybit: { fetchMarkets: { types: ['linear'] } },
  okx: { fetchMarkets: { types: ['swap'] } },
  hyperliquid: { fetchMarkets: { types: ['swap'] } },
};

/** A ccxt.pro instance of `venue` pointed at the mock, with lean market loading and no client-side throttle. */
export async function connect(
  mock: MockExchange,
  venue: ExchangeId,
  config: Record<string, unknown> = {},
): Promise<Exchange> {
  const exchange: Exchange = new ccxt.pro[venue]({ enableRateLimit: false, options: LEAN_OPTIONS[venue], ...config });
  if (venue === 'hyperliquid') exchange.has['fetchCurrencies'] = false;
  exchange.urls['api'] = rewriteUrlTree(exchange.urls['api'], mock.originFor(venue));
  await exchange.loadHttpProxyAgent();
  return exchange;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resting USD within `percent` of the mid of a ccxt order book (amounts x contractSize x price). */
export function depthWithin(
  book: { bids: readonly (readonly (number | undefined)[])[]; asks: readonly (readonly (number | undefined)[])[] },
  percent: number,
  contractSize = 1,
): { bidUsd: number; askUsd: number } {
  const bestBid = book.bids[0]?.[0] ?? 0;
  const bestAsk = book.asks[0]?.[0] ?? 0;
  const mid = (bestBid + bestAsk) / 2;
  const sum = (levels: typeof book.bids, inside: (price: number) => boolean) =>
    levels.reduce(
      (total, [price = 0, amount = 0]) => (inside(price) ? total + price * amount * contractSize : total),
      0,
    );
  return {
    bidUsd: sum(book.bids, (price) => price >= mid * (1 - percent / 100)),
    askUsd: sum(book.asks, (price) => price <= mid * (1 + percent / 100)),
  };
}

/**
 * The symbols of the linear and inverse perpetuals that trade, in ccxt's order: the scenario's markets. The mock
 * also lists non-trading instruments (src/mock-exchange/listings.ts), which ccxt loads as inactive or as futures.
 */
export function tradingPerpetuals(markets: Record<string, { swap?: boolean; active?: boolean } | undefined>): string[] {
  return Object.entries(markets)
    .filter(([, market]) => market?.swap === true && market.active !== false)
    .map(([symbol]) => symbol);
}
