// The request seam reads the answer of exactly the request that failed, even when calls of the same venue run at
// the same time, and names each request's endpoint for the metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExchange, endpointOf, RequestSeam, type FailureKind } from '../../src/market/client.js';
import { VENUE_ADAPTERS } from '../../src/market/venues/index.js';

/** Binance-shaped answers: each path answers 429 with its own Retry-After (seconds) or 200, after a delay. */
const ROUTES: Record<string, { status: number; retryAfterSec?: number; delayMs: number; body: string }> = {
  '/fapi/v1/premiumIndex': {
    status: 429,
    retryAfterSec: 7,
    delayMs: 60,
    body: '{"code":-1003,"msg":"Too many requests."}',
  },
  '/fapi/v1/fundingInfo': {
    status: 429,
    retryAfterSec: 2,
    delayMs: 10,
    body: '{"code":-1003,"msg":"Too many requests."}',
  },
  '/fapi/v1/time': { status: 200, delayMs: 30, body: '{"serverTime":1735689600000}' },
};

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const route = ROUTES[path];
    if (route === undefined) {
      response.writeHead(404, { 'Content-Type': 'application/json' }).end('{"code":-5000,"msg":"Path not found"}');
      return;
    }
    setTimeout(() => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (route.retryAfterSec !== undefined) headers['Retry-After'] = String(route.retryAfterSec);
      response.writeHead(route.status, headers).end(route.body);
    }, route.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A seam on a Binance instance pointed at the local server: instant sleeps, a fixed clock, retries recorded. */
function seamWith(maxRetries: number) {
  const adapter = VENUE_ADAPTERS.binanceusdm;
  const exchange = createExchange(adapter, { timeoutMs: 5_000, origin, rateLimit: false });
  const retries: { label: string; kind: FailureKind; waitMs: number }[] = [];
  const endpoints: string[] = [];
  const seam = new RequestSeam(
    exchange,
    adapter,
    { maxRetries, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterWaitMs: 60_000, defaultRateLimitPauseMs: 1 },
    { sleep: () => Promise.resolve(), random: () => 0.5, monotonic: () => 0 },
    (label, kind, _error, waitMs) => retries.push({ label, kind, waitMs }),
    (sample) => endpoints.push(sample.endpoint),
  );
  return { exchange, seam, retries, endpoints };
}

describe('the request seam', () => {
  it('reads each failed request’s own Retry-After when calls of one venue fail at the same time', async () => {
    const { exchange, seam, retries, endpoints } = seamWith(1);
    try {
      const outcomes = await Promise.allSettled([
        seam.call('premiumIndex', () => exchange.fapiPublicGetPremiumIndex()),
        seam.call('fundingInfo', () => exchange.fapiPublicGetFundingInfo()),
        seam.call('time', () => exchange.fapiPublicGetTime()),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
      // Each rate-limited call waited what its own answer asked for (the two answers arrive 50 ms apart).
      expect(retries.sort((a, b) => a.label.localeCompare(b.label))).toEqual([
        { label: 'fundingInfo', kind: 'rate-limit', waitMs: 2_000 },
        { label: 'premiumIndex', kind: 'rate-limit', waitMs: 7_000 },
      ]);
      expect(seam.pauseRemainingMs()).toBe(7_000);
      expect([...new Set(endpoints)].sort()).toEqual([
        '/fapi/v1/fundingInfo',
        '/fapi/v1/premiumIndex',
        '/fapi/v1/time',
      ]);
    } finally {
      await exchange.close();
    }
  });

  it('retries a rate-limited call after the wait its own answer asked for, while a sibling call succeeds', async () => {
    const { exchange, seam, retries } = seamWith(1);
    try {
      await Promise.allSettled([
        seam.call('fundingInfo', () => exchange.fapiPublicGetFundingInfo()),
        seam.call('time', () => exchange.fapiPublicGetTime()),
      ]);
      expect(retries).toEqual([{ label: 'fundingInfo', kind: 'rate-limit', waitMs: 2_000 }]);
    } finally {
      await exchange.close();
    }
  });

  it('names an endpoint by its path, and a typed POST by its type', () => {
    expect(endpointOf('https://fapi.binance.com/fapi/v1/openInterest?symbol=BTCUSDT', undefined)).toBe(
      '/fapi/v1/openInterest',
    );
    expect(endpointOf('http://127.0.0.1:9000/okx/api/v5/public/funding-rate?instId=ANY', undefined)).toBe(
      '/okx/api/v5/public/funding-rate',
    );
    expect(endpointOf('https://api.hyperliquid.xyz/info', '{"type":"metaAndAssetCtxs"}')).toBe(
      '/info:metaAndAssetCtxs',
    );
    expect(endpointOf(undefined, undefined)).toBe('other');
  });
});
