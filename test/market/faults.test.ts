// Faults injected in the mock exchange, one venue at a time: the faulty venue retries, waits or fails as its kind
// of failure asks, and the OTHER venues' data keeps arriving in the same cycle.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/domain/market.js';
import type { VenueCycleReport } from '../../src/market/types.js';
import { flatScenario, requestsTo, startHarness } from './helpers.js';
import type { Harness } from './helpers.js';

let h: Harness;

beforeEach(async () => {
  h = await startHarness({ scenario: flatScenario(), env: { REQUEST_TIMEOUT_MS: '1000' } });
  await h.service.start();
  await h.service.pollOnce(); // markets loaded, Binance's open interest read once
});

afterEach(async () => {
  await h.close();
});

/** Runs one cycle; returns its reports and the snapshots it wrote, by venue. */
async function cycle(): Promise<{ reports: Map<ExchangeId, VenueCycleReport>; written: Map<ExchangeId, number> }> {
  const before = h.sink.snapshots.length;
  const reports = await h.service.pollOnce();
  const written = new Map<ExchangeId, number>();
  for (const snapshot of h.sink.snapshots.slice(before)) {
    written.set(snapshot.exchange, (written.get(snapshot.exchange) ?? 0) + 1);
  }
  return { reports: new Map(reports.map((r) => [r.exchange, r])), written };
}

function expectOthersArrived(result: Awaited<ReturnType<typeof cycle>>, faulty: ExchangeId): void {
  for (const venue of ['binanceusdm', 'bybit', 'okx', 'hyperliquid'] as const) {
    if (venue === faulty) continue;
    expect(result.reports.get(venue), venue).toMatchObject({ ok: true, marketsUpdated: 3 });
    expect(result.written.get(venue), venue).toBe(3);
  }
}

describe('faults on one venue', () => {
  it('waits as long as a 429 Retry-After says, then retries, while the others deliver', async () => {
    h.mock.injectFault({
      venue: 'binanceusdm',
      route: '/fapi/v1/premiumIndex',
      kind: 'rateLimit',
      retryAfterSec: 1,
      count: 1,
    });
    const before = requestsTo(h.mock, 'binanceusdm', '/fapi/v1/premiumIndex').length;
    const result = await cycle();
    const calls = requestsTo(h.mock, 'binanceusdm', '/fapi/v1/premiumIndex').slice(before);
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect(result.reports.get('binanceusdm')).toMatchObject({ ok: true, marketsUpdated: 3 });
    expectOthersArrived(result, 'binanceusdm');
  });

  it('stops asking a venue that answers 418 until its ban ends, and keeps the others going', async () => {
    h.mock.injectFault({ venue: 'binanceusdm', kind: 'ipBan', retryAfterSec: 60, count: 1 });
    const first = await cycle();
    expect(first.reports.get('binanceusdm')).toMatchObject({ ok: false, marketsUpdated: 0 });
    expectOthersArrived(first, 'binanceusdm');
    const status = h.service.venueHealth().find((v) => v.exchange === 'binanceusdm');
    expect(status?.rateLimitedUntil).toBeGreaterThan(h.mock.scenarioTime() + 55_000);
    const sentBefore = requestsTo(h.mock, 'binanceusdm').length;
    const second = await cycle();
    expect(requestsTo(h.mock, 'binanceusdm').length).toBe(sentBefore);
    expect(second.reports.get('binanceusdm')).toMatchObject({ ok: false, requests: 0 });
    expect(second.reports.get('binanceusdm')?.error).toMatch(/pause/);
    expectOthersArrived(second, 'binanceusdm');
  });

  it('reads Bybit "too many visits" in a 200 body as a rate limit and waits for its reset', async () => {
    h.mock.injectFault({ venue: 'bybit', route: '/v5/market/tickers', kind: 'rateLimit', retryAfterSec: 1, count: 1 });
    const before = requestsTo(h.mock, 'bybit', '/v5/market/tickers').length;
    const result = await cycle();
    const calls = requestsTo(h.mock, 'bybit', '/v5/market/tickers').slice(before);
    expect(calls).toHaveLength(2);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(result.reports.get('bybit')).toMatchObject({ ok: true, marketsUpdated: 3 });
    expectOthersArrived(result, 'bybit');
  });

  it('retries a 5xx and completes the cycle', async () => {
    h.mock.injectFault({ venue: 'okx', route: '/api/v5/public/funding-rate', kind: 'status', status: 503, count: 1 });
    const result = await cycle();
    expect(result.reports.get('okx')).toMatchObject({ ok: true, marketsUpdated: 3, requests: 5 });
    expectOthersArrived(result, 'okx');
  });

  it('gives up on a request after the timeout and retries it', async () => {
    h.mock.injectFault({ venue: 'bybit', route: '/v5/market/tickers', kind: 'delay', delayMs: 2_500, count: 1 });
    const result = await cycle();
    expect(result.reports.get('bybit')).toMatchObject({ ok: true, marketsUpdated: 3, requests: 2 });
    expect(result.reports.get('bybit')?.durationMs).toBeGreaterThanOrEqual(1_000);
    expect(result.reports.get('bybit')?.durationMs).toBeLessThan(2_500);
    expectOthersArrived(result, 'bybit');
  });

  it('treats a 200 that is not JSON as a failure of that venue, retried a bounded number of times', async () => {
    h.mock.injectFault({ venue: 'hyperliquid', route: '/info:metaAndAssetCtxs', kind: 'malformedJson' });
    const result = await cycle();
    expect(result.reports.get('hyperliquid')).toMatchObject({ ok: false, marketsUpdated: 0, requests: 3 });
    expect(result.reports.get('hyperliquid')?.error).toMatch(/implausible/);
    expectOthersArrived(result, 'hyperliquid');
  });

  it('treats a truncated answer as a failure of that venue', async () => {
    h.mock.injectFault({ venue: 'binanceusdm', route: '/fapi/v1/premiumIndex', kind: 'truncated' });
    const result = await cycle();
    expect(result.reports.get('binanceusdm')).toMatchObject({ ok: false, marketsUpdated: 0 });
    expectOthersArrived(result, 'binanceusdm');
  });

  it('rejects items missing a field, logging it once per venue and field, not every cycle', async () => {
    h.mock.injectFault({ venue: 'bybit', route: '/v5/market/tickers', kind: 'missingField', field: 'markPrice' });
    const first = await cycle();
    const second = await cycle();
    for (const result of [first, second]) {
      expect(result.reports.get('bybit')).toMatchObject({ ok: false, marketsUpdated: 0 });
      expectOthersArrived(result, 'bybit');
    }
    const logged = h.log.lines.filter(
      (line) => line.fields['shape'] === 'bybit.ticker' && line.fields['field'] === 'markPrice',
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields['exchange']).toBe('bybit');
  });

  it("rejects only the market whose item lacks a field; the venue's other markets are written", async () => {
    h.mock.injectFault({
      venue: 'binanceusdm',
      route: '/fapi/v1/premiumIndex',
      kind: 'missingField',
      field: 'markPrice',
      onlyWhere: 'ETHUSDT',
    });
    const before = h.sink.snapshots.length;
    const first = await cycle();
    await cycle();
    expect(first.reports.get('binanceusdm')).toMatchObject({ ok: true, marketsUpdated: 2, errors: 1 });
    const written = h.sink.snapshots.slice(before).filter((s) => s.exchange === 'binanceusdm');
    expect(new Set(written.map((s) => s.symbol))).toEqual(new Set(['BTC/USDT:USDT', 'SOL/USDT:USDT']));
    const logged = h.log.lines.filter((line) => line.fields['shape'] === 'binanceusdm.premiumIndex');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields).toMatchObject({ id: 'ETHUSDT', field: 'markPrice' });
    expectOthersArrived(first, 'binanceusdm');
  });

  it("treats an empty 200 as a failure, yet writes what the venue's other answers gave", async () => {
    h.mock.injectFault({ venue: 'okx', route: '/api/v5/public/funding-rate', kind: 'empty' });
    const result = await cycle();
    expect(result.reports.get('okx')).toMatchObject({ ok: false, marketsUpdated: 3 });
    const btc = h.sink.latest('okx', 'BTC/USDT:USDT');
    expect(btc?.fundingRate).toBeNull();
    expect(btc?.markPrice).toBe(100_000);
    expectOthersArrived(result, 'okx');
  });

  it('marks a venue degraded after three failed cycles in a row, and ok again on its next success', async () => {
    const remove = h.mock.injectFault({ venue: 'bybit', kind: 'status', status: 502 });
    for (let i = 1; i <= 3; i++) {
      const result = await cycle();
      expectOthersArrived(result, 'bybit');
      const bybit = h.service.venueHealth().find((v) => v.exchange === 'bybit');
      expect(bybit).toMatchObject({ consecutiveFailures: i, state: i < 3 ? 'ok' : 'degraded' });
      expect(bybit?.lastError).toMatch(/502/);
    }
    remove();
    const recovered = await cycle();
    expect(recovered.reports.get('bybit')).toMatchObject({ ok: true, marketsUpdated: 3 });
    expect(h.service.venueHealth().find((v) => v.exchange === 'bybit')).toMatchObject({
      state: 'ok',
      consecutiveFailures: 0,
      lastError: null,
    });
    expect(h.service.venueHealth().every((v) => v.state === 'ok')).toBe(true);
  });
});
