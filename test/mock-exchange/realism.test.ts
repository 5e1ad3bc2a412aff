// The mock sends what real venues send beside the tidy case (issue 12): non-trading instruments in every listing,
// blank numbers where a venue has none, bundled bases, OKX's net-mode posSide, and each field in the type the
// venue documents (numbers as strings, or not). Checked through real ccxt and on the raw answers.
import type { Exchange } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/domain/market.js';
import { ddMmmYy, quarterlyExpiry, yymmdd } from '../../src/mock-exchange/listings.js';
import type { LiquidationEvent, VenueMarket } from '../../src/mock-exchange/model.js';
import { MARKET_BLANKS, parseScenario } from '../../src/mock-exchange/scenario.js';
import type { ScenarioInput } from '../../src/mock-exchange/scenario.js';
import { startMockExchange } from '../../src/mock-exchange/server.js';
import type { MockExchange } from '../../src/mock-exchange/server.js';
import { posSideOf } from '../../src/mock-exchange/venues/okx.js';
import { START, START_MS, connect, fixtureScenario, manualClock, tradingPerpetuals } from './helpers.js';

const QUARTER_MS = Date.parse('2025-03-28T08:00:00Z');

/** The fixture with a blank-valued ETH on every venue and bundled PEPE bases. */
function scenario(): ScenarioInput {
  const base = fixtureScenario();
  type MarketInput = NonNullable<NonNullable<ScenarioInput['venues']['okx']>['markets']>[number];
  const pepe = (name: string, price: number, extra: Partial<MarketInput> = {}): MarketInput => ({
    base: name,
    keyframes: [{ atSec: 0, price, fundingRate: 0.0001, openInterestUsd: 1e8, volume24hUsd: 1e8, depth1PctUsd: 1e6 }],
    ...extra,
  });
  const blanks = [...MARKET_BLANKS];
  const withBlanks = (venue: ExchangeId) =>
    (base.venues[venue]?.markets ?? []).map((m) => (m.base === 'ETH' ? { ...m, blanks } : m));
  return {
    ...base,
    venues: {
      binanceusdm: { markets: [...withBlanks('binanceusdm'), pepe('1000PEPE', 0.01)] },
      bybit: { markets: [...withBlanks('bybit'), pepe('1000PEPE', 0.01)] },
      okx: { markets: [...withBlanks('okx'), pepe('PEPE', 0.00001, { contractSize: 10_000_000 })], inverseSwaps: [] },
      hyperliquid: { markets: [...withBlanks('hyperliquid'), pepe('kPEPE', 0.01, { settle: 'USDC' })] },
    },
  };
}

describe('the mock exchange sends realistic listings and values', () => {
  const clock = manualClock();
  let mock: MockExchange;
  const exchanges = {} as Record<ExchangeId, Exchange>;

  beforeAll(async () => {
    mock = await startMockExchange({ scenario: scenario(), clock: clock.now });
    for (const venue of ['binanceusdm', 'bybit', 'okx', 'hyperliquid'] as const) {
      exchanges[venue] = await connect(mock, venue);
      await exchanges[venue].loadMarkets();
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(exchanges).map((exchange) => exchange.close()));
    await mock.close();
  });

  const get = async (venue: ExchangeId, path: string): Promise<unknown> =>
    (await fetch(`${mock.originFor(venue)}${path}`)).json() as Promise<unknown>;
  const post = async (body: unknown): Promise<unknown> =>
    (
      await fetch(`${mock.originFor('hyperliquid')}/info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json() as Promise<unknown>;
  const dataOf = (answer: unknown) => (answer as { data: Record<string, unknown>[] }).data;
  const listOf = (answer: unknown) => (answer as { result: { list: Record<string, unknown>[] } }).result.list;

  describe('non-trading instruments', () => {
    it('lists a settling and a pending Binance perpetual and a quarterly future beside the perpetuals', () => {
      const markets = exchanges.binanceusdm.markets ?? {};
      expect(markets['AGIX/USDT:USDT']).toMatchObject({ swap: true, active: false, info: { status: 'SETTLING' } });
      expect(markets['LAUNCH/USDT:USDT']).toMatchObject({
        swap: true,
        active: false,
        info: { status: 'PENDING_TRADING' },
      });
      expect(markets[`BTC/USDT:USDT-${yymmdd(QUARTER_MS)}`]).toMatchObject({
        future: true,
        swap: false,
        id: 'BTCUSDT_250328',
        expiry: QUARTER_MS,
        info: { contractType: 'CURRENT_QUARTER', status: 'TRADING' },
      });
      expect(tradingPerpetuals(markets)).toEqual(['BTC/USDT:USDT', 'ETH/USDC:USDC', '1000PEPE/USDT:USDT']);
    });

    it('sends the quarterly future in premiumIndex with blank funding, as Binance does for dated contracts', async () => {
      const items = (await get('binanceusdm', '/fapi/v1/premiumIndex')) as Record<string, unknown>[];
      expect(items.find((item) => item['symbol'] === 'BTCUSDT_250328')).toMatchObject({
        lastFundingRate: '',
        interestRate: '',
        nextFundingTime: 0,
        markPrice: '100200.00000000',
      });
    });

    it('lists a Bybit pre-launch perpetual on the PreLaunch page and a quarterly linear future among the trading ones', async () => {
      const markets = exchanges.bybit.markets ?? {};
      expect(markets['LAUNCH/USDT:USDT']).toMatchObject({ active: false, info: { status: 'PreLaunch' } });
      expect(markets[`BTC/USDT:USDT-${yymmdd(QUARTER_MS)}`]).toMatchObject({
        future: true,
        active: true,
        id: `BTCUSDT-${ddMmmYy(QUARTER_MS)}`,
        info: { contractType: 'LinearFutures', fundingInterval: 0 },
      });
      const prelaunch = listOf(await get('bybit', '/v5/market/instruments-info?category=linear&status=PreLaunch'));
      expect(prelaunch.map((i) => [i['symbol'], i['isPreListing']])).toEqual([['LAUNCHUSDT', true]]);
    });

    it('lists delivering and closed Bybit instruments only when asked for that status, as the venue does', async () => {
      const delivering = listOf(await get('bybit', '/v5/market/instruments-info?category=linear&status=Delivering'));
      expect(delivering.map((i) => [i['symbol'], i['status']])).toEqual([['BTCUSDT-01JAN25', 'Delivering']]);
      const closed = listOf(await get('bybit', '/v5/market/instruments-info?category=linear&status=Closed'));
      expect(closed.map((i) => [i['symbol'], i['status']])).toEqual([['AGIXUSDT', 'Closed']]);
      const trading = listOf(await get('bybit', '/v5/market/instruments-info?category=linear&limit=1000'));
      expect(trading.map((i) => i['status'])).toEqual(['Trading', 'Trading', 'Trading', 'Trading', 'Trading']);
    });

    it('sends the Bybit quarterly future in the linear tickers with blank funding fields', async () => {
      const list = listOf(await get('bybit', '/v5/market/tickers?category=linear'));
      expect(list.find((t) => t['symbol'] === 'BTCUSDT-28MAR25')).toMatchObject({
        fundingRate: '',
        nextFundingTime: '',
        deliveryTime: String(QUARTER_MS),
      });
    });

    it('lists preopen and suspended OKX swaps and an empty preopen placeholder, and futures only when asked for', async () => {
      const markets = exchanges.okx.markets ?? {};
      expect(markets['LAUNCH/USDT:USDT']).toMatchObject({ active: false, info: { state: 'preopen' } });
      expect(markets['AGIX/USDT:USDT']).toMatchObject({ active: false, info: { state: 'suspend' } });
      const swaps = dataOf(await get('okx', '/api/v5/public/instruments?instType=SWAP'));
      expect(swaps).toContainEqual({ instId: '', instType: 'SWAP', state: 'preopen' });
      const futures = dataOf(await get('okx', '/api/v5/public/instruments?instType=FUTURES'));
      expect(futures).toEqual([
        expect.objectContaining({
          instId: 'BTC-USDT-250328',
          instType: 'FUTURES',
          state: 'live',
          expTime: String(QUARTER_MS),
          ctVal: '0.01',
        }),
      ]);
      const asked = mock.requests().filter((r) => r.venue === 'okx' && r.route === '/api/v5/public/instruments');
      expect(asked[0]?.query).toBe('instType=SWAP');
    });

    it('keeps a delisted Hyperliquid coin in the universe after the listed ones, with a dead context', async () => {
      expect(exchanges.hyperliquid.markets?.['MATIC/USDC:USDC']).toMatchObject({ active: false, id: '3' });
      expect(exchanges.hyperliquid.markets?.['BTC/USDC:USDC']?.id).toBe('0');
      const [meta, contexts] = (await post({ type: 'metaAndAssetCtxs' })) as [
        { universe: Record<string, unknown>[] },
        Record<string, unknown>[],
      ];
      expect(meta.universe[3]).toMatchObject({ name: 'MATIC', isDelisted: true });
      expect(contexts[3]).toMatchObject({ openInterest: '0.0', midPx: null, impactPxs: null, premium: null });
    });
  });

  describe('blank numbers', () => {
    it('sends a Binance market without funding as "" and a next funding time of 0, and ccxt reads them as missing', async () => {
      const items = (await get('binanceusdm', '/fapi/v1/premiumIndex?symbol=ETHUSDC')) as Record<string, unknown>;
      expect(items).toMatchObject({ lastFundingRate: '', interestRate: '', nextFundingTime: 0, indexPrice: '' });
      const rates = await exchanges.binanceusdm.fetchFundingRates();
      expect(rates['ETH/USDC:USDC']?.fundingRate).toBeUndefined();
      expect(rates['ETH/USDC:USDC']?.markPrice).toBe(2500);
    });

    it('sends Bybit ticker blanks as "" for funding, next funding, index and open interest', async () => {
      const [eth] = listOf(await get('bybit', '/v5/market/tickers?category=linear&symbol=ETHUSDT'));
      expect(eth).toMatchObject({
        fundingRate: '',
        nextFundingTime: '',
        indexPrice: '',
        openInterest: '',
        openInterestValue: '',
        markPrice: '2500.000',
      });
    });

    it('sends OKX funding, next funding, premium, open interest and index blanks as ""', async () => {
      const [funding] = dataOf(await get('okx', '/api/v5/public/funding-rate?instId=ETH-USDT-SWAP'));
      expect(funding).toMatchObject({ fundingRate: '', fundingTime: '', nextFundingTime: '', premium: '' });
      const [oi] = dataOf(await get('okx', '/api/v5/public/open-interest?instType=SWAP&instId=ETH-USDT-SWAP'));
      expect(oi).toMatchObject({ oi: '', oiCcy: '', oiUsd: '' });
      const [index] = dataOf(await get('okx', '/api/v5/market/index-tickers?instId=ETH-USDT'));
      expect(index).toMatchObject({ idxPx: '' });
    });

    it('sends Hyperliquid premium, mid and impact prices as null', async () => {
      const [, contexts] = (await post({ type: 'metaAndAssetCtxs' })) as [unknown, Record<string, unknown>[]];
      expect(contexts[1]).toMatchObject({ premium: null, midPx: null, impactPxs: null, markPx: '2500' });
    });
  });

  describe('bundled bases', () => {
    it('lists PEPE as 1000PEPE on Binance and Bybit, PEPE with ten-million contracts on OKX and kPEPE on Hyperliquid', () => {
      expect(exchanges.binanceusdm.markets?.['1000PEPE/USDT:USDT']).toMatchObject({
        id: '1000PEPEUSDT',
        base: '1000PEPE',
      });
      expect(exchanges.bybit.markets?.['1000PEPE/USDT:USDT']).toMatchObject({ id: '1000PEPEUSDT', base: '1000PEPE' });
      expect(exchanges.okx.markets?.['PEPE/USDT:USDT']).toMatchObject({
        id: 'PEPE-USDT-SWAP',
        contractSize: 10_000_000,
      });
      expect(exchanges.hyperliquid.markets?.['KPEPE/USDC:USDC']).toMatchObject({ baseName: 'kPEPE', base: 'KPEPE' });
    });

    it('accepts a lower-case k bundle only on Hyperliquid', () => {
      const input = scenario();
      const hyperliquid = { ...input, venues: { hyperliquid: input.venues.hyperliquid } };
      expect(() => parseScenario(hyperliquid)).not.toThrow();
      const binance = { ...input, venues: { binanceusdm: { markets: input.venues.hyperliquid?.markets?.slice(2) } } };
      expect(() => parseScenario(binance)).toThrow(/only Hyperliquid writes a thousand-bundle/);
    });
  });

  describe('field types as the venues document them', () => {
    const typesOf = (item: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(item).map(([key, value]) => [key, Array.isArray(value) ? 'array' : typeof value]),
      );

    it('sends the Bybit order book with ts, u, seq and cts as numbers and levels as strings', async () => {
      const answer = (await get('bybit', '/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=25')) as {
        result: Record<string, unknown> & { b: unknown[][] };
      };
      expect(typesOf(answer.result)).toEqual({
        s: 'string',
        b: 'array',
        a: 'array',
        ts: 'number',
        u: 'number',
        seq: 'number',
        cts: 'number',
      });
      expect(answer.result.b[0]?.map((v) => typeof v)).toEqual(['string', 'string']);
    });

    it('sends the Bybit funding interval as a number of minutes and the rest of an instrument as strings', async () => {
      const [btc] = listOf(await get('bybit', '/v5/market/instruments-info?category=linear&symbol=BTCUSDT'));
      expect(btc).toMatchObject({ fundingInterval: 480, launchTime: expect.any(String), priceScale: '1' });
      const [ticker] = listOf(await get('bybit', '/v5/market/tickers?category=linear&symbol=BTCUSDT'));
      expect(new Set(Object.values(typesOf(ticker ?? {})))).toEqual(new Set(['string']));
    });

    it('sends Binance prices and rates as strings and times as numbers', async () => {
      const item = (await get('binanceusdm', '/fapi/v1/premiumIndex?symbol=BTCUSDT')) as Record<string, unknown>;
      expect(typesOf(item)).toEqual({
        symbol: 'string',
        markPrice: 'string',
        indexPrice: 'string',
        estimatedSettlePrice: 'string',
        lastFundingRate: 'string',
        interestRate: 'string',
        nextFundingTime: 'number',
        time: 'number',
      });
    });

    it('sends every OKX value as a string, and REST books without a sequence id', async () => {
      for (const path of [
        '/api/v5/public/funding-rate?instId=BTC-USDT-SWAP',
        '/api/v5/public/open-interest?instType=SWAP',
        '/api/v5/public/mark-price?instType=SWAP',
        '/api/v5/market/tickers?instType=SWAP',
      ]) {
        for (const item of dataOf(await get('okx', path))) {
          expect(new Set(Object.values(typesOf(item))), path).toEqual(new Set(['string']));
        }
      }
      const [book] = dataOf(await get('okx', '/api/v5/market/books?instId=BTC-USDT-SWAP&sz=5'));
      expect(typesOf(book ?? {})).toEqual({ asks: 'array', bids: 'array', ts: 'string' });
    });
  });
});

describe('OKX posSide by position mode', () => {
  const event = (atMs: number, side: 'long' | 'short'): LiquidationEvent => ({
    market: {} as VenueMarket,
    at: atMs,
    side,
    price: 100_000,
    sizeUsd: 1000,
    sizeBase: 0.01,
  });
  const seconds = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => event(START_MS + s * 1000 + 250, s % 2 === 0 ? 'long' : 'short'));

  it('sends "net" for every liquidation of net-mode accounts', () => {
    expect(new Set(seconds.map((e) => posSideOf(e, 'net')))).toEqual(new Set(['net']));
  });

  it('sends the position side for every liquidation of long/short-mode accounts', () => {
    expect(seconds.map((e) => posSideOf(e, 'longShort'))).toEqual(seconds.map((e) => e.side));
  });

  it('mixes them by default, most of them net', () => {
    expect(seconds.map((e) => posSideOf(e, 'mixed'))).toEqual([
      'net',
      'net',
      'net',
      'short',
      'net',
      'net',
      'net',
      'short',
    ]);
  });

  it('takes a position mode only on OKX', () => {
    const input = { name: 'modes', start: START, durationSec: 60, venues: { okx: { positionMode: 'net' } } };
    expect(parseScenario(input).venues.okx?.positionMode).toBe('net');
    const elsewhere = { ...input, venues: { bybit: { positionMode: 'net' } } };
    expect(() => parseScenario(elsewhere)).toThrow(/only OKX reports a position mode/);
  });
});

describe('quarterly expiries', () => {
  it('fall on the last Friday of the quarter at 08:00 UTC', () => {
    expect(new Date(quarterlyExpiry(Date.parse('2025-01-02T00:00:00Z'))).toISOString()).toBe(
      '2025-03-28T08:00:00.000Z',
    );
    expect(new Date(quarterlyExpiry(Date.parse('2025-10-09T12:00:00Z'))).toISOString()).toBe(
      '2025-12-26T08:00:00.000Z',
    );
    expect(new Date(quarterlyExpiry(Date.parse('2025-12-26T09:00:00Z'))).toISOString()).toBe(
      '2026-03-27T08:00:00.000Z',
    );
  });
});
