import type { Exchange } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/domain/market.js';
import { startMockExchange } from '../../src/mock-exchange/server.js';
import type { MockExchange } from '../../src/mock-exchange/server.js';
import { START_MS, connect, depthWithin, fixtureScenario, manualClock, tradingPerpetuals } from './helpers.js';

const HOUR = 3_600_000;

describe('the mock exchange answers ccxt REST calls with the scenario values', () => {
  const clock = manualClock();
  let mock: MockExchange;
  const exchanges = {} as Record<ExchangeId, Exchange>;

  beforeAll(async () => {
    mock = await startMockExchange({ scenario: fixtureScenario(), clock: clock.now });
    for (const venue of ['binanceusdm', 'bybit', 'okx', 'hyperliquid'] as const) {
      exchanges[venue] = await connect(mock, venue);
    }
  });

  afterAll(async () => {
    await Promise.all(Object.values(exchanges).map((exchange) => exchange.close()));
    await mock.close();
  });

  it('loads the linear perpetuals of each venue with their contract sizes', async () => {
    const binance = await exchanges.binanceusdm.loadMarkets();
    expect(tradingPerpetuals(binance)).toEqual(['BTC/USDT:USDT', 'ETH/USDC:USDC']);
    expect(binance['ETH/USDC:USDC']).toMatchObject({ swap: true, linear: true, settle: 'USDC', contractSize: 1 });

    const bybit = await exchanges.bybit.loadMarkets();
    expect(tradingPerpetuals(bybit).sort()).toEqual(['BTC/USDT:USDT', 'ETH/USDT:USDT', 'SOL/USDT:USDT']);

    const okx = await exchanges.okx.loadMarkets();
    const linear = tradingPerpetuals(okx)
      .map((symbol) => okx[symbol])
      .filter((m) => m?.linear === true);
    expect(linear.map((m) => [m?.symbol, m?.contractSize])).toEqual([
      ['BTC/USDT:USDT', 0.01],
      ['ETH/USDT:USDT', 0.1],
    ]);
    expect(okx['BTC/USD:BTC']).toMatchObject({ inverse: true, settle: 'BTC', contractSize: 100 });

    const hyperliquid = await exchanges.hyperliquid.loadMarkets();
    expect(tradingPerpetuals(hyperliquid)).toEqual(['BTC/USDC:USDC', 'ETH/USDC:USDC']);
    expect(hyperliquid['ETH/USDC:USDC']?.id).toBe('1');
  });

  it('pages Bybit instruments with a cursor and asks for pre-launch markets once', async () => {
    const routes = mock
      .requests()
      .filter((r) => r.venue === 'bybit' && r.route === '/v5/market/instruments-info')
      .map((r) => r.status);
    // page 1 and the PreLaunch listing in parallel, then page 2 (pageSize 2 in the fixture)
    expect(routes).toEqual([200, 200, 200]);
  });

  it('gives funding, mark and index prices on every venue', async () => {
    const binance = await exchanges.binanceusdm.fetchFundingRates();
    expect(binance['BTC/USDT:USDT']).toMatchObject({
      fundingRate: 0.0001,
      markPrice: 100_000,
      fundingTimestamp: START_MS + 8 * HOUR,
    });
    expect(binance['BTC/USDT:USDT']?.indexPrice).toBeCloseTo(100_000 / 1.001, 4);

    const bybit = await exchanges.bybit.fetchFundingRates();
    expect(bybit['BTC/USDT:USDT']).toMatchObject({
      fundingRate: 0.0001,
      markPrice: 100_000,
      indexPrice: 99_900.1,
      interval: '8h',
      fundingTimestamp: START_MS + 8 * HOUR,
    });

    const okx = await exchanges.okx.fetchFundingRates();
    expect(okx['BTC/USDT:USDT']).toMatchObject({ fundingRate: 0.0001, interval: '8h' });
    expect(okx['ETH/USDT:USDT']).toMatchObject({ fundingRate: 0.0003 });
    expect(Object.keys(okx)).toContain('BTC/USD:BTC');

    const hyperliquid = await exchanges.hyperliquid.fetchFundingRates();
    expect(hyperliquid['BTC/USDC:USDC']).toMatchObject({
      fundingRate: 0.0001,
      markPrice: 100_000,
      indexPrice: 99_900,
      interval: '1h',
    });
  });

  it('lists only the markets with a non-default funding interval in Binance fundingInfo', async () => {
    const intervals = await exchanges.binanceusdm.fetchFundingIntervals();
    expect(Object.values(intervals).map((i) => [i.symbol, i.interval])).toEqual([['ETH/USDC:USDC', '4h']]);
  });

  it('gives 24 h quote volume in tickers (OKX swaps only in base units, contracts in baseVolume)', async () => {
    const binance = await exchanges.binanceusdm.fetchTickers();
    expect(binance['BTC/USDT:USDT']).toMatchObject({ last: 100_000, quoteVolume: 5_000_000_000 });

    const bybit = await exchanges.bybit.fetchTickers();
    expect(bybit['BTC/USDT:USDT']).toMatchObject({ last: 100_000, quoteVolume: 5_000_000_000, baseVolume: 50_000 });
    expect(bybit['BTC/USDT:USDT']?.info).toMatchObject({
      openInterest: '20000.00000',
      openInterestValue: '2000000000.00',
    });

    const okx = await exchanges.okx.fetchTickers(undefined, { type: 'swap' });
    expect(okx['BTC/USDT:USDT']).toMatchObject({ last: 100_000, baseVolume: 5_000_000, quoteVolume: undefined });
    expect(okx['BTC/USDT:USDT']?.info).toMatchObject({ volCcy24h: '50000' });

    const hyperliquid = await exchanges.hyperliquid.fetchTickers();
    expect(hyperliquid['BTC/USDC:USDC']).toMatchObject({ last: 100_000, quoteVolume: 5_000_000_000 });
  });

  it('gives open interest in coins (OKX also in contracts and USD), one market or all', async () => {
    const binance = await exchanges.binanceusdm.fetchOpenInterest('BTC/USDT:USDT');
    expect(binance).toMatchObject({ symbol: 'BTC/USDT:USDT', openInterestAmount: 20_000, timestamp: START_MS });

    const bybit = await exchanges.bybit.fetchOpenInterest('BTC/USDT:USDT');
    expect(bybit).toMatchObject({ openInterestAmount: 20_000, timestamp: START_MS });

    const okx = await exchanges.okx.fetchOpenInterests();
    expect(okx['BTC/USDT:USDT']).toMatchObject({ openInterestAmount: 2_000_000, openInterestValue: 2_000_000_000 });
    expect(okx['BTC/USDT:USDT']?.info).toMatchObject({ oiCcy: '20000' });
    expect(okx['BTC/USD:BTC']).toMatchObject({ openInterestAmount: 5_000_000, openInterestValue: 500_000_000 });

    const hyperliquid = await exchanges.hyperliquid.fetchOpenInterests();
    expect(hyperliquid['BTC/USDC:USDC']).toMatchObject({ openInterestAmount: 20_000 });
  });

  it('gives Binance and OKX mark prices in bulk', async () => {
    const binance = await exchanges.binanceusdm.fetchMarkPrices();
    expect(binance['BTC/USDT:USDT']).toMatchObject({ markPrice: 100_000 });
    const okx = await exchanges.okx.fetchMarkPrices();
    expect(okx['ETH/USDT:USDT']).toMatchObject({ markPrice: 2500 });
  });

  it.each([
    ['binanceusdm', 'BTC/USDT:USDT', 1, 100],
    ['bybit', 'BTC/USDT:USDT', 1, 50],
    ['okx', 'BTC/USDT:USDT', 0.01, undefined],
    ['hyperliquid', 'BTC/USDC:USDC', 1, undefined],
  ] as const)(
    'builds %s books whose depth within 0.5/1/2/5%% matches the scenario',
    async (venue, symbol, size, limit) => {
      const book = await exchanges[venue].fetchOrderBook(symbol, limit);
      expect(book.bids).toHaveLength(20);
      const expected: Record<number, number> = { 0.5: 4_500_000, 1: 10_000_000, 2: 18_000_000, 5: 35_000_000 };
      for (const [band, usd] of Object.entries(expected)) {
        const depth = depthWithin(book, Number(band), size);
        expect(depth.bidUsd / usd).toBeCloseTo(1, 3);
        expect(depth.askUsd / usd).toBeCloseTo(1, 3);
      }
    },
  );

  it('keeps one-sided depth: ETH has 3M of bids and 1M of asks within 1%', async () => {
    const book = await exchanges.binanceusdm.fetchOrderBook('ETH/USDC:USDC', 100);
    const depth = depthWithin(book, 1);
    expect(depth.bidUsd / 3_000_000).toBeCloseTo(1, 3);
    expect(depth.askUsd / 1_000_000).toBeCloseTo(1, 3);
  });

  it.each(['binanceusdm', 'bybit', 'okx'] as const)(
    'gives the %s long/short account ratio history on the period grid',
    async (venue) => {
      const history = await exchanges[venue].fetchLongShortRatioHistory('BTC/USDT:USDT', '1h', undefined, 3);
      // Bybit and OKX answer newest first; ccxt sorts every venue's history oldest first.
      expect(history.map((h) => h.timestamp)).toEqual([START_MS - 2 * HOUR, START_MS - HOUR, START_MS]);
      for (const point of history) expect(point.longShortRatio).toBeCloseTo(1.5, 6);
    },
  );

  it('gives public leverage tiers on Bybit and OKX', async () => {
    const bybit = await exchanges.bybit.fetchMarketLeverageTiers('BTC/USDT:USDT');
    expect(bybit[0]).toMatchObject({ tier: 1, minNotional: 0, maxLeverage: 100, maintenanceMarginRate: 0.005 });
    expect(bybit).toHaveLength(5);
    const okx = await exchanges.okx.fetchMarketLeverageTiers('BTC/USDT:USDT');
    expect(okx[0]).toMatchObject({ tier: 1, symbol: 'BTC/USDT:USDT', maxLeverage: 100 });
  });

  it('interpolates between keyframes as scenario time passes', async () => {
    clock.advance(300_000);
    const rates = await exchanges.binanceusdm.fetchFundingRates(['BTC/USDT:USDT']);
    expect(rates['BTC/USDT:USDT']?.markPrice).toBeCloseTo(95_000, 6);
    expect(rates['BTC/USDT:USDT']?.fundingRate).toBeCloseTo(-0.00005, 10);
    const oi = await exchanges.binanceusdm.fetchOpenInterest('BTC/USDT:USDT');
    expect((oi.openInterestAmount ?? 0) * 95_000).toBeCloseTo(1_750_000_000, -2);
    const book = await exchanges.bybit.fetchOrderBook('BTC/USDT:USDT', 50);
    expect(depthWithin(book, 1).bidUsd / 6_000_000).toBeCloseTo(1, 3);
    expect(mock.scenarioTime()).toBe(START_MS + 300_000);
  });

  it('records every request with its venue, route and status', () => {
    const routes = new Set(mock.requests().map((r) => `${r.venue} ${r.method} ${r.route} ${r.status}`));
    expect(routes).toContain('binanceusdm GET /fapi/v1/premiumIndex 200');
    expect(routes).toContain('okx GET /api/v5/public/open-interest 200');
    expect(routes).toContain('hyperliquid POST /info:metaAndAssetCtxs 200');
    expect(routes).toContain('hyperliquid POST /info:l2Book 200');
    const depth = mock.requests().find((r) => r.venue === 'binanceusdm' && r.route === '/fapi/v1/depth');
    expect(depth).toMatchObject({ method: 'GET', query: 'symbol=BTCUSDT&limit=100', scenarioAt: START_MS });
  });
});
