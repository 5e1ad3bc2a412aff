// The mock exchange on a worker thread (what replays use) answers exactly as the in-process server does at the
// same clock, and its clock moves only when told to.
import ccxt from 'ccxt';
import type { Exchange } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rewriteUrlTree } from '../../src/market/origin.js';
import { parseScenario } from '../../src/mock-exchange/scenario.js';
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
