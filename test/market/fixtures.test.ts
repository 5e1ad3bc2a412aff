// Every endpoint the bot reads, answered with one response written in the venue's documented format
// (test/market/fixtures/<venue>/<endpoint>.json, each naming its format source), served on 127.0.0.1 to a real
// ccxt instance and then through the venue adapter's own parsers. The assertions are the figures the bot keeps:
// prices, funding per interval, open interest in contracts and USD, depth in USD, ratios, liquidations; items of
// markets we do not watch are skipped and blanks stay null.
import { readdirSync } from 'node:fs';
import type { Exchange } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/domain/market.js';
import { createExchange } from '../../src/market/client.js';
import { buildSnapshot, depthBands, mergeQuotes, openInterestUsd } from '../../src/market/normalise.js';
import { longShortPointSchema, orderBookSchema } from '../../src/market/schemas.js';
import type { Quote, Rejection, VenueMarket } from '../../src/market/types.js';
import { infosOf } from '../../src/market/venues/adapter.js';
import type { VenueAdapter, VenueContext } from '../../src/market/venues/adapter.js';
import { binanceusdmAdapter, parseBinancePremiumIndex } from '../../src/market/venues/binanceusdm.js';
import { bybitAdapter } from '../../src/market/venues/bybit.js';
import { hyperliquidAdapter } from '../../src/market/venues/hyperliquid.js';
import { okxAdapter } from '../../src/market/venues/okx.js';
import { readFixture, startFixtureServer } from './fixtures/serve.js';
import type { FixtureServer, FixtureVenue, RestFixture, StreamFixture } from './fixtures/serve.js';

const NOW_MS = Date.parse('2025-11-20T07:58:41.512Z');

/** A real ccxt instance over the fixture server, with the markets the adapter keeps. */
interface Venue {
  exchange: Exchange;
  markets: VenueMarket[];
  marketRejections: Rejection[];
  bySymbol(symbol: string): VenueMarket;
  ctx: VenueContext;
}

async function openVenue(adapter: VenueAdapter, server: FixtureServer): Promise<Venue> {
  const exchange = createExchange(adapter, { origin: server.origin(adapter.id), timeoutMs: 3_000, rateLimit: false });
  const marketRejections: Rejection[] = [];
  const loaded = Object.values(await exchange.loadMarkets());
  const markets = loaded.flatMap((market) => {
    const ours =
      market === undefined ? null : adapter.toMarket(market, (rejection) => marketRejections.push(rejection));
    return ours === null ? [] : [ours];
  });
  const byId = new Map(markets.map((market) => [market.venueId, market]));
  return {
    exchange,
    markets,
    marketRejections,
    bySymbol(symbol) {
      const market = markets.find((m) => m.symbol === symbol);
      if (market === undefined) throw new Error(`no market ${symbol}`);
      return market;
    },
    ctx: {
      exchange,
      call: (_label, fn) => fn(),
      marketById: (id) => byId.get(id),
      expectedMarkets: markets.length,
      now: () => NOW_MS,
    },
  };
}

/**
 * Calls a ccxt liquidation watch until `count` events sit in ccxt's cache (or `timeoutMs` passed) and returns their
 * raw `info`, oldest first. The bot reads the same cache after each resolution (src/market/liquidations.ts), since
 * one push may hold several events and a watch call resolves with only one of them.
 */
async function watchLiquidationInfos(
  exchange: Exchange,
  watch: () => Promise<unknown>,
  count: number,
  timeoutMs = 3_000,
): Promise<unknown[]> {
  const cached = () => ((exchange as unknown as { liquidations?: { info: unknown }[] }).liquidations ?? []).slice();
  const deadline = Date.now() + timeoutMs;
  while (cached().length < count && Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), deadline - Date.now());
    });
    const outcome = await Promise.race([watch(), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') break;
  }
  return cached().map((item) => item.info);
}

/** The price levels of a depth band, as the bot sums them: price x amount x contract size within x% of the mid. */
function bandUsd(levels: [number, number][], contractSize: number): number {
  return levels.reduce((sum, [price, amount]) => sum + price * amount * contractSize, 0);
}

/** The snapshot the bot would store from one market's quote parts (no depth or ratio). */
function snapshotOf(market: VenueMarket, parts: Partial<Quote> | undefined, openInterestContracts?: number) {
  const quote = mergeQuotes(parts);
  const built = buildSnapshot({
    market,
    at: NOW_MS,
    quote,
    openInterestContracts: openInterestContracts ?? quote.openInterestContracts,
    volume24hUsd: quote.volume24hUsd,
    lastPrice: quote.lastPrice,
    depthBands: null,
    longShortAccountRatio: null,
  });
  if (!built.ok) throw new Error(`snapshot rejected: ${built.rejection.field} ${built.rejection.message}`);
  return built.snapshot;
}

/** The newest valid point's ratio, as VenueRunner's (private) latestLongShort picks it. */
function latestRatio(points: unknown): number | null {
  if (!Array.isArray(points)) return null;
  let best: { timestamp: number; ratio: number } | null = null;
  for (const point of points) {
    const parsed = longShortPointSchema.safeParse(point);
    if (parsed.success && (best === null || parsed.data.timestamp > best.timestamp)) {
      best = { timestamp: parsed.data.timestamp, ratio: parsed.data.longShortRatio };
    }
  }
  return best?.ratio ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Routes: which fixture answers which request

const binanceRoutes: FixtureVenue = {
  rest: ({ path }) =>
    ({
      '/fapi/v1/exchangeInfo': 'exchangeInfo',
      '/fapi/v1/premiumIndex': 'premiumIndex',
      '/fapi/v1/openInterest': 'openInterest',
      '/fapi/v1/fundingInfo': 'fundingInfo',
      '/fapi/v1/ticker/24hr': 'ticker24hr',
      '/fapi/v1/depth': 'depth',
      '/futures/data/globalLongShortAccountRatio': 'globalLongShortAccountRatio',
    })[path],
  onSocketMessage: (text) => {
    const message = JSON.parse(text) as { method?: string; params?: string[]; id?: unknown };
    if (message.method !== 'SUBSCRIBE') return { replies: [], push: undefined };
    const stream = message.params?.[0];
    const push = stream === '!forceOrder@arr' ? 'forceOrder' : stream === '!markPrice@arr@1s' ? 'markPrice' : undefined;
    return { replies: [{ result: null, id: message.id ?? null }], push };
  },
};

const bybitRoutes: FixtureVenue = {
  rest: ({ path, query }) =>
    path === '/v5/market/instruments-info'
      ? query.get('status') === 'PreLaunch'
        ? 'instruments-info-prelaunch'
        : 'instruments-info'
      : (
          {
            '/v5/market/tickers': 'tickers',
            '/v5/market/orderbook': 'orderbook',
            '/v5/market/account-ratio': 'account-ratio',
            '/v5/market/risk-limit': 'risk-limit',
          } as Record<string, string>
        )[path],
  onSocketMessage: (text) => {
    const message = JSON.parse(text) as { op?: string; args?: string[]; req_id?: string };
    const ack = { success: true, ret_msg: message.op === 'ping' ? 'pong' : '', conn_id: 'fixture', op: message.op };
    const reply = message.req_id === undefined ? ack : { ...ack, req_id: message.req_id };
    const topic = message.op === 'subscribe' ? message.args?.[0] : undefined;
    return { replies: [reply], push: topic === 'allLiquidation.SOLUSDT' ? 'allLiquidation' : undefined };
  },
};

const okxRoutes: FixtureVenue = {
  rest: ({ path, query }) =>
    path === '/api/v5/market/index-tickers'
      ? `index-tickers-${(query.get('quoteCcy') ?? '').toLowerCase()}`
      : (
          {
            '/api/v5/public/instruments': 'instruments',
            '/api/v5/public/funding-rate': 'funding-rate',
            '/api/v5/public/open-interest': 'open-interest',
            '/api/v5/public/mark-price': 'mark-price',
            '/api/v5/market/tickers': 'tickers',
            '/api/v5/market/books': 'books',
            '/api/v5/rubik/stat/contracts/long-short-account-ratio-contract': 'long-short-account-ratio-contract',
            '/api/v5/public/position-tiers': 'position-tiers',
          } as Record<string, string>
        )[path],
  onSocketMessage: (text) => {
    if (text === 'ping') return { replies: ['pong'], push: undefined };
    const message = JSON.parse(text) as { op?: string; args?: { channel?: string; instType?: string }[] };
    const arg = message.args?.[0];
    if (message.op !== 'subscribe' || arg === undefined) return { replies: [], push: undefined };
    const reply = { event: 'subscribe', arg, connId: 'fixture' };
    const push = arg.channel === 'liquidation-orders' && arg.instType === 'SWAP' ? 'liquidation-orders' : undefined;
    return { replies: [reply], push };
  },
};

const hyperliquidRoutes: FixtureVenue = {
  rest: ({ path, body }) => {
    const kind = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['type'] : undefined;
    if (path !== '/info') return undefined;
    return kind === 'metaAndAssetCtxs' ? 'metaAndAssetCtxs' : kind === 'l2Book' ? 'l2Book' : undefined;
  },
};

let server: FixtureServer;
const opened: Exchange[] = [];

beforeAll(async () => {
  server = await startFixtureServer({
    binanceusdm: binanceRoutes,
    bybit: bybitRoutes,
    okx: okxRoutes,
    hyperliquid: hyperliquidRoutes,
  });
});

afterAll(async () => {
  await Promise.all(opened.map((exchange) => exchange.close()));
  await server.close();
});

async function open(adapter: VenueAdapter): Promise<Venue> {
  const venue = await openVenue(adapter, server);
  opened.push(venue.exchange);
  return venue;
}

function expectNoUnmatched(venue: ExchangeId): void {
  expect(server.unmatched.filter((line) => line.startsWith(`${venue} `))).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------------

describe('Binance USD-M, read from its documented answers', () => {
  let venue: Venue;
  beforeAll(async () => {
    venue = await open(binanceusdmAdapter);
  });

  it('keeps the trading USDT and USDC perpetuals of exchangeInfo and skips the quarterly and the settling one', () => {
    expect(venue.markets.map((m) => m.symbol).sort()).toEqual(['BTC/USDT:USDT', 'ETH/USDC:USDC', 'SOL/USDT:USDT']);
    expect(venue.bySymbol('BTC/USDT:USDT')).toMatchObject({ venueId: 'BTCUSDT', contractSize: 1, settle: 'USDT' });
    expect(venue.markets.every((m) => m.fundingIntervalHours === 8)).toBe(true);
    expectNoUnmatched('binanceusdm');
  });

  it('reads mark, index, funding and next funding from premiumIndex, skipping the quarterly and the settling items', async () => {
    const { quotes, rejections } = await binanceusdmAdapter.fetchQuotes(venue.ctx);
    expect(rejections).toEqual([]);
    expect([...quotes.keys()].sort()).toEqual(['BTC/USDT:USDT', 'ETH/USDC:USDC', 'SOL/USDT:USDT']);
    expect(quotes.get('BTC/USDT:USDT')).toEqual({
      markPrice: 91873.4,
      indexPrice: 91915.23391304,
      fundingRate: 0.00004218,
      nextFundingAt: Date.parse('2025-11-20T08:00:00Z'),
    });
    expect(quotes.get('ETH/USDC:USDC')?.fundingRate).toBe(-0.00002103);
  });

  it('takes the 4 h funding interval of fundingInfo for the listed perpetual and ignores the quarterly', async () => {
    const fetchIntervals = binanceusdmAdapter.fetchFundingIntervals;
    if (fetchIntervals === undefined) throw new Error('binanceusdm reads fundingInfo');
    const { intervals, rejections } = await fetchIntervals(venue.ctx);
    expect(rejections).toEqual([]);
    expect([...intervals]).toEqual([['SOL/USDT:USDT', 4]]);
  });

  it('stores funding annualised over its interval: 8 h by default, 4 h where fundingInfo says so', async () => {
    const { quotes } = await binanceusdmAdapter.fetchQuotes(venue.ctx);
    const fetchIntervals = binanceusdmAdapter.fetchFundingIntervals;
    if (fetchIntervals === undefined) throw new Error('binanceusdm reads fundingInfo');
    const { intervals } = await fetchIntervals(venue.ctx);
    const withInterval = (m: VenueMarket) => ({
      ...m,
      fundingIntervalHours: intervals.get(m.symbol) ?? m.fundingIntervalHours,
    });
    const btc = snapshotOf(withInterval(venue.bySymbol('BTC/USDT:USDT')), quotes.get('BTC/USDT:USDT'), 84211.337);
    expect(btc.fundingIntervalHours).toBe(8);
    expect(btc.fundingRateAnnualized).toBeCloseTo(0.00004218 * 3 * 365, 12);
    expect(btc.openInterestUsd).toBeCloseTo(84211.337 * 91873.4, 2);
    const sol = snapshotOf(withInterval(venue.bySymbol('SOL/USDT:USDT')), quotes.get('SOL/USDT:USDT'));
    expect(sol.fundingIntervalHours).toBe(4);
    expect(sol.fundingRateAnnualized).toBeCloseTo(0.0001 * 6 * 365, 12);
    expect(sol.openInterestUsd).toBeNull();
  });

  it('parses the blanks of a delivery item (lastFundingRate "", nextFundingTime 0) as null, not 0', async () => {
    const quarterly = venue.exchange.markets?.['BTC/USDT:USDT-251226'];
    if (quarterly === undefined) throw new Error('ccxt lists the quarterly');
    const asWatched: VenueMarket = {
      ...venue.bySymbol('BTC/USDT:USDT'),
      symbol: quarterly.symbol,
      venueId: 'BTCUSDT_251226',
    };
    const items = infosOf(await venue.exchange.fetchFundingRates());
    const parsed = parseBinancePremiumIndex(items, (id) => (id === 'BTCUSDT_251226' ? asWatched : undefined));
    expect(parsed.rejections).toEqual([]);
    expect(parsed.values.get(quarterly.symbol)).toEqual({
      markPrice: 92411.6,
      indexPrice: 91915.23391304,
      fundingRate: null,
      nextFundingAt: null,
    });
  });

  it('reads open interest in contracts of one coin, worth contracts x mark in USD', async () => {
    const fetchOpenInterest = binanceusdmAdapter.fetchOpenInterest;
    if (fetchOpenInterest === undefined) throw new Error('binanceusdm reads open interest per symbol');
    const btc = venue.bySymbol('BTC/USDT:USDT');
    const contracts = await fetchOpenInterest(venue.ctx, btc);
    expect(contracts).toBe(84211.337);
    expect(openInterestUsd(contracts, btc.contractSize, 91873.4)).toBeCloseTo(84211.337 * 91873.4, 2);
  });

  it('reads 24 h quote volume and last price of the perpetuals from the 24 h tickers', async () => {
    const fetchVolumes = binanceusdmAdapter.fetchVolumes;
    if (fetchVolumes === undefined) throw new Error('binanceusdm reads 24 h tickers');
    const { values, rejections } = await fetchVolumes(venue.ctx);
    expect(rejections).toEqual([]);
    expect(values.size).toBe(3);
    expect(values.get('BTC/USDT:USDT')).toEqual({ volume24hUsd: 17732130451.37, lastPrice: 91870.1 });
    expect(values.get('SOL/USDT:USDT')).toEqual({ volume24hUsd: 2012063802.887, lastPrice: 139.45 });
  });

  it('sums the order book into USD depth bands around the mid, leaving out levels just past a band edge', async () => {
    const btc = venue.bySymbol('BTC/USDT:USDT');
    const book = orderBookSchema.parse(
      await venue.exchange.fetchOrderBook(btc.symbol, binanceusdmAdapter.orderBookLimit),
    );
    const bands = depthBands(book, btc.contractSize);
    const nearBids: [number, number][] = [
      [91870.0, 4.512],
      [91869.9, 0.02],
      [91500, 10],
    ];
    const nearAsks: [number, number][] = [
      [91870.2, 2.108],
      [91871.0, 0.54],
      [92200, 8],
    ];
    expect(bands?.map((band) => band.withinPercent)).toEqual([0.5, 1, 2, 5]);
    expect(bands?.[0]?.bidUsd).toBeCloseTo(bandUsd(nearBids, 1), 4);
    expect(bands?.[0]?.askUsd).toBeCloseTo(bandUsd(nearAsks, 1), 4);
    // 90950 sits 1.0013 % under the mid of 91870.1: outside the 1 % band, inside the 2 % one.
    expect(bands?.[1]?.bidUsd).toBeCloseTo(bandUsd(nearBids, 1), 4);
    expect(bands?.[1]?.askUsd).toBeCloseTo(bandUsd([...nearAsks, [92780, 1.5]], 1), 4);
    expect(bands?.[2]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [90950, 3]], 1), 4);
    expect(bands?.[3]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [90950, 3], [90000, 25]], 1), 4);
    expect(bands?.[3]?.askUsd).toBeCloseTo(bandUsd([...nearAsks, [92780, 1.5], [94000, 30]], 1), 4);
  });

  it('reads the long/short account ratio with its timestamp sent as a string', async () => {
    const points = await venue.exchange.fetchLongShortRatioHistory(
      'BTC/USDT:USDT',
      binanceusdmAdapter.longShortPeriod,
      undefined,
      1,
    );
    expect(latestRatio(points)).toBe(2.1867);
  });

  it('turns !forceOrder@arr events into liquidations: SELL closes a long, the filled size at the average price', async () => {
    const feed = binanceusdmAdapter.liquidations;
    if (feed === undefined) throw new Error('binanceusdm streams liquidations');
    await venue.exchange.loadHttpProxyAgent();
    const infos = await watchLiquidationInfos(venue.exchange, () => feed.watch(venue.exchange), 3);
    const batches = infos.map((info) => feed.normalise(info, venue.ctx.marketById));
    expect(batches.flatMap((b) => b.rejections)).toEqual([]);
    expect(batches.flatMap((b) => b.liquidations)).toEqual([
      {
        exchange: 'binanceusdm',
        symbol: 'BTC/USDT:USDT',
        at: 1763625461115,
        side: 'long',
        price: 91655.4,
        sizeBase: 0.25,
        sizeUsd: 0.25 * 91655.4,
      },
      {
        exchange: 'binanceusdm',
        symbol: 'SOL/USDT:USDT',
        at: 1763625463388,
        side: 'short',
        price: 140.22,
        sizeBase: 80,
        sizeUsd: 80 * 140.22,
      },
    ]);
  });

  it('reads mark, index and funding from the !markPrice@arr@1s stream, skipping the delivery contract', async () => {
    const feed = binanceusdmAdapter.markPrices;
    if (feed === undefined) throw new Error('binanceusdm streams mark prices');
    await venue.exchange.loadHttpProxyAgent();
    const result = await feed.watch(venue.exchange);
    const { quotes, rejections } = feed.parse(result, venue.ctx.marketById);
    expect(rejections).toEqual([]);
    expect([...quotes.keys()].sort()).toEqual(['BTC/USDT:USDT', 'SOL/USDT:USDT']);
    expect(quotes.get('BTC/USDT:USDT')).toEqual({
      markPrice: 91880.1,
      indexPrice: 91920.05434783,
      fundingRate: 0.00004301,
      nextFundingAt: Date.parse('2025-11-20T08:00:00Z'),
    });
  });
});

describe('Bybit v5, read from its documented answers', () => {
  let venue: Venue;
  beforeAll(async () => {
    venue = await open(bybitAdapter);
  });

  it('keeps the trading linear perpetuals with their funding interval in hours, not the future or the pre-market one', () => {
    expect(venue.markets.map((m) => [m.symbol, m.fundingIntervalHours]).sort()).toEqual([
      ['BTC/USDT:USDT', 8],
      ['ETH/USDC:USDC', 8],
      ['SOL/USDT:USDT', 4],
    ]);
    expect(venue.marketRejections).toEqual([]);
    expectNoUnmatched('bybit');
  });

  it('reads mark, index, last, funding, open interest in coins and turnover from the linear tickers', async () => {
    const { quotes, rejections } = await bybitAdapter.fetchQuotes(venue.ctx);
    expect(rejections).toEqual([]);
    expect([...quotes.keys()].sort()).toEqual(['BTC/USDT:USDT', 'ETH/USDC:USDC', 'SOL/USDT:USDT']);
    expect(quotes.get('BTC/USDT:USDT')).toEqual({
      markPrice: 91868.2,
      indexPrice: 91911.07,
      lastPrice: 91866.5,
      fundingRate: 0.00003988,
      nextFundingAt: Date.parse('2025-11-20T08:00:00Z'),
      openInterestContracts: 52310.118,
      volume24hUsd: 9512077218.4337,
    });
    const btc = venue.bySymbol('BTC/USDT:USDT');
    expect(openInterestUsd(52310.118, btc.contractSize, 91868.2)).toBeCloseTo(52310.118 * 91868.2, 2);
    expect(quotes.get('ETH/USDC:USDC')?.fundingRate).toBe(-0.00001229);
  });

  it('stores funding annualised over the 4 h interval of instruments-info and open interest in USD', async () => {
    const { quotes } = await bybitAdapter.fetchQuotes(venue.ctx);
    const sol = snapshotOf(venue.bySymbol('SOL/USDT:USDT'), quotes.get('SOL/USDT:USDT'));
    expect(sol.fundingIntervalHours).toBe(4);
    expect(sol.fundingRateAnnualized).toBeCloseTo(0.0001 * 6 * 365, 12);
    expect(sol.openInterestUsd).toBeCloseTo(7384115.1 * 139.43, 2);
    expect(sol.volume24hUsd).toBe(1120394773.0417);
  });

  it('sums the linear order book into USD depth bands, sizes being coins', async () => {
    const sol = venue.bySymbol('SOL/USDT:USDT');
    const book = orderBookSchema.parse(await venue.exchange.fetchOrderBook(sol.symbol, bybitAdapter.orderBookLimit));
    const bands = depthBands(book, sol.contractSize);
    const nearBids: [number, number][] = [
      [139.41, 60.2],
      [139.4, 1250],
    ];
    const nearAsks: [number, number][] = [
      [139.42, 311.7],
      [139.45, 802.3],
      [140.1, 3500],
    ];
    // The mid is 139.415: 138.70 is 0.513 % under it, 140.10 is 0.491 % over it.
    expect(bands?.[0]?.bidUsd).toBeCloseTo(bandUsd(nearBids, 1), 6);
    expect(bands?.[0]?.askUsd).toBeCloseTo(bandUsd(nearAsks, 1), 6);
    expect(bands?.[1]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [138.7, 4000]], 1), 6);
    expect(bands?.[2]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [138.7, 4000], [137, 9000]], 1), 6);
    expect(bands?.[2]?.askUsd).toBeCloseTo(bandUsd([...nearAsks, [142, 7000]], 1), 6);
    expect(bands?.[3]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [138.7, 4000], [137, 9000]], 1), 6);
    expect(bands?.[3]?.askUsd).toBeCloseTo(bandUsd([...nearAsks, [142, 7000]], 1), 6);
  });

  it('reads the account ratio as buyRatio over sellRatio', async () => {
    const points = await venue.exchange.fetchLongShortRatioHistory(
      'SOL/USDT:USDT',
      bybitAdapter.longShortPeriod,
      undefined,
      1,
    );
    expect(latestRatio(points)).toBeCloseTo(1.5, 12);
  });

  it('turns risk-limit tiers into USD tiers, each starting where the previous one ends, with a blank mmDeduction', async () => {
    const fetchTiers = bybitAdapter.fetchLeverageTiers;
    if (fetchTiers === undefined) throw new Error('bybit reads risk limits');
    const { tiers, rejections } = await fetchTiers(venue.ctx, venue.bySymbol('SOL/USDT:USDT'));
    expect(rejections).toEqual([]);
    expect(tiers).toEqual([
      { tier: 1, unit: 'usd', floor: 0, cap: 400_000, maintenanceMarginRate: 0.01, maxLeverage: 50 },
      { tier: 2, unit: 'usd', floor: 400_000, cap: 800_000, maintenanceMarginRate: 0.015, maxLeverage: 36.36 },
      { tier: 3, unit: 'usd', floor: 800_000, cap: 1_600_000, maintenanceMarginRate: 0.02, maxLeverage: 28.57 },
    ]);
  });

  it('reads allLiquidation items, several per push, with S as the liquidated position: Buy is a long, Sell a short', async () => {
    const feed = bybitAdapter.liquidations;
    if (feed === undefined) throw new Error('bybit streams liquidations');
    await venue.exchange.loadHttpProxyAgent();
    const infos = await watchLiquidationInfos(venue.exchange, () => feed.watch(venue.exchange, 'SOL/USDT:USDT'), 3);
    const batches = infos.map((info) => feed.normalise(info, venue.ctx.marketById));
    expect(batches.flatMap((b) => b.rejections)).toEqual([]);
    expect(batches.flatMap((b) => b.liquidations)).toEqual([
      {
        exchange: 'bybit',
        symbol: 'SOL/USDT:USDT',
        at: 1763625461301,
        side: 'long',
        price: 139.13,
        sizeBase: 35.4,
        sizeUsd: 35.4 * 139.13,
      },
      {
        exchange: 'bybit',
        symbol: 'SOL/USDT:USDT',
        at: 1763625461877,
        side: 'short',
        price: 139.88,
        sizeBase: 210,
        sizeUsd: 210 * 139.88,
      },
      {
        exchange: 'bybit',
        symbol: 'SOL/USDT:USDT',
        at: 1763625461990,
        side: 'long',
        price: 138.95,
        sizeBase: 1.5,
        sizeUsd: 1.5 * 138.95,
      },
    ]);
  });
});

describe('OKX v5, read from its documented answers', () => {
  let venue: Venue;
  beforeAll(async () => {
    venue = await open(okxAdapter);
  });

  it('keeps the live USDT and USDC linear swaps with ctVal as contract size, not the inverse or the preopen one', () => {
    expect(venue.markets.map((m) => [m.symbol, m.contractSize]).sort()).toEqual([
      ['BTC/USDC:USDC', 0.0001],
      ['BTC/USDT:USDT', 0.01],
      ['ETH/USDC:USDC', 0.001],
      ['SOL/USDT:USDT', 1],
    ]);
    expectNoUnmatched('okx');
  });

  it('merges funding, open interest in contracts, mark and index from four bulk answers, skipping inverse swaps', async () => {
    const { quotes, rejections, failures } = await okxAdapter.fetchQuotes(venue.ctx);
    expect(rejections).toEqual([]);
    expect(failures).toEqual([]);
    expect([...quotes.keys()].sort()).toEqual(['BTC/USDC:USDC', 'BTC/USDT:USDT', 'ETH/USDC:USDC', 'SOL/USDT:USDT']);
    expect(quotes.get('BTC/USDT:USDT')).toEqual({
      fundingRate: 0.0000412297718463,
      nextFundingAt: Date.parse('2025-11-20T08:00:00Z'),
      fundingIntervalHours: 8,
      openInterestContracts: 2763411.5,
      markPrice: 91872.3,
      indexPrice: 91912.6,
    });
    const btc = venue.bySymbol('BTC/USDT:USDT');
    // 2 763 411.5 contracts of 0.01 BTC are 27 634.115 BTC, as oiCcy says.
    expect(openInterestUsd(2763411.5, btc.contractSize, 91872.3)).toBeCloseTo(27634.115 * 91872.3, 2);
  });

  it('takes the funding interval from the spacing of fundingTime and nextFundingTime (4 h for SOL)', async () => {
    const { quotes } = await okxAdapter.fetchQuotes(venue.ctx);
    expect(quotes.get('SOL/USDT:USDT')?.fundingIntervalHours).toBe(4);
    expect(quotes.get('ETH/USDC:USDC')?.fundingIntervalHours).toBe(8);
  });

  it('leaves the index of a market null, not 0, when index-tickers sends idxPx as an empty string', async () => {
    const { quotes, rejections } = await okxAdapter.fetchQuotes(venue.ctx);
    expect(rejections).toEqual([]);
    const eth = mergeQuotes(quotes.get('ETH/USDC:USDC'));
    expect(eth.indexPrice).toBeNull();
    expect(eth.markPrice).toBe(3021.42);
    expect(quotes.get('BTC/USDC:USDC')?.indexPrice).toBe(91903.9);
  });

  it('stores open interest in USD as contracts x ctVal x mark, and a blank index as null', async () => {
    const { quotes } = await okxAdapter.fetchQuotes(venue.ctx);
    const eth = snapshotOf(venue.bySymbol('ETH/USDC:USDC'), quotes.get('ETH/USDC:USDC'));
    expect(eth.openInterestUsd).toBeCloseTo(8204113.2 * 0.001 * 3021.42, 4);
    expect(eth.indexPrice).toBeNull();
    expect(eth.fundingRateAnnualized).toBeCloseTo(-0.0000186012338871 * 3 * 365, 12);
    const sol = snapshotOf(venue.bySymbol('SOL/USDT:USDT'), quotes.get('SOL/USDT:USDT'));
    expect(sol.fundingRateAnnualized).toBeCloseTo(0.0000987551202611 * 6 * 365, 12);
  });

  it('reads 24 h volume in USD as volCcy24h (coins) x last from the swap tickers', async () => {
    const fetchVolumes = okxAdapter.fetchVolumes;
    if (fetchVolumes === undefined) throw new Error('okx reads swap tickers');
    const { values, rejections } = await fetchVolumes(venue.ctx);
    expect(rejections).toEqual([]);
    expect(values.size).toBe(4);
    const btc = values.get('BTC/USDT:USDT');
    expect(btc?.lastPrice).toBe(91870.1);
    expect(btc?.volume24hUsd).toBeCloseTo(98321.44 * 91870.1, 2);
  });

  it('sums the book into USD depth bands with sizes in contracts of ctVal coins', async () => {
    const btc = venue.bySymbol('BTC/USDT:USDT');
    const book = orderBookSchema.parse(await venue.exchange.fetchOrderBook(btc.symbol, okxAdapter.orderBookLimit));
    const bands = depthBands(book, btc.contractSize);
    const nearBids: [number, number][] = [
      [91870.1, 4.01],
      [91860, 250],
    ];
    const nearAsks: [number, number][] = [
      [91870.2, 118.66],
      [91875, 40],
      [92300, 900],
    ];
    // Mid 91870.15: 91400 is 0.512 % under it, 92800 is 1.012 % over it.
    expect(bands?.[0]?.bidUsd).toBeCloseTo(bandUsd(nearBids, 0.01), 4);
    expect(bands?.[0]?.askUsd).toBeCloseTo(bandUsd(nearAsks, 0.01), 4);
    expect(bands?.[1]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [91400, 1000]], 0.01), 4);
    expect(bands?.[1]?.askUsd).toBeCloseTo(bandUsd(nearAsks, 0.01), 4);
    expect(bands?.[2]?.askUsd).toBeCloseTo(bandUsd([...nearAsks, [92800, 150]], 0.01), 4);
    expect(bands?.[3]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [91400, 1000], [90000, 2000]], 0.01), 4);
    expect(bands?.[3]?.askUsd).toBeCloseTo(bandUsd([...nearAsks, [92800, 150], [95000, 3000]], 0.01), 4);
  });

  it('reads the long/short account ratio from the rubik [ts, ratio] pairs', async () => {
    const points = await venue.exchange.fetchLongShortRatioHistory(
      'BTC/USDT:USDT',
      okxAdapter.longShortPeriod,
      undefined,
      1,
    );
    expect(latestRatio(points)).toBe(1.0974186289536541);
  });

  it('turns position tiers in contracts into tiers in coins, each floor kept as sent (one contract above the previous cap)', async () => {
    const fetchTiers = okxAdapter.fetchLeverageTiers;
    if (fetchTiers === undefined) throw new Error('okx reads position tiers');
    const { tiers, rejections } = await fetchTiers(venue.ctx, venue.bySymbol('BTC/USDT:USDT'));
    expect(rejections).toEqual([]);
    expect(tiers).toEqual([
      { tier: 1, unit: 'base', floor: 0, cap: 15_000 * 0.01, maintenanceMarginRate: 0.004, maxLeverage: 100 },
      {
        tier: 2,
        unit: 'base',
        floor: 15_001 * 0.01,
        cap: 30_000 * 0.01,
        maintenanceMarginRate: 0.005,
        maxLeverage: 75,
      },
      {
        tier: 3,
        unit: 'base',
        floor: 30_001 * 0.01,
        cap: 60_000 * 0.01,
        maintenanceMarginRate: 0.008,
        maxLeverage: 50,
      },
    ]);
  });

  it('reads every detail of every liquidation-orders item, posSide giving the side, sz in contracts, skipping inverse swaps', async () => {
    const feed = okxAdapter.liquidations;
    if (feed === undefined) throw new Error('okx streams liquidations');
    await venue.exchange.loadHttpProxyAgent();
    const infos = await watchLiquidationInfos(venue.exchange, () => feed.watch(venue.exchange), 4);
    const batches = infos.map((info) => feed.normalise(info, venue.ctx.marketById));
    expect(batches.flatMap((b) => b.rejections)).toEqual([]);
    const at = 1763625461802;
    expect(batches.flatMap((b) => b.liquidations)).toEqual([
      {
        exchange: 'okx',
        symbol: 'BTC/USDT:USDT',
        at,
        side: 'long',
        price: 91402.6,
        sizeBase: 41 * 0.01,
        sizeUsd: 41 * 0.01 * 91402.6,
      },
      {
        exchange: 'okx',
        symbol: 'BTC/USDT:USDT',
        at,
        side: 'long',
        price: 91398.1,
        sizeBase: 7.5 * 0.01,
        sizeUsd: 7.5 * 0.01 * 91398.1,
      },
      {
        exchange: 'okx',
        symbol: 'SOL/USDT:USDT',
        at: 1763625462590,
        side: 'short',
        price: 140.61,
        sizeBase: 25,
        sizeUsd: 25 * 140.61,
      },
      {
        exchange: 'okx',
        symbol: 'ETH/USDC:USDC',
        at: 1763625462601,
        side: 'short',
        price: 3034.77,
        sizeBase: 1200 * 0.001,
        sizeUsd: 1200 * 0.001 * 3034.77,
      },
    ]);
  });
});

describe('Hyperliquid, read from its documented answers', () => {
  let venue: Venue;
  beforeAll(async () => {
    venue = await open(hyperliquidAdapter);
  });

  it('keeps the listed perpetuals by coin name (kPEPE as sent), hourly funding, and skips the delisted one', () => {
    expect(venue.markets.map((m) => [m.venueId, m.settle, m.contractSize, m.fundingIntervalHours]).sort()).toEqual([
      ['BTC', 'USDC', 1, 1],
      ['ETH', 'USDC', 1, 1],
      ['kPEPE', 'USDC', 1, 1],
    ]);
    expectNoUnmatched('hyperliquid');
  });

  it('reads mark, oracle as index, hourly funding, open interest in coins and notional volume from the asset contexts', async () => {
    const { quotes, rejections } = await hyperliquidAdapter.fetchQuotes(venue.ctx);
    expect(rejections).toEqual([]);
    expect(quotes.size).toBe(3);
    const btc = venue.markets.find((m) => m.venueId === 'BTC');
    expect(quotes.get(btc?.symbol ?? '')).toEqual({
      markPrice: 91869,
      indexPrice: 91897,
      fundingRate: 0.0000125,
      nextFundingAt: Date.parse('2025-11-20T08:00:00Z'),
      fundingIntervalHours: 1,
      openInterestContracts: 28512.66494,
      volume24hUsd: 4118837421.40151,
    });
    expect(openInterestUsd(28512.66494, btc?.contractSize ?? Number.NaN, 91869)).toBeCloseTo(28512.66494 * 91869, 2);
    const pepe = venue.markets.find((m) => m.venueId === 'kPEPE');
    expect(quotes.get(pepe?.symbol ?? '')?.openInterestContracts).toBe(2410558123);
  });

  it('stores hourly funding annualised over 8760 hours and open interest in coins x mark', async () => {
    const { quotes } = await hyperliquidAdapter.fetchQuotes(venue.ctx);
    const btcMarket = venue.markets.find((m) => m.venueId === 'BTC');
    if (btcMarket === undefined) throw new Error('no BTC market');
    const btc = snapshotOf(btcMarket, quotes.get(btcMarket.symbol));
    expect(btc.fundingIntervalHours).toBe(1);
    expect(btc.fundingRateAnnualized).toBeCloseTo(0.0000125 * 24 * 365, 12);
    expect(btc.openInterestUsd).toBeCloseTo(28512.66494 * 91869, 2);
    expect(btc.lastPrice).toBeNull();
  });

  it('sums the l2Book levels, sizes in coins, into USD depth bands', async () => {
    const eth = venue.markets.find((m) => m.venueId === 'ETH');
    if (eth === undefined) throw new Error('no ETH market');
    const book = orderBookSchema.parse(
      await venue.exchange.fetchOrderBook(eth.symbol, hyperliquidAdapter.orderBookLimit),
    );
    const bands = depthBands(book, eth.contractSize);
    const nearBids: [number, number][] = [
      [3021.4, 41.2204],
      [3021.0, 120.5],
    ];
    const nearAsks: [number, number][] = [
      [3021.5, 18.9913],
      [3022.0, 95],
      [3036.0, 250],
    ];
    // Mid 3021.45: 3005 is 0.544 % under it, 3036 is 0.482 % over it, 3052 is 1.010 % over it.
    expect(bands?.[0]?.bidUsd).toBeCloseTo(bandUsd(nearBids, 1), 6);
    expect(bands?.[0]?.askUsd).toBeCloseTo(bandUsd(nearAsks, 1), 6);
    expect(bands?.[1]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [3005, 300]], 1), 6);
    expect(bands?.[1]?.askUsd).toBeCloseTo(bandUsd(nearAsks, 1), 6);
    expect(bands?.[2]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [3005, 300], [2990, 500]], 1), 6);
    expect(bands?.[2]?.askUsd).toBeCloseTo(bandUsd([...nearAsks, [3052, 400]], 1), 6);
    expect(bands?.[3]?.bidUsd).toBeCloseTo(bandUsd([...nearBids, [3005, 300], [2990, 500], [2950, 800]], 1), 6);
    expect(bands?.[3]?.askUsd).toBeCloseTo(bandUsd([...nearAsks, [3052, 400], [3100, 900]], 1), 6);
  });
});

describe('the fixture folder', () => {
  const venues: ExchangeId[] = ['binanceusdm', 'bybit', 'okx', 'hyperliquid'];
  const files = venues.flatMap((venue) =>
    readdirSync(new URL(`./fixtures/${venue}/`, import.meta.url))
      .filter((name) => name.endsWith('.json'))
      .map((name) => ({ venue, name: name.replace(/\.json$/, '') })),
  );

  it('holds a fixture for every endpoint the adapters read, each naming the documentation of its format', () => {
    expect(files.length).toBe(29);
    for (const { venue, name } of files) {
      const fixture = readFixture<RestFixture | StreamFixture>(venue, name);
      expect(fixture.format, `${venue}/${name}`).toMatch(/docs/);
      expect('body' in fixture || 'frames' in fixture, `${venue}/${name}`).toBe(true);
    }
  });

  // Runs after the venue tests above (tests in a file run in order): a fixture nothing asked for is a stale one.
  it('was served in full: every fixture answered a request of real ccxt', () => {
    const served = new Set(server.served);
    expect(files.filter(({ venue, name }) => !served.has(`${venue}/${name}`))).toEqual([]);
  });
});
