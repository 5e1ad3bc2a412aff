// Shared helpers of the chat tests: a virtual clock, a database with the chat tables, builders.
import Database from 'better-sqlite3';
import type { Clock } from '../../src/chat/clock.js';
import type { Subscription } from '../../src/domain/ports.js';
import { migrate } from '../../src/store/migrations.js';
import type { MarketReading } from '../../src/alerts/types.js';

/** A clock whose sleeps return at once and move virtual time forward; it records every sleep. */
export function virtualClock(startAt = 1_764_115_200_000): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = startAt;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      now += Math.max(0, ms);
      await Promise.resolve();
    },
  };
}

export function chatDatabase(file = ':memory:'): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db, () => 0);
  return db;
}

let nextSubscriptionId = 1;
export function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: nextSubscriptionId++,
    chat: { platform: 'telegram', id: String(1000 + nextSubscriptionId) },
    markets: null,
    minLevel: 'warning',
    regimes: null,
    createdBy: null,
    createdAt: 0,
    paused: false,
    pausedReason: null,
    ...overrides,
  };
}

export function reading(overrides: Partial<MarketReading> = {}): MarketReading {
  return {
    market: 'binanceusdm:BTC/USDT:USDT',
    level: 'warning',
    previousLevel: 'elevated',
    regime: 'loaded',
    score: 72,
    reasons: ['Open interest rose 18% in 4 hours while price went nowhere.', 'Funding is at the 99th percentile.'],
    cascade: 'a 3% drop would liquidate about $420M of longs',
    openInterestUsd: 9_000_000_000,
    ...overrides,
  };
}

/**
 * A clock that moves only when told to: `sleep` registers a timer, and `run` fires the timers in time order,
 * letting every promise settle between two, until `done` has settled. Concurrent sleepers overlap as they would
 * in real time (unlike virtualClock), so limiter tests can simulate many requests in flight at once.
 */
export function steppedClock(startAt = 1_764_115_200_000): Clock & { run(done: Promise<unknown>): Promise<void> } {
  let now = startAt;
  let order = 0;
  const timers: { at: number; order: number; fire: () => void }[] = [];
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted === true) return resolve();
        const timer = { at: now + Math.max(0, ms), order: order++, fire: resolve };
        timers.push(timer);
        signal?.addEventListener(
          'abort',
          () => {
            const index = timers.indexOf(timer);
            if (index >= 0) timers.splice(index, 1);
            resolve();
          },
          { once: true },
        );
      }),
    async run(done) {
      let finished = false;
      void done.finally(() => (finished = true)).catch(() => undefined);
      for (;;) {
        await settle();
        if (finished) return;
        timers.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = timers.shift();
        if (!next) throw new Error('steppedClock: nothing left to run, but the work has not finished');
        now = Math.max(now, next.at);
        next.fire();
      }
    },
  };
}
