import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Delivery } from '../../src/chat/delivery.js';
import { CeilingWindow, TokenBucket, type WindowSpec } from '../../src/chat/limiter.js';
import { steppedClock } from './helpers.js';

/** The most times in any window [t, t + windowMs): what a platform counting "per second" sees. */
function busiestWindow(times: readonly number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while ((sorted[j] ?? 0) - (sorted[i] ?? 0) >= windowMs) i++;
    busiest = Math.max(busiest, j - i + 1);
  }
  return busiest;
}

const SPEC: WindowSpec = { limit: 5, windowMs: 1000, transitMs: 200 };

/** One simulated request: when it asks, how long it takes to reach the platform, and how its answer comes. */
interface Request {
  askAt: number;
  /** From the grant to the platform receiving it: within transitMs (the ceiling's one assumption). */
  wireMs: number;
  /** From the platform receiving it to our seeing the answer (any length: answers can come back bunched). */
  answerMs: number;
  /** Never answered: given up after `timeoutMs` from the grant. */
  hung: boolean;
  /** Withdrawn after its grant, before the wire (a 429 came in meanwhile). */
  withdrawn: boolean;
}

const requestArb: fc.Arbitrary<Request> = fc.record({
  askAt: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 4000 })),
  // The extremes most often: a slot's requests leaving at once and late is what bunches arrivals.
  wireMs: fc.oneof(fc.constant(0), fc.constant(SPEC.transitMs), fc.integer({ min: 0, max: SPEC.transitMs })),
  answerMs: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 3000 })),
  hung: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  withdrawn: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});

/** Runs the requests through one window on a stepped clock; returns when the platform received each. */
async function simulate(requests: readonly Request[], timeoutMs = 1500): Promise<number[]> {
  const clock = steppedClock(0);
  const window = new CeilingWindow(SPEC, clock);
  const received: number[] = [];
  const all = Promise.all(
    requests.map(async (request) => {
      await clock.sleep(request.askAt);
      const permit = await window.acquire();
      if (request.withdrawn) return permit.release();
      const grantedAt = clock.now();
      await clock.sleep(request.wireMs);
      received.push(clock.now());
      if (request.hung) await clock.sleep(grantedAt + timeoutMs - clock.now());
      else await clock.sleep(request.answerMs);
      permit.settle();
    }),
  );
  await clock.run(all);
  return received;
}

describe('a ceiling window', () => {
  it('never lets more than its limit reach the platform in any window, however the requests are delayed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { minLength: 1, maxLength: 60 }), async (requests) => {
        const received = await simulate(requests);
        expect(received).toHaveLength(requests.filter((r) => !r.withdrawn).length);
        expect(busiestWindow(received)).toBeLessThanOrEqual(SPEC.limit);
      }),
      { seed: 20261201, numRuns: 200 },
    );
  });

  it('holds the ceiling where a token bucket of the same rate lets twice as many through in one second', async () => {
    // Every other group of five leaves late (by transitMs), the next at once: arrivals bunch across a second.
    const requests: Request[] = Array.from({ length: 40 }, (_, i) => ({
      askAt: 0,
      wireMs: Math.floor(i / SPEC.limit) % 2 === 0 ? SPEC.transitMs : 0,
      answerMs: 5,
      hung: false,
      withdrawn: false,
    }));
    expect(busiestWindow(await simulate(requests))).toBeLessThanOrEqual(SPEC.limit);

    const clock = steppedClock(0);
    const bucket = new TokenBucket({ ratePerSecond: SPEC.limit, capacity: SPEC.limit }, clock);
    const received: number[] = [];
    const all = Promise.all(
      requests.map(async (request) => {
        await bucket.acquire();
        await clock.sleep(request.wireMs);
        received.push(clock.now());
      }),
    );
    await clock.run(all);
    expect(busiestWindow(received)).toBeGreaterThan(SPEC.limit);
  });

  it('frees the slot of a hung request one window after its transit bound, not at its timeout', async () => {
    const clock = steppedClock(0);
    // No stall detection: a loaded test machine must not restart the transit.
    const window = new CeilingWindow({ limit: 1, windowMs: 1000, transitMs: 200, stallRealMs: Infinity }, clock);
    const grants: number[] = [];
    const hung = (async () => {
      const permit = await window.acquire();
      grants.push(clock.now());
      await clock.sleep(10_000);
      permit.settle();
    })();
    const next = (async () => {
      await clock.sleep(1);
      const permit = await window.acquire();
      grants.push(clock.now());
      permit.settle();
    })();
    await clock.run(Promise.all([hung, next]));
    expect(grants).toEqual([0, 1200]);
  });

  it('does not count a stall of the process in the transit of a request in flight, since it may not have left', async () => {
    const clock = steppedClock(0);
    const window = new CeilingWindow({ limit: 1, windowMs: 1000, transitMs: 200, stallRealMs: 500 }, clock);
    const grants: number[] = [];
    const hung = (async () => {
      const permit = await window.acquire();
      grants.push(clock.now());
      await clock.sleep(10_000);
      permit.settle();
    })();
    const next = (async () => {
      await clock.sleep(150);
      // The event loop is blocked for longer than stallRealMs.
      const until = performance.now() + 600;
      while (performance.now() < until);
      const permit = await window.acquire();
      grants.push(clock.now());
      permit.settle();
    })();
    await clock.run(Promise.all([hung, next]));
    expect(grants).toEqual([0, 150 + 200 + 1000]);
  });

  it('frees a slot one window after the answer, and at once when no request was made with it', async () => {
    const clock = steppedClock(0);
    const window = new CeilingWindow({ limit: 1, windowMs: 1000, transitMs: 2000 }, clock);
    const grants: number[] = [];
    const work = (async () => {
      const first = await window.acquire();
      await clock.sleep(300);
      first.settle();
      const second = await window.acquire();
      grants.push(clock.now());
      second.release();
      const third = await window.acquire();
      grants.push(clock.now());
      third.settle();
    })();
    await clock.run(work);
    expect(grants).toEqual([1300, 1300]);
  });

  it('lets a waiter whose signal aborts leave the queue without taking a slot', async () => {
    const clock = steppedClock(0);
    const window = new CeilingWindow({ limit: 1, windowMs: 1000, transitMs: 200 }, clock);
    const held = await window.acquire();
    const stop = new AbortController();
    const abandoned = window.acquire(stop.signal);
    stop.abort();
    await expect(abandoned).rejects.toMatchObject({ name: 'AbortError' });
    held.release();
    expect(window.held()).toBe(0);
  });
});

describe('the delivery seam under its ceilings', () => {
  it('lets at most 28 Telegram and 48 Discord requests reach the platforms in any second, answers bunched or not', async () => {
    const clock = steppedClock(0);
    const delivery = new Delivery({ clock });
    const received: Record<'telegram' | 'discord', number[]> = { telegram: [], discord: [] };
    let n = 0;
    const sends = (['telegram', 'discord'] as const).flatMap((platform) =>
      Array.from({ length: 300 }, (_, i) =>
        delivery.send({ platform, chatId: String(1000 + i), kind: 'alert', method: 'send' }, async () => {
          // The request leaves late (a busy library queue) and its answer comes back late, both varying.
          const k = n++;
          await clock.sleep((k * 37) % 1500);
          received[platform].push(clock.now());
          await clock.sleep((k * 53) % 400);
          return 'ok';
        }),
      ),
    );
    await clock.run(Promise.all(sends));
    expect(received.telegram).toHaveLength(300);
    expect(received.discord).toHaveLength(300);
    expect(busiestWindow(received.telegram)).toBeLessThanOrEqual(28);
    expect(busiestWindow(received.discord)).toBeLessThanOrEqual(48);
  });
});
