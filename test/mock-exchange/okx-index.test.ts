// OKX's index tickers as the mock answers them, read through real ccxt (its implicit publicGetMarketIndexTickers):
// the scenario's index (price / (1 + premium)) per underlying, with every number a string as OKX sends it.
import type { Exchange } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockExchange } from '../../src/mock-exchange/server.js';
import type { MockExchange } from '../../src/mock-exchange/server.js';
import { START_MS, connect, fixtureScenario, manualClock } from './helpers.js';

interface IndexTickersApi {
  publicGetMarketIndexTickers(params: Record<string, string>): Promise<{ code: string; msg: string; data: unknown[] }>;
}

const FIELDS = ['high24h', 'idxPx', 'instId', 'low24h', 'open24h', 'sodUtc0', 'sodUtc8', 'ts'];

describe('the mock OKX index tickers', () => {
  const clock = manualClock();
  let mock: MockExchange;
  let okx: Exchange;
  const indexTickers = (params: Record<string, string>) =>
    (okx as unknown as IndexTickersApi).publicGetMarketIndexTickers(params);

  beforeAll(async () => {
    mock = await startMockExchange({ scenario: fixtureScenario(), clock: clock.now });
    okx = await connect(mock, 'okx');
  });

  afterAll(async () => {
    await okx.close();
    await mock.close();
  });

  it('lists the index of every USDT underlying in the OKX envelope, numbers and ts as strings', async () => {
    const answer = await indexTickers({ quoteCcy: 'USDT' });
    expect(answer).toMatchObject({ code: '0', msg: '' });
    const ids = answer.data.map((item) => (item as { instId: string }).instId);
    expect(ids.sort()).toEqual(['BTC-USDT', 'ETH-USDT']);
    for (const item of answer.data) {
      expect(Object.keys(item as object).sort()).toEqual(FIELDS);
      for (const value of Object.values(item as object)) expect(typeof value).toBe('string');
    }
  });

  it('derives the index from the scenario price and premium, rounded to the tick, at scenario time', async () => {
    const answer = await indexTickers({ quoteCcy: 'USDT' });
    const btc = answer.data.find((item) => (item as { instId: string }).instId === 'BTC-USDT');
    // 100,000 with a premium of 0.1%: 100,000 / 1.001 at a 0.1 tick.
    expect(btc).toMatchObject({ idxPx: '99900.1', ts: String(START_MS) });
    const eth = answer.data.find((item) => (item as { instId: string }).instId === 'ETH-USDT');
    expect(eth).toMatchObject({ idxPx: '2500' });
  });

  it('gives the inverse swaps their USD index, and one index by instId', async () => {
    const usd = await indexTickers({ quoteCcy: 'USD' });
    expect(usd.data).toEqual([expect.objectContaining({ instId: 'BTC-USD', idxPx: '99900.1' })]);
    const one = await indexTickers({ instId: 'ETH-USDT' });
    expect(one.data).toEqual([expect.objectContaining({ instId: 'ETH-USDT' })]);
  });

  it('refuses a request with neither quoteCcy nor instId, and an unknown index, as OKX does', async () => {
    const base = `${mock.originFor('okx')}/api/v5/market/index-tickers`;
    const bare = await fetch(base);
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ code: '50014', data: [] });
    const unknown = await fetch(`${base}?instId=NOPE-USDT`);
    expect(await unknown.json()).toMatchObject({ code: '51001' });
  });

  it('moves the index and its 24 h range as scenario time passes', async () => {
    clock.advance(600_000);
    const answer = await indexTickers({ instId: 'BTC-USDT' });
    // At 600 s: 90,000 with a premium of -0.2%.
    const btc = answer.data[0] as Record<string, string>;
    expect(Number(btc['idxPx'])).toBeCloseTo(90_000 / 0.998, 0);
    expect(Number(btc['high24h'])).toBeCloseTo(100_000 / 1.001, 0);
    expect(Number(btc['low24h'])).toBeCloseTo(90_000 / 0.998, 0);
    expect(btc['ts']).toBe(String(START_MS + 600_000));
  });
});
