// OKX's index price, read in bulk from `market/index-tickers` through real ccxt against the mock exchange: the
// basis (mark over index minus 1) is known on OKX, one instrument's bad index leaves only that market without one,
// and a failed index request keeps the rest of the cycle's data.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/domain/market.js';
import { okxSwapIdOf, parseOkxIndexTickers } from '../../src/market/venues/okx.js';
import type { ScenarioInput } from '../../src/mock-exchange/server.js';
import { OKX_BTC_SWAP, requestsTo, startHarness } from './helpers.js';
import type { Harness } from './helpers.js';

const PREMIUM = 0.0004;
const INDEX_ROUTE = '/api/v5/market/index-tickers';

function okxScenario(extraMarkets: { base: string; price: number; settle: 'USDC' }[] = []): ScenarioInput {
  const market = (base: string, price: number, extra: Record<string, unknown> = {}) => ({
    base,
    ...extra,
    keyframes: [
      {
        atSec: 0,
        price,
        premium: PREMIUM,
        fundingRate: 0.0001,
        openInterestUsd: 2_000_000_000,
        volume24hUsd: 5_000_000_000,
        depth1PctUsd: 20_000_000,
        longShortRatio: 1.5,
      },
    ],
  });
  return {
    name: 'okx-index',
    start: '2025-10-08T12:00:00Z',
    durationSec: 3600,
    venues: {
      okx: {
        markets: [
          market('BTC', 100_000, { contractSize: 0.01 }),
          market('ETH', 4_000, { contractSize: 0.1 }),
          market('SOL', 200, { contractSize: 1 }),
          ...extraMarkets.map((m) => market(m.base, m.price, { settle: m.settle, contractSize: 0.01 })),
        ],
      },
    },
  } as ScenarioInput;
}

/**
 * A proxy in front of the mock that hands every OKX answer through, except index-tickers, whose items it passes to
 * `edit` first: an answer the mock would never give, as OKX may. `target` is set once the mock runs.
 */
async function startIndexProxy(edit: (item: Record<string, unknown>) => void) {
  const proxy = { origin: '', target: '', close: () => Promise.resolve() };
  const server = createServer((request, response) => {
    void (async () => {
      const upstream = await fetch(`${proxy.target}${request.url ?? '/'}`, { method: request.method });
      let body = await upstream.text();
      if ((request.url ?? '').includes(INDEX_ROUTE)) {
        const answer = JSON.parse(body) as { data: Record<string, unknown>[] };
        answer.data.forEach(edit);
        body = JSON.stringify(answer);
      }
      response.writeHead(upstream.status, { 'content-type': 'application/json' });
      response.end(body);
    })().catch(() => {
      response.writeHead(502);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return proxy;
}

let h: Harness | undefined;
let proxy: Awaited<ReturnType<typeof startIndexProxy>> | undefined;

afterEach(async () => {
  await h?.close();
  await proxy?.close();
  h = undefined;
  proxy = undefined;
});

async function okxHarness(scenario = okxScenario()): Promise<Harness> {
  h = await startHarness({ scenario, frozen: true, env: { EXCHANGES: 'okx' } });
  await h.service.start();
  return h;
}

/** A harness whose OKX requests go through `startIndexProxy` with `edit`. */
async function proxiedHarness(edit: (item: Record<string, unknown>) => void): Promise<Harness> {
  proxy = await startIndexProxy(edit);
  // The mock serves each venue under /<venue>; the proxy keeps the path.
  const overrides = JSON.stringify({ okx: `${proxy.origin}/okx` });
  h = await startHarness({
    scenario: okxScenario(),
    frozen: true,
    env: { EXCHANGES: 'okx', EXCHANGE_ORIGIN_OVERRIDES: overrides },
  });
  proxy.target = h.mock.origin;
  await h.service.start();
  return h;
}

const latest = (harness: Harness, symbol: string) => harness.sink.latest('okx', symbol) as Snapshot;

describe('OKX index price and basis', () => {
  it('stores the index price of every OKX swap, so the basis (mark over index minus 1) is the scenario premium', async () => {
    const harness = await okxHarness();
    const [report] = await harness.service.pollOnce();
    expect(report).toMatchObject({ exchange: 'okx', ok: true, marketsUpdated: 3, errors: 0 });
    for (const [symbol, price] of [
      ['BTC/USDT:USDT', 100_000],
      ['ETH/USDT:USDT', 4_000],
      ['SOL/USDT:USDT', 200],
    ] as const) {
      const snapshot = latest(harness, symbol);
      expect(snapshot.indexPrice, symbol).not.toBeNull();
      expect(Math.abs((snapshot.indexPrice as number) / (price / (1 + PREMIUM)) - 1), symbol).toBeLessThan(1e-6);
      const basis = (snapshot.markPrice as number) / (snapshot.indexPrice as number) - 1;
      expect(basis, symbol).toBeCloseTo(PREMIUM, 5);
    }
  });

  it('reads the index of every swap in one request per quote currency per fast cycle, USDC only when listed', async () => {
    const harness = await okxHarness(okxScenario([{ base: 'BTC', price: 100_100, settle: 'USDC' }]));
    await harness.service.pollOnce();
    const before = harness.mock.requests().length;
    const [report] = await harness.service.pollOnce();
    const during = harness.mock.requests().slice(before);
    const index = during.filter((r) => r.route === INDEX_ROUTE);
    expect(index.map((r) => r.query).sort()).toEqual(['quoteCcy=USDC', 'quoteCcy=USDT']);
    expect(report).toMatchObject({ ok: true, requests: 5, marketsUpdated: 4 });
    const usdc = latest(harness, 'BTC/USDC:USDC');
    expect(usdc.indexPrice).toBeCloseTo(100_100 / (1 + PREMIUM), 0);
  });

  it('asks for USDT indexes alone when no USDC swap is listed: four requests per fast cycle', async () => {
    const harness = await okxHarness();
    await harness.service.pollOnce();
    const before = harness.mock.requests().length;
    const [report] = await harness.service.pollOnce();
    const index = harness.mock
      .requests()
      .slice(before)
      .filter((r) => r.route === INDEX_ROUTE);
    expect(index.map((r) => r.query)).toEqual(['quoteCcy=USDT']);
    expect(report).toMatchObject({ ok: true, requests: 4 });
  });

  it('leaves the index null for an instrument whose idxPx is "", and fills the others, without failing the cycle', async () => {
    const harness = await proxiedHarness((item) => {
      if (item['instId'] === 'ETH-USDT') item['idxPx'] = '';
    });
    const [report] = await harness.service.pollOnce();
    expect(report).toMatchObject({ ok: true, marketsUpdated: 3, errors: 0 });
    expect(latest(harness, 'ETH/USDT:USDT').indexPrice).toBeNull();
    expect(latest(harness, 'ETH/USDT:USDT').markPrice).toBe(4_000);
    expect(latest(harness, 'BTC/USDT:USDT').indexPrice).toBeCloseTo(100_000 / (1 + PREMIUM), 0);
    expect(latest(harness, 'SOL/USDT:USDT').indexPrice).toBeCloseTo(200 / (1 + PREMIUM), 3);
  });

  it('rejects an index that is not a positive number for that instrument only, logging it once per field', async () => {
    const harness = await proxiedHarness((item) => {
      if (item['instId'] === 'SOL-USDT') item['idxPx'] = '0';
      if (item['instId'] === 'BTC-USDT') item['idxPx'] = 'n/a';
    });
    const [report] = await harness.service.pollOnce();
    await harness.service.pollOnce();
    expect(report).toMatchObject({ ok: true, marketsUpdated: 3, errors: 2 });
    expect(latest(harness, 'SOL/USDT:USDT').indexPrice).toBeNull();
    expect(latest(harness, 'BTC/USDT:USDT').indexPrice).toBeNull();
    expect(latest(harness, 'ETH/USDT:USDT').indexPrice).toBeCloseTo(4_000 / (1 + PREMIUM), 2);
    // Rejections are logged once per venue, shape and field, over both cycles.
    const logged = harness.log.lines.filter((line) => line.fields['shape'] === 'okx.indexTicker');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields).toMatchObject({ exchange: 'okx', field: 'idxPx' });
  });

  it('leaves the index null for an instrument whose item has no idxPx at all', async () => {
    const harness = await okxHarness();
    harness.mock.injectFault({
      venue: 'okx',
      route: INDEX_ROUTE,
      kind: 'missingField',
      field: 'idxPx',
      onlyWhere: 'BTC-USDT',
    });
    const [report] = await harness.service.pollOnce();
    expect(report).toMatchObject({ ok: true, marketsUpdated: 3 });
    expect(latest(harness, 'BTC/USDT:USDT').indexPrice).toBeNull();
    expect(latest(harness, 'ETH/USDT:USDT').indexPrice).not.toBeNull();
  });

  it('stores the other OKX data and reports the failure when index-tickers answers 500', async () => {
    const harness = await okxHarness();
    harness.mock.injectFault({ venue: 'okx', route: INDEX_ROUTE, kind: 'status', status: 500 });
    const [report] = await harness.service.pollOnce();
    // Three index attempts (two retries) besides the three other bulk calls.
    expect(report).toMatchObject({ ok: false, marketsUpdated: 3, requests: 6 });
    expect(requestsTo(harness.mock, 'okx', INDEX_ROUTE).map((r) => r.status)).toEqual([500, 500, 500]);
    const btc = latest(harness, 'BTC/USDT:USDT');
    expect(btc).toMatchObject({ markPrice: 100_000, fundingRate: 0.0001, indexPrice: null });
    expect(btc.openInterestContracts).not.toBeNull();
    const failed = harness.log.lines.filter((line) => line.message === 'bulk request failed');
    expect(failed.map((line) => line.fields['request'])).toEqual(['indexTickers USDT']);
  });

  it('treats an empty 200 from index-tickers as a failed request, the rest of the cycle still stored', async () => {
    const harness = await okxHarness();
    harness.mock.injectFault({ venue: 'okx', route: INDEX_ROUTE, kind: 'empty' });
    const [report] = await harness.service.pollOnce();
    expect(report).toMatchObject({ ok: false, marketsUpdated: 3 });
    expect(report?.error).toMatch(/indexTickers: implausible/);
    expect(latest(harness, 'ETH/USDT:USDT')).toMatchObject({ markPrice: 4_000, indexPrice: null });
  });
});

describe('parsing OKX index tickers', () => {
  const btc = OKX_BTC_SWAP;
  const swapOf = (indexId: string) => (okxSwapIdOf(indexId) === btc.venueId ? btc : undefined);

  it('pairs an index with the swap of the same underlying: BTC-USDT with BTC-USDT-SWAP', () => {
    expect(okxSwapIdOf('BTC-USDT')).toBe('BTC-USDT-SWAP');
    expect(okxSwapIdOf('ETH-USDC')).toBe('ETH-USDC-SWAP');
  });

  it('reads idxPx of our swaps as a number and skips indexes of markets we do not watch', () => {
    const parsed = parseOkxIndexTickers(
      [
        { instId: 'BTC-USDT', idxPx: '99960.1', high24h: '1', low24h: '1', open24h: '1', ts: '1' },
        { instId: 'BTC-USD', idxPx: 'garbage', ts: '1' },
      ],
      swapOf,
    );
    expect([...parsed.values]).toEqual([['BTC/USDT:USDT', { indexPrice: 99960.1 }]]);
    expect(parsed.rejections).toEqual([]);
  });

  it('gives no index, and no rejection, for an idxPx OKX sends as ""', () => {
    const parsed = parseOkxIndexTickers([{ instId: 'BTC-USDT', idxPx: '', ts: '1' }], swapOf);
    expect(parsed.values.size).toBe(0);
    expect(parsed.rejections).toEqual([]);
  });
});
