// The tiered open-interest plan, failure classification, backoff and Retry-After, and the no-overlap job.
import { DDoSProtection, ExchangeError, ExchangeNotAvailable, RateLimitExceeded, RequestTimeout } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../src/market/backoff.js';
import { classifyFailure } from '../../src/market/client.js';
import { fewestOpenInterestRequests, planOpenInterest } from '../../src/market/openInterestPlan.js';
import { SerialJob } from '../../src/market/scheduler.js';
import { ImplausibleResponseError } from '../../src/market/venues/adapter.js';

const markets = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    symbol: `M${String(i).padStart(3, '0')}`,
    openInterestUsd: 1_000_000 * (count - i),
  }));

describe('the tiered open-interest plan', () => {
  it('reads the largest markets every cycle and the rest within five cycles', () => {
    const watched = markets(100);
    const lastReadCycle = new Map<string, number>();
    const seen = new Map<string, number[]>();
    for (let cycle = 1; cycle <= 10; cycle++) {
      const plan = planOpenInterest({ watched, unknown: [], lastReadCycle, topCount: 20, spreadCycles: 5, budget: 40 });
      expect(plan.symbols).toHaveLength(20 + 16);
      expect(plan.top).toEqual(watched.slice(0, 20).map((m) => m.symbol));
      for (const symbol of plan.symbols) {
        lastReadCycle.set(symbol, cycle);
        seen.set(symbol, [...(seen.get(symbol) ?? []), cycle]);
      }
    }
    for (const market of watched.slice(20)) {
      const cycles = [0, ...(seen.get(market.symbol) ?? []), 11];
      const gaps = cycles.slice(1).map((c, i) => c - (cycles[i] ?? 0));
      expect(Math.max(...gaps)).toBeLessThanOrEqual(5);
    }
  });

  it('spends exactly the fewest requests that freshness needs', () => {
    const plan = planOpenInterest({
      watched: markets(137),
      unknown: [],
      lastReadCycle: new Map(),
      topCount: 20,
      spreadCycles: 5,
      budget: 100,
    });
    expect(plan.symbols.length).toBe(fewestOpenInterestRequests(137, 20, 5));
    expect(plan.refreshCycles).toBe(5);
  });

  it('stays within the budget when it is too small, and says how stale the rest gets', () => {
    const plan = planOpenInterest({
      watched: markets(300),
      unknown: [],
      lastReadCycle: new Map(),
      topCount: 20,
      spreadCycles: 5,
      budget: 40,
    });
    expect(plan.budgeted).toBe(40);
    expect(plan.top).toHaveLength(20);
    expect(plan.refreshCycles).toBe(14);
  });

  it('asks first, and outside the budget, for markets whose open interest was never read', () => {
    const plan = planOpenInterest({
      watched: [],
      unknown: ['A', 'B', 'C'],
      lastReadCycle: new Map(),
      topCount: 20,
      spreadCycles: 5,
      budget: 1,
    });
    expect(plan.symbols).toEqual(['A', 'B', 'C']);
  });
});

describe('sorting failures', () => {
  const venue = { rateLimitStatuses: [418, 429], rateLimitBodyCodes: ['10006'] };

  it('treats rate-limit classes and statuses as "slow down"', () => {
    expect(classifyFailure(new RateLimitExceeded('x'), undefined, venue)).toBe('rate-limit');
    expect(classifyFailure(new DDoSProtection('x'), undefined, venue)).toBe('rate-limit');
    expect(classifyFailure(new ExchangeNotAvailable('x'), { status: 429 }, venue)).toBe('rate-limit');
  });

  it('treats an ExchangeError whose body code means rate limited as "slow down"', () => {
    expect(classifyFailure(new ExchangeError('bybit {...}'), { status: 200, body: '{"retCode":10006}' }, venue)).toBe(
      'rate-limit',
    );
  });

  it('retries 5xx, timeouts and implausible answers, and not a refusal', () => {
    expect(classifyFailure(new ExchangeNotAvailable('503'), { status: 503 }, venue)).toBe('retryable');
    expect(classifyFailure(new RequestTimeout('t'), undefined, venue)).toBe('retryable');
    expect(classifyFailure(new ImplausibleResponseError('okx', 'x', 0, 3), undefined, venue)).toBe('retryable');
    expect(classifyFailure(new ExchangeError('bad symbol'), { status: 400, body: '{"code":-1121}' }, venue)).toBe(
      'refused',
    );
    expect(classifyFailure(new TypeError('bug'), undefined, venue)).toBe('refused');
  });
});

describe('waiting', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000);
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });

  it('backs off exponentially with jitter between half and all of the step, up to a cap', () => {
    expect(backoffDelay(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 1_000, () => 1)).toBe(1_000);
  });
});

describe('a job that never overlaps itself', () => {
  it('skips and counts a trigger while the previous run is still going', async () => {
    let release: () => void = () => undefined;
    let runs = 0;
    const skipped: string[] = [];
    const job = new SerialJob(
      'slow',
      async () => {
        runs += 1;
        await new Promise<void>((resolve) => (release = resolve));
        return runs;
      },
      (name) => skipped.push(name),
    );
    const first = job.trigger();
    const second = await job.trigger();
    expect(second).toEqual({ ran: false });
    expect(job.skipped).toBe(1);
    expect(skipped).toEqual(['slow']);
    release();
    expect(await first).toEqual({ ran: true, result: 1 });
    const third = job.trigger();
    release();
    expect(await third).toEqual({ ran: true, result: 2 });
  });
});
