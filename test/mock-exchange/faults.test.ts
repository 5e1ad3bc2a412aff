import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/domain/market.js';
import type { FaultSpec } from '../../src/mock-exchange/scenario.js';
import { startMockExchange } from '../../src/mock-exchange/server.js';
import type { MockExchange } from '../../src/mock-exchange/server.js';
import { connect, fixtureScenario, manualClock, tradingPerpetuals } from './helpers.js';

const VENUES = ['binanceusdm', 'bybit', 'okx', 'hyperliquid'] as const;
type ErrorName =
  | 'DDoSProtection'
  | 'RateLimitExceeded'
  | 'ExchangeNotAvailable'
  | 'RequestTimeout'
  | 'BadSymbol'
  | 'BadRequest'
  | 'no error';
// 'no error': ccxt returns an empty result instead.

/** What ccxt 4.5.84 raises from fetchFundingRates when the venue answers with each fault. */
const EXPECTED: readonly [string, FaultSpec, Record<ExchangeId, ErrorName>][] = [
  [
    'its rate-limit answer',
    { kind: 'rateLimit', retryAfterSec: 7 },
    {
      binanceusdm: 'DDoSProtection',
      bybit: 'RateLimitExceeded',
      okx: 'RateLimitExceeded',
      hyperliquid: 'RateLimitExceeded',
    },
  ],
  [
    'its ban answer (Binance 418, Bybit 403)',
    { kind: 'ipBan' },
    {
      binanceusdm: 'DDoSProtection',
      bybit: 'RateLimitExceeded',
      okx: 'RateLimitExceeded',
      hyperliquid: 'RateLimitExceeded',
    },
  ],
  [
    'an HTML 503 page',
    { kind: 'status', status: 503 },
    {
      binanceusdm: 'ExchangeNotAvailable',
      bybit: 'ExchangeNotAvailable',
      okx: 'ExchangeNotAvailable',
      hyperliquid: 'ExchangeNotAvailable',
    },
  ],
  [
    'an HTML 500 page',
    { kind: 'status', status: 500 },
    {
      binanceusdm: 'ExchangeNotAvailable',
      bybit: 'ExchangeNotAvailable',
      okx: 'ExchangeNotAvailable',
      hyperliquid: 'ExchangeNotAvailable',
    },
  ],
  [
    'an HTML 504 page',
    { kind: 'status', status: 504 },
    { binanceusdm: 'RequestTimeout', bybit: 'RequestTimeout', okx: 'RequestTimeout', hyperliquid: 'RequestTimeout' },
  ],
  [
    'its unknown-symbol answer',
    { kind: 'badSymbol' },
    { binanceusdm: 'BadSymbol', bybit: 'BadRequest', okx: 'BadSymbol', hyperliquid: 'no error' },
  ],
  [
    'an answer slower than the client timeout',
    { kind: 'delay', delayMs: 800 },
    { binanceusdm: 'RequestTimeout', bybit: 'RequestTimeout', okx: 'RequestTimeout', hyperliquid: 'RequestTimeout' },
  ],
  [
    'a 200 that is not JSON',
    { kind: 'malformedJson' },
    { binanceusdm: 'no error', bybit: 'no error', okx: 'no error', hyperliquid: 'no error' },
  ],
  [
    'a truncated 200',
    { kind: 'truncated' },
    { binanceusdm: 'no error', bybit: 'no error', okx: 'no error', hyperliquid: 'no error' },
  ],
  [
    'an empty 200',
    { kind: 'empty' },
    { binanceusdm: 'no error', bybit: 'no error', okx: 'no error', hyperliquid: 'no error' },
  ],
];

const CASES = EXPECTED.flatMap(([what, fault, byVenue]) =>
  VENUES.map((venue) => [venue, what, byVenue[venue], fault] as const),
);

describe('injected faults reach ccxt as each venue real answer would', () => {
  const clock = manualClock();
  let mock: MockExchange;
  const exchanges = {} as Record<ExchangeId, Exchange>;

  beforeAll(async () => {
    const scenario = fixtureScenario();
    scenario.faults = [
      { venue: 'okx', route: '/api/v5/public/funding-rate', fromSec: 100, toSec: 110, kind: 'rateLimit' },
    ];
    mock = await startMockExchange({ scenario, clock: clock.now });
    for (const venue of VENUES) {
      exchanges[venue] = await connect(mock, venue, { timeout: 300 });
      await exchanges[venue].loadMarkets();
    }
  });

  afterAll(async () => {
    await Promise.all(Object.values(exchanges).map((exchange) => exchange.close()));
    await mock.close();
  });

  it.each(CASES)('%s sending %s makes ccxt raise %s', async (venue, _what, expected, fault) => {
    const remove = mock.injectFault({ ...fault, venue, count: 1 });
    try {
      const call = exchanges[venue].fetchFundingRates();
      if (expected === 'no error') {
        await expect(call).resolves.toEqual({});
      } else {
        const error = await call.then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(ccxt[expected]);
        // Retryable kinds sit under NetworkError, the venue's refusals under ExchangeError.
        expect(error).toBeInstanceOf(
          ['BadSymbol', 'BadRequest'].includes(expected) ? ccxt.ExchangeError : ccxt.NetworkError,
        );
      }
      // `count: 1`: the next call gets the real answer.
      await expect(exchanges[venue].fetchFundingRates()).resolves.not.toEqual({});
    } finally {
      remove();
    }
    const last = mock
      .requests()
      .filter((r) => r.venue === venue && r.fault !== undefined)
      .at(-1);
    expect(last?.fault).toBe(
      fault.kind === 'status' ? `status ${fault.status}` : fault.kind === 'delay' ? 'delay 800ms' : fault.kind,
    );
  });

  it('sends Binance rate limits with Retry-After and the -1003 body', async () => {
    mock.injectFault({ venue: 'binanceusdm', kind: 'rateLimit', retryAfterSec: 42, count: 1 });
    const response = await fetch(`${mock.originFor('binanceusdm')}/fapi/v1/premiumIndex`);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('42');
    expect(await response.json()).toMatchObject({ code: -1003 });
  });

  it('answers a real unknown symbol with the venue error, not only under a fault', async () => {
    const binance = await fetch(`${mock.originFor('binanceusdm')}/fapi/v1/openInterest?symbol=NOPEUSDT`);
    expect(binance.status).toBe(400);
    expect(await binance.json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    const okx = await fetch(`${mock.originFor('okx')}/api/v5/market/books?instId=NOPE-USDT-SWAP`);
    expect(await okx.json()).toMatchObject({ code: '51001' });
    const bybit = await fetch(`${mock.originFor('bybit')}/v5/market/orderbook?category=linear&symbol=NOPEUSDT`);
    expect(await bybit.json()).toMatchObject({ retCode: 10001 });
  });

  it('leaves a value out when a missingField fault drops it from every item', async () => {
    mock.injectFault({
      venue: 'binanceusdm',
      route: '/fapi/v1/premiumIndex',
      kind: 'missingField',
      field: 'lastFundingRate',
      count: 1,
    });
    const rates = await exchanges.binanceusdm.fetchFundingRates();
    expect(rates['BTC/USDT:USDT']).toMatchObject({ markPrice: 100_000, fundingRate: undefined });
    mock.injectFault({ venue: 'hyperliquid', kind: 'missingField', field: 'funding', count: 1 });
    const hyperliquid = await exchanges.hyperliquid.fetchFundingRates();
    expect(hyperliquid['BTC/USDC:USDC']?.fundingRate).toBeUndefined();
  });

  it('can drop a field from one market only', async () => {
    mock.injectFault({
      venue: 'binanceusdm',
      route: '/fapi/v1/premiumIndex',
      kind: 'missingField',
      field: 'markPrice',
      onlyWhere: 'BTCUSDT',
      count: 1,
    });
    const rates = await exchanges.binanceusdm.fetchFundingRates();
    expect(rates['BTC/USDT:USDT']).toMatchObject({ markPrice: undefined, fundingRate: 0.0001 });
    expect(rates['ETH/USDC:USDC']).toMatchObject({ markPrice: 2500 });
  });

  it('stores zero markets when loadMarkets gets a malformed 200, until reloaded', async () => {
    const fresh = await connect(mock, 'bybit');
    try {
      mock.injectFault({ venue: 'bybit', route: '/v5/market/instruments-info', kind: 'malformedJson', count: 2 });
      // Two requests (the page and the PreLaunch listing), both malformed: no error, no markets, and they stay.
      expect(Object.keys(await fresh.loadMarkets())).toHaveLength(0);
      expect(Object.keys(await fresh.loadMarkets())).toHaveLength(0);
      expect(tradingPerpetuals(await fresh.loadMarkets(true))).toHaveLength(3);
    } finally {
      await fresh.close();
    }
  });

  it('applies a scripted fault only inside its scenario window', async () => {
    await expect(exchanges.okx.fetchFundingRates()).resolves.toBeDefined();
    clock.advance(105_000);
    await expect(exchanges.okx.fetchFundingRates()).rejects.toBeInstanceOf(ccxt.RateLimitExceeded);
    await expect(exchanges.okx.fetchOpenInterests()).resolves.toBeDefined();
    clock.advance(5_000);
    await expect(exchanges.okx.fetchFundingRates()).resolves.toBeDefined();
  });

  it('rejects a fault that is not valid', () => {
    expect(() => mock.injectFault({ kind: 'delay', delayMs: -5 } as FaultSpec)).toThrow();
  });
});
