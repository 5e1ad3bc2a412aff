// The mock exchange on a worker thread (what replays use) answers exactly as the in-process server does at the
// same clock, and its clock moves only when told to; its transport gives ccxt what HTTP gives it.
import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/domain/market.js';
import { rewriteUrlTree } from '../../src/market/origin.js';
import { parseScenario } from '../../src/mock-exchange/scenario.js';
import type { ScenarioInput } from '../../src/mock-exchange/scenario.js';
import { startMockExchange, type MockExchange } from '../../src/mock-exchange/server.js';
import { startMockExchangeThread, type MockExchangeThread } from '../../src/mock-exchange/thread.js';
import { fixtureScenario, manualClock } from './helpers.js';

function binanceAt(origin: string): Exchange {
  const exchange: Exchange = new ccxt.pro.binanceusdm({ enableRateLimit: false });
  exchange.urls['api'] = rewriteUrlTree(exchange.urls['api'], origin);
  return exchange;
}

describe('the mock exchange on a worker thread', () => {
  const clock = manualClock(1_000_000);
  let local: MockExchange;
  let threaded: MockExchangeThread;
  let fromLocal: Exchange;
  let fromThread: Exchange;

  beforeAll(async () => {
    const scenario = parseScenario(fixtureScenario());
    local = await startMockExchange({ scenario, clock: clock.now });
    threaded = await startMockExchangeThread(scenario, clock.now());
    fromLocal = binanceAt(local.originFor('binanceusdm'));
    fromThread = binanceAt(threaded.overrides().binanceusdm);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([fromLocal.close(), fromThread.close()]);
    await Promise.all([local.close(), threaded.close()]);
  });

  it('serves every venue on 127.0.0.1 under its own prefix', () => {
    expect(threaded.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(threaded.overrides()).toEqual({
      binanceusdm: `${threaded.origin}/binanceusdm`,
      bybit: `${threaded.origin}/bybit`,
      okx: `${threaded.origin}/okx`,
      hyperliquid: `${threaded.origin}/hyperliquid`,
    });
  });

  it('answers as the in-process server at the same clock, before and after the clock moves', async () => {
    const read = (exchange: Exchange): Promise<unknown> => exchange.fapiPublicGetPremiumIndex();
    const atStart = await read(fromThread);
    expect(atStart).toEqual(await read(fromLocal));

    clock.advance(600_000);
    // Until told, the thread's clock stays where it was.
    expect(await read(fromThread)).toEqual(atStart);
    await threaded.advance(clock.now());
    const later = await read(fromThread);
    expect(later).toEqual(await read(fromLocal));
    expect(later).not.toEqual(atStart);
  });

  it('answers a request sent right after advance() at the new time, before the push it runs is done', async () => {
    const read = (exchange: Exchange): Promise<unknown> => exchange.fapiPublicGetPremiumIndex();
    const before = await read(fromThread);
    clock.advance(600_000);
    // Not awaited: the replay sends the next pass's requests while the worker may still be pushing.
    const pushed = threaded.advance(clock.now());
    const answered = await read(fromThread);
    await pushed;
    expect(answered).toEqual(await read(fromLocal));
    expect(answered).not.toEqual(before);
  });

  it('has seen no socket upgrade before a client opens one', async () => {
    expect(await threaded.upgradedVenues()).toEqual([]);
  });
});

/** What a call settled with: the answer, or the error's class and message with the mock's origin left out. */
async function outcome(call: Promise<unknown>, origin = ''): Promise<unknown> {
  try {
    return { answer: await call };
  } catch (error) {
    if (!(error instanceof Error)) return { error };
    return {
      error: error.constructor.name,
      message: origin === '' ? error.message : error.message.replaceAll(origin, ''),
    };
  }
}

describe("the thread's transport (ccxt's fetchImplementation in replays)", () => {
  const clock = manualClock(1_000_000);
  const faults: ScenarioInput['faults'] = [
    { kind: 'rateLimit', venue: 'binanceusdm', route: '/fapi/v1/openInterest', retryAfterSec: 7, count: 1 },
    { kind: 'status', venue: 'bybit', route: '/v5/market/tickers', status: 503, count: 1 },
    { kind: 'malformedJson', venue: 'okx', route: '/api/v5/public/funding-rate', count: 1 },
    { kind: 'delay', venue: 'binanceusdm', route: '/fapi/v1/ticker/bookTicker', delayMs: 2_000, count: 1 },
  ];
  let threaded: MockExchangeThread;
  let overHttp: MockExchangeThread;

  beforeAll(async () => {
    const scenario = parseScenario({ ...fixtureScenario(), faults });
    // Two threads on the same scenario, so each meets every scripted fault once.
    [threaded, overHttp] = await Promise.all([
      startMockExchangeThread(scenario, clock.now()),
      startMockExchangeThread(scenario, clock.now()),
    ]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([threaded.close(), overHttp.close()]);
  });

  const pair = (venue: ExchangeId, config: Record<string, unknown> = {}): [Exchange, Exchange] => {
    const make = (mock: MockExchangeThread, direct: boolean): Exchange => {
      const exchange: Exchange = new ccxt.pro[venue]({ enableRateLimit: false, ...config });
      exchange.urls['api'] = rewriteUrlTree(exchange.urls['api'], mock.overrides()[venue]);
      if (direct) exchange.fetchImplementation = mock.transport;
      return exchange;
    };
    return [make(threaded, true), make(overHttp, false)];
  };

  it('gives ccxt the same answers and the same errors as HTTP, GET and POST, faults included', async () => {
    const [binance, binanceHttp] = pair('binanceusdm');
    const [bybit, bybitHttp] = pair('bybit');
    const [okx, okxHttp] = pair('okx');
    const [hyperliquid, hyperliquidHttp] = pair('hyperliquid');
    const calls: [string, (b: Exchange, y: Exchange, o: Exchange, h: Exchange) => Promise<unknown>][] = [
      ['premiumIndex', (b) => b.fapiPublicGetPremiumIndex()],
      ['depth with a query', (b) => b.fapiPublicGetDepth({ symbol: 'BTCUSDT', limit: 100 })],
      ['openInterest, rate-limited once', (b) => b.fapiPublicGetOpenInterest({ symbol: 'BTCUSDT' })],
      ['openInterest again', (b) => b.fapiPublicGetOpenInterest({ symbol: 'BTCUSDT' })],
      ['Bybit tickers, a 503 once', (_, y) => y.publicGetV5MarketTickers({ category: 'linear' })],
      ['OKX funding, malformed once', (_, __, o) => o.publicGetPublicFundingRate({ instId: 'BTC-USDT-SWAP' })],
      ['Hyperliquid POST /info', (_, __, ___, h) => h.publicPostInfo({ type: 'metaAndAssetCtxs' })],
      ['a route the mock does not serve', (b) => b.fapiPublicGetKlines({ symbol: 'BTCUSDT', interval: '1m' })],
    ];
    const errors: string[] = [];
    for (const [, call] of calls) {
      const direct = await outcome(call(binance, bybit, okx, hyperliquid), threaded.origin);
      const http = await outcome(call(binanceHttp, bybitHttp, okxHttp, hyperliquidHttp), overHttp.origin);
      expect(direct).toEqual(http);
      if (typeof direct === 'object' && direct !== null && 'error' in direct) errors.push(String(direct.error));
    }
    // The faults and the unserved route reached ccxt as errors through both paths.
    expect(errors).toEqual(expect.arrayContaining(['DDoSProtection', 'ExchangeNotAvailable']));
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });

  it("hands over the venue's headers (Retry-After) as an HTTP client reads them", async () => {
    const [binance] = pair('binanceusdm');
    // The fault above was used up by the first test: a fresh thread meets it again.
    const fresh = await startMockExchangeThread(parseScenario({ ...fixtureScenario(), faults }), clock.now());
    try {
      const url = `${fresh.overrides().binanceusdm}/fapi/v1/openInterest?symbol=BTCUSDT`;
      const answer = (await fresh.transport(url, { method: 'GET' })) as { status: number; headers: object };
      expect(answer.status).toBe(429);
      expect(answer.headers).toMatchObject({ 'retry-after': '7', 'content-type': expect.stringMatching(/json/) });
    } finally {
      await Promise.all([binance.close(), fresh.close()]);
    }
  });

  it("stops waiting when ccxt's timeout aborts the request, and a late answer changes nothing", async () => {
    const [binance] = pair('binanceusdm', { timeout: 300 });
    const started = performance.now();
    const slow = await outcome(binance.fapiPublicGetTickerBookTicker({ symbol: 'BTCUSDT' }));
    expect(slow).toMatchObject({ error: 'RequestTimeout' });
    expect(performance.now() - started).toBeLessThan(1_500);
    // The delayed answer arrives later and is dropped; the next request is answered normally.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await outcome(binance.fapiPublicGetTickerBookTicker({ symbol: 'BTCUSDT' }))).toHaveProperty('answer');
  });

  it('refuses a URL that is not the mock exchange, and a request already aborted, without sending it', async () => {
    await expect(threaded.transport('http://127.0.0.1:1/binanceusdm/fapi/v1/premiumIndex', {})).rejects.toThrow(
      /not the mock exchange/,
    );
    const aborted = new AbortController();
    aborted.abort();
    const url = `${threaded.overrides().binanceusdm}/fapi/v1/premiumIndex`;
    await expect(threaded.transport(url, { signal: aborted.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
