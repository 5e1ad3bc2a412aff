// Graceful shutdown with the real outbox worker, a real SQLite outbox and a fake sender: the send in flight
// finishes and is marked sent, rows not yet tried stay pending (nothing lost), the next start sends them once
// each; a second signal aborts at once, unless it repeats the first within a second (one request delivered twice);
// a stuck step times out and the stop still completes, with exit code 1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxWorker, type OutboxSender } from '../../src/chat/outbox-worker.js';
import { systemClock } from '../../src/chat/clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { gracefulShutdown } from '../../src/ops/shutdown.js';
import { SqliteOutbox } from '../../src/store/outbox.js';
import { chatDatabase } from '../chat/helpers.js';
import { waitFor } from '../market/helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function enqueue(outbox: SqliteOutbox, count: number): void {
  const now = Date.now();
  outbox.enqueue(
    Array.from({ length: count }, (_, i) => ({
      alertId: `alert-${i}`,
      platform: 'telegram' as const,
      chatId: '4242',
      reply: { text: `alert ${i}` } as never,
      createdAt: now,
      notAfter: now + 15 * 60_000,
    })),
  );
}

/** A sender whose calls wait until the test releases them; records what it delivered. */
function heldSender() {
  const delivered: string[] = [];
  const waiting: (() => void)[] = [];
  const sender: OutboxSender = async (row) => {
    await new Promise<void>((resolve) => waiting.push(resolve));
    delivered.push(row.alertId);
  };
  return { sender, delivered, waiting, releaseAll: () => waiting.splice(0).forEach((release) => release()) };
}

describe('graceful shutdown', () => {
  it('lets the send in flight finish, leaves the rest pending, and the next start delivers each alert exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-shutdown-'));
    dirs.push(dir);
    const file = join(dir, 'bot.db');
    let db = chatDatabase(file);
    let outbox = new SqliteOutbox(db);
    enqueue(outbox, 3);
    const first = heldSender();
    const worker = new OutboxWorker({
      outbox,
      clock: systemClock,
      senders: { telegram: first.sender },
      concurrency: 1,
    });
    worker.start(10);
    await waitFor(() => first.waiting.length === 1, 5_000, 'the first send to be in flight');

    let code: number | undefined;
    const order: string[] = [];
    const shutdown = gracefulShutdown({
      log: silentLogger,
      steps: [
        { name: 'chat', run: () => worker.stop().then(() => void order.push('chat stopped')) },
        { name: 'store', run: () => void (db.close(), order.push('store closed')) },
      ],
      done: (c) => (code = c),
      abort: () => order.push('aborted'),
    });
    const stopping = shutdown.handle('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Still waiting for the send in flight: the store stays open until it is marked.
    expect(order).toEqual([]);
    expect(outbox.counts()).toMatchObject({ attempting: 1, pending: 2, sent: 0 });
    first.releaseAll();
    await stopping;
    expect(code).toBe(0);
    expect(order).toEqual(['chat stopped', 'store closed']);
    expect(first.delivered).toEqual(['alert-0']);

    // The next start: the same file, nothing in flight to recover, the two waiting rows sent once each.
    db = chatDatabase(file);
    outbox = new SqliteOutbox(db);
    expect(outbox.counts()).toMatchObject({ sent: 1, pending: 2, attempting: 0, unknown: 0, failed: 0 });
    expect(outbox.recoverInFlight({ now: Date.now() })).toEqual({ requeued: 0, unknown: 0 });
    const second = heldSender();
    const next = new OutboxWorker({ outbox, clock: systemClock, senders: { telegram: second.sender } });
    const drained = next.drain();
    // One chat's rows go out one at a time, in order: release each send as it comes.
    for (const row of ['alert-1', 'alert-2']) {
      await waitFor(() => second.waiting.length === 1, 5_000, `${row} to be sent`);
      second.releaseAll();
    }
    expect(await drained).toEqual({ sent: 2, failed: 0 });
    expect(second.delivered).toEqual(['alert-1', 'alert-2']);
    expect([...first.delivered, ...second.delivered].sort()).toEqual(['alert-0', 'alert-1', 'alert-2']);
    expect(outbox.counts()).toMatchObject({ sent: 3, pending: 0, attempting: 0 });
    db.close();
  });

  it('exits at once with code 1 on a second signal', async () => {
    const aborted: string[] = [];
    let release: () => void = () => undefined;
    const shutdown = gracefulShutdown({
      log: silentLogger,
      steps: [{ name: 'slow', run: () => new Promise<void>((resolve) => (release = resolve)) }],
      done: () => aborted.push('done'),
      abort: () => aborted.push('abort'),
    });
    const first = shutdown.handle('SIGTERM');
    expect(shutdown.stopping).toBe(true);
    await shutdown.handle('SIGINT');
    expect(aborted).toEqual(['abort']);
    release();
    await first;
  });

  it('takes the same signal again within a second as the same request and finishes the stop', async () => {
    // tsx relays a SIGTERM the process also received directly: two, 30 ms apart.
    let now = 5_000;
    const events: string[] = [];
    let release: () => void = () => undefined;
    const shutdown = gracefulShutdown({
      log: silentLogger,
      now: () => now,
      steps: [{ name: 'chat', run: () => new Promise<void>((resolve) => (release = resolve)) }],
      done: (code) => events.push(`done ${code}`),
      abort: () => events.push('abort'),
    });
    const first = shutdown.handle('SIGTERM');
    now += 30;
    await shutdown.handle('SIGTERM');
    expect(events).toEqual([]);
    release();
    await first;
    expect(events).toEqual(['done 0']);
  });

  it('exits at once on the same signal a second or more after the first', async () => {
    let now = 5_000;
    const events: string[] = [];
    let release: () => void = () => undefined;
    const shutdown = gracefulShutdown({
      log: silentLogger,
      now: () => now,
      steps: [{ name: 'chat', run: () => new Promise<void>((resolve) => (release = resolve)) }],
      done: (code) => events.push(`done ${code}`),
      abort: () => events.push('abort'),
    });
    const first = shutdown.handle('SIGTERM');
    now += 1_000;
    await shutdown.handle('SIGTERM');
    expect(events).toEqual(['abort']);
    release();
    await first;
  });

  it('stops the same way on a failure that cannot recover, reporting exit code 1, and a signal meanwhile waits', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    const shutdown = gracefulShutdown({
      log: silentLogger,
      now: () => 0,
      steps: [
        { name: 'chat', run: () => new Promise<void>((resolve) => (release = resolve)) },
        { name: 'store', run: () => void events.push('store closed') },
      ],
      done: (code) => events.push(`done ${code}`),
      abort: () => events.push('abort'),
    });
    const failing = shutdown.fail('telegram polling stopped: 409 Conflict');
    expect(shutdown.stopping).toBe(true);
    // The supervisor's SIGTERM during that stop asks for what is under way.
    await shutdown.handle('SIGTERM');
    expect(events).toEqual([]);
    release();
    await failing;
    expect(events).toEqual(['store closed', 'done 1']);
  });

  it('goes on after a step that fails or hangs, and reports exit code 1', async () => {
    const ran: string[] = [];
    let code: number | undefined;
    const shutdown = gracefulShutdown({
      log: silentLogger,
      steps: [
        { name: 'hangs', run: () => new Promise<void>(() => undefined), timeoutMs: 50 },
        {
          name: 'throws',
          run: () => {
            throw new Error('boom');
          },
        },
        { name: 'store', run: () => void ran.push('store') },
      ],
      done: (c) => (code = c),
      abort: () => undefined,
    });
    await shutdown.handle('SIGTERM');
    expect(ran).toEqual(['store']);
    expect(code).toBe(1);
  });
});
