// The outbox worker over its asynchronous port (src/domain/outbox.ts): a store whose every answer takes a while,
// or fails for a while, still gets each row sent once, in queue order per destination, one lane per destination.
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/chat/clock.js';
import { OutboxWorker, wireReportingSender, type OutboxSender } from '../../src/chat/outbox-worker.js';
import { reply } from '../../src/commands/reply.js';
import type { OutboxPlatform, OutboxQueue, OutboxRow } from '../../src/domain/outbox.js';
import { SqliteOutbox, sqliteOutboxQueue } from '../../src/store/outbox.js';
import { chatDatabase } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What the slow port saw: every call in order, and the calls that failed on purpose. */
interface PortLog {
  calls: string[];
  releases: string[];
}

/**
 * The SQLite outbox behind a port whose every method answers after `delayMs` (as a remote database does), with
 * no synchronous wire marks, and whose `destinations` rejects the first `failDestinations` times.
 */
function slowQueue(outbox: SqliteOutbox, options: { delayMs?: number; failDestinations?: number } = {}) {
  const inner = sqliteOutboxQueue(outbox);
  const log: PortLog = { calls: [], releases: [] };
  let failuresLeft = options.failDestinations ?? 0;
  const slow =
    <A extends unknown[], R>(name: string, method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      log.calls.push(`${name}:${args.join(',')}`);
      await delay(options.delayMs ?? 2);
      return method(...args);
    };
  const queue: OutboxQueue = {
    destinations: slow('destinations', async (platform: OutboxPlatform, limit: number) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('connection refused');
      }
      return inner.destinations(platform, limit);
    }),
    release: slow('release', async (platform: OutboxPlatform, chatId: string) => {
      log.releases.push(`${platform}:${chatId}`);
      return inner.release(platform, chatId);
    }),
    nextPending: slow('nextPending', inner.nextPending),
    markAttempting: slow('markAttempting', inner.markAttempting),
    markNotSent: slow('markNotSent', inner.markNotSent),
    markMaybeSent: slow('markMaybeSent', inner.markMaybeSent),
    markPartSent: slow('markPartSent', inner.markPartSent),
    markSent: slow('markSent', inner.markSent),
    markFailed: slow('markFailed', inner.markFailed),
    markUnknown: slow('markUnknown', inner.markUnknown),
  };
  return { queue, log };
}

function outboxWith(rowsPerChat: Record<string, number>): SqliteOutbox {
  const db = chatDatabase();
  cleanups.push(() => {
    db.close();
  });
  const outbox = new SqliteOutbox(db);
  const now = Date.now();
  let n = 0;
  // Interleaved, so that each chat's order differs from the order of the table.
  const most = Math.max(...Object.values(rowsPerChat));
  for (let i = 0; i < most; i++) {
    for (const [chatId, count] of Object.entries(rowsPerChat)) {
      if (i >= count) continue;
      outbox.enqueue([
        {
          alertId: `alert-${++n}`,
          platform: 'telegram',
          chatId,
          reply: reply(`${chatId}#${i}`, 'an alert'),
          createdAt: now,
          notAfter: now + 600_000,
        },
      ]);
    }
  }
  return outbox;
}

/** A sender that takes a while, records what it sent, and checks one lane per chat at a time. */
function recordingSender(outbox: SqliteOutbox, options: { wire?: boolean } = {}) {
  const sent: string[] = [];
  const busy = new Set<string>();
  const overlaps: string[] = [];
  const statesAtSend: string[] = [];
  const send = async (row: OutboxRow): Promise<void> => {
    if (busy.has(row.chatId)) overlaps.push(row.chatId);
    busy.add(row.chatId);
    statesAtSend.push(outbox.row(row.id)?.state ?? 'missing');
    await delay(3);
    sent.push(row.reply.title);
    busy.delete(row.chatId);
  };
  const sender: OutboxSender = options.wire === true ? wireReportingSender(send) : send;
  return { sender, sent, overlaps, statesAtSend };
}

function inOrder(sent: readonly string[], chatId: string): string[] {
  return sent.filter((title) => title.startsWith(`${chatId}#`));
}

describe('the outbox worker over a slow asynchronous port', () => {
  it('delivers every row once, in queue order per destination, with never two lanes for one destination', async () => {
    const outbox = outboxWith({ a: 5, b: 3, c: 4 });
    const { queue } = slowQueue(outbox);
    const { sender, sent, overlaps } = recordingSender(outbox);
    const worker = new OutboxWorker({ outbox: queue, clock: systemClock, senders: { telegram: sender } });
    cleanups.push(() => worker.stop());

    // Passes that overlap (the timer's and drain's) must not start a second lane for a chat.
    worker.start(1);
    const result = await worker.drain();

    expect(overlaps).toEqual([]);
    expect(sent).toHaveLength(12);
    expect(new Set(sent).size).toBe(12);
    expect(inOrder(sent, 'a')).toEqual(['a#0', 'a#1', 'a#2', 'a#3', 'a#4']);
    expect(inOrder(sent, 'b')).toEqual(['b#0', 'b#1', 'b#2']);
    expect(inOrder(sent, 'c')).toEqual(['c#0', 'c#1', 'c#2', 'c#3']);
    expect(result.failed).toBe(0);
    expect(outbox.counts()).toMatchObject({ pending: 0, attempting: 0, sent: 12 });
  });

  it('keeps to the concurrency bound while the port is slow', async () => {
    const outbox = outboxWith({ a: 2, b: 2, c: 2, d: 2 });
    const { queue } = slowQueue(outbox);
    let running = 0;
    let most = 0;
    const sender: OutboxSender = async () => {
      most = Math.max(most, ++running);
      await delay(3);
      running--;
    };
    const worker = new OutboxWorker({
      outbox: queue,
      clock: systemClock,
      senders: { telegram: sender },
      concurrency: 2,
    });
    cleanups.push(() => worker.stop());

    const result = await worker.drain();

    expect(result.sent).toBe(8);
    expect(most).toBe(2);
    expect(outbox.counts()).toMatchObject({ pending: 0, sent: 8 });
  });

  it('retries a port whose destinations() rejects a few times, and the rows still go out', async () => {
    const outbox = outboxWith({ a: 2, b: 1 });
    const { queue, log } = slowQueue(outbox, { failDestinations: 3 });
    const { sender, sent } = recordingSender(outbox);
    const errors: string[] = [];
    const logger = {
      error: (message: string) => errors.push(message),
      warn: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      child: () => logger,
    };
    const worker = new OutboxWorker({
      outbox: queue,
      clock: systemClock,
      senders: { telegram: sender },
      retryDelayMs: 5,
      log: logger,
    });
    cleanups.push(() => worker.stop());

    const result = await worker.drain();

    expect(result.sent).toBe(3);
    expect([...sent].sort()).toEqual(['a#0', 'a#1', 'b#0']);
    expect(errors.filter((m) => m === 'outbox scheduling failed')).toHaveLength(3);
    expect(log.calls.filter((c) => c.startsWith('destinations')).length).toBeGreaterThanOrEqual(4);
    expect(outbox.counts()).toMatchObject({ pending: 0, sent: 3 });
  });

  it('retries on the timer when destinations() rejects, without an unhandled rejection', async () => {
    const outbox = outboxWith({ a: 2 });
    const { queue } = slowQueue(outbox, { failDestinations: 2 });
    const { sender, sent } = recordingSender(outbox);
    const worker = new OutboxWorker({ outbox: queue, clock: systemClock, senders: { telegram: sender } });
    cleanups.push(() => worker.stop());

    worker.start(5);
    for (let i = 0; i < 200 && sent.length < 2; i++) await delay(5);

    expect(sent).toEqual(['a#0', 'a#1']);
  });

  it('ends a lane whose nextPending() rejects, keeps its rows, and sends them on the retry', async () => {
    const outbox = outboxWith({ a: 2, b: 1 });
    const { queue } = slowQueue(outbox);
    let failuresLeft = 2;
    const nextPending = queue.nextPending;
    queue.nextPending = async (platform, chatId) => {
      if (chatId === 'a' && failuresLeft-- > 0) throw new Error('connection reset');
      return nextPending(platform, chatId);
    };
    const { sender, sent } = recordingSender(outbox);
    const worker = new OutboxWorker({
      outbox: queue,
      clock: systemClock,
      senders: { telegram: sender },
      retryDelayMs: 5,
    });
    cleanups.push(() => worker.stop());

    const result = await worker.drain();

    expect(result.sent).toBe(3);
    expect(inOrder(sent, 'a')).toEqual(['a#0', 'a#1']);
    expect(outbox.counts()).toMatchObject({ pending: 0, sent: 3 });
  });

  it('awaits markAttempting before it calls the sender', async () => {
    const outbox = outboxWith({ a: 2 });
    const { queue, log } = slowQueue(outbox, { delayMs: 10 });
    const { sender, statesAtSend } = recordingSender(outbox);
    const worker = new OutboxWorker({ outbox: queue, clock: systemClock, senders: { telegram: sender } });
    cleanups.push(() => worker.stop());

    await worker.drain();

    expect(statesAtSend).toEqual(['attempting', 'attempting']);
    expect(log.calls.filter((c) => /^(markAttempting|markSent)/.test(c)).map((c) => c.split(':')[0])).toEqual([
      'markAttempting',
      'markSent',
      'markAttempting',
      'markSent',
    ]);
  });

  it('marks a wire-reporting sender’s row attempting before the call when the port has no synchronous marks', async () => {
    const outbox = outboxWith({ a: 1 });
    const { queue } = slowQueue(outbox);
    const { sender, statesAtSend } = recordingSender(outbox, { wire: true });
    const worker = new OutboxWorker({ outbox: queue, clock: systemClock, senders: { telegram: sender } });
    cleanups.push(() => worker.stop());

    const result = await worker.drain();

    expect(result.sent).toBe(1);
    expect(statesAtSend).toEqual(['attempting']);
  });

  it('puts a row withdrawn in a wait back to pending when the port has no synchronous marks', async () => {
    const outbox = outboxWith({ a: 1 });
    const { queue } = slowQueue(outbox);
    let waiting: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (waiting = resolve));
    // Waits for its turn as the seam does, until the stop aborts the wait.
    const sender = wireReportingSender(
      (_row, _onPartSent, context) =>
        new Promise((_resolve, reject) => {
          waiting();
          context?.wire.signal?.addEventListener('abort', () => {
            try {
              context.wire.onWire?.();
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        }),
    );
    const worker = new OutboxWorker({ outbox: queue, clock: systemClock, senders: { telegram: sender } });

    void worker.drain();
    await reached;
    await worker.stop();

    expect(outbox.counts()).toMatchObject({ pending: 1, attempting: 0, sent: 0, failed: 0 });
  });

  it('calls release() for each lane when it ends', async () => {
    const outbox = outboxWith({ a: 2, b: 1, c: 1 });
    const { queue, log } = slowQueue(outbox);
    const { sender } = recordingSender(outbox);
    const worker = new OutboxWorker({ outbox: queue, clock: systemClock, senders: { telegram: sender } });
    cleanups.push(() => worker.stop());

    await worker.drain();

    expect([...log.releases].sort()).toEqual(['telegram:a', 'telegram:b', 'telegram:c']);
  });

  it('still takes a SqliteOutbox and adapts it', async () => {
    const outbox = outboxWith({ a: 2 });
    const { sender, sent } = recordingSender(outbox);
    const worker = new OutboxWorker({ outbox, clock: systemClock, senders: { telegram: sender } });
    cleanups.push(() => worker.stop());

    await worker.drain();

    expect(sent).toEqual(['a#0', 'a#1']);
  });
});

describe('the SQLite outbox as a port', () => {
  it('lists destinations longest waiting first, up to the limit, and releases as a no-op', async () => {
    const outbox = outboxWith({ a: 1, b: 1, c: 1 });
    const queue = sqliteOutboxQueue(outbox);

    expect(await queue.destinations('telegram', 2)).toEqual(['a', 'b']);
    expect(await queue.destinations('telegram', Number.POSITIVE_INFINITY)).toEqual(['a', 'b', 'c']);
    await expect(queue.release('telegram', 'a')).resolves.toBeUndefined();
    expect(await queue.destinations('telegram', 3)).toEqual(['a', 'b', 'c']);
  });

  it('turns a throw of the store into a rejection', async () => {
    const db = chatDatabase();
    const outbox = new SqliteOutbox(db);
    db.close();

    await expect(sqliteOutboxQueue(outbox).destinations('telegram', 1)).rejects.toThrow();
  });
});
