import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideAlerts } from '../../src/alerts/rules.js';
import { enqueueAlerts } from '../../src/chat/fanout.js';
import { reply } from '../../src/commands/reply.js';
import { RESEND_WINDOW_MS, SqliteOutbox } from '../../src/store/outbox.js';
import { SqliteSubscriptionStore } from '../../src/store/subscriptions.js';
import { chatDatabase, reading } from './helpers.js';

const chat = { platform: 'telegram' as const, id: '-100' };

describe('the SQLite subscription store', () => {
  it('creates one subscription per chat and replaces its filters on a second subscribe', () => {
    const store = new SqliteSubscriptionStore(chatDatabase());
    store.upsert({ chat, markets: ['BTC'], minLevel: 'warning', regimes: null, createdBy: '7', createdAt: 1 });
    store.pause(chat, 'blocked');
    const again = store.upsert({
      chat,
      markets: null,
      minLevel: 'critical',
      regimes: ['unwinding'],
      createdBy: '8',
      createdAt: 2,
    });
    expect(again).toMatchObject({
      markets: null,
      minLevel: 'critical',
      regimes: ['unwinding'],
      paused: false,
      createdBy: '8',
    });
    expect(store.active()).toHaveLength(1);
  });

  it('pauses, moves and removes a chat', () => {
    const store = new SqliteSubscriptionStore(chatDatabase());
    store.upsert({ chat, markets: null, minLevel: 'warning', regimes: null, createdBy: null, createdAt: 1 });
    store.moveChat(chat, '-1009');
    expect(store.forChat(chat)).toBeUndefined();
    store.pause({ platform: 'telegram', id: '-1009' }, 'kicked');
    expect(store.active()).toEqual([]);
    expect(store.forChat({ platform: 'telegram', id: '-1009' })?.pausedReason).toBe('kicked');
    expect(store.remove({ platform: 'telegram', id: '-1009' })).toBe(true);
    expect(store.remove({ platform: 'telegram', id: '-1009' })).toBe(false);
  });
});

describe('the SQLite outbox', () => {
  const item = (chatId: string) => ({
    alertId: 'rise:x:warning:1',
    platform: 'telegram' as const,
    chatId,
    reply: reply('t', 'b'),
    createdAt: 1,
    notAfter: 10,
  });

  it('enqueues each alert for each destination once, by idempotency key', () => {
    const outbox = new SqliteOutbox(chatDatabase());
    expect(outbox.enqueue([item('1'), item('2')])).toBe(2);
    expect(outbox.enqueue([item('1'), item('2'), item('3')])).toBe(1);
    expect(outbox.pending('telegram', 10).map((r) => r.chatId)).toEqual(['1', '2', '3']);
  });

  it('keeps a chart through the database', () => {
    const outbox = new SqliteOutbox(chatDatabase());
    const png = new Uint8Array([1, 2, 3, 250]);
    outbox.enqueue([{ ...item('1'), reply: { ...reply('t', 'b'), image: { filename: 'c.png', png, alt: 'chart' } } }]);
    expect(outbox.pending('telegram', 1)[0]?.reply.image).toEqual({ filename: 'c.png', png, alt: 'chart' });
  });

  it('resolves rows in flight at a crash: Discord requeued within its nonce window, Telegram marked unknown', () => {
    const db = chatDatabase();
    const outbox = new SqliteOutbox(db);
    outbox.enqueue([item('1'), item('2'), { ...item('9'), platform: 'discord' }]);
    for (const row of [...outbox.pending('telegram', 10), ...outbox.pending('discord', 10)])
      outbox.markAttempting(row.id, 5);
    expect(outbox.recoverInFlight({ now: 6 })).toEqual({ requeued: 1, unknown: 2 });
    expect(outbox.counts()).toMatchObject({ pending: 1, unknown: 2, attempting: 0 });
    // The requeued row remembers when its request may have arrived: the seam resends it only within the window.
    expect(outbox.pending('discord', 1)[0]?.maybeSentAt).toBe(5);
  });

  it('marks a Discord row unknown, not requeued, when its request was in flight longer ago than the nonce window', () => {
    const outbox = new SqliteOutbox(chatDatabase());
    outbox.enqueue([{ ...item('9'), platform: 'discord' }]);
    const [row] = outbox.pending('discord', 1);
    outbox.markAttempting(row?.id ?? 0, 1_000);
    expect(outbox.recoverInFlight({ now: 1_000 + RESEND_WINDOW_MS.discord + 1 })).toEqual({ requeued: 0, unknown: 1 });
  });

  it('keeps a row pending while it waits and attempting only while a request is on the wire', () => {
    const outbox = new SqliteOutbox(chatDatabase());
    outbox.enqueue([item('1'), item('1b'), { ...item('2'), alertId: 'other' }]);
    const first = outbox.nextPending('telegram', '1');
    expect(outbox.pendingDestinations('telegram')).toEqual(['1', '1b', '2']);
    expect(outbox.markAttempting(first?.id ?? 0, 2)).toBe(true);
    expect(outbox.nextPending('telegram', '1')).toBeUndefined();
    // A 429: not sent, back to pending; then one part of two accepted: pending again for the next part.
    outbox.markNotSent(first?.id ?? 0);
    expect(outbox.row(first?.id ?? 0)?.state).toBe('pending');
    outbox.markAttempting(first?.id ?? 0, 3);
    outbox.markPartSent(first?.id ?? 0, 1);
    expect(outbox.row(first?.id ?? 0)).toMatchObject({ state: 'pending', partsSent: 1, attempts: 2 });
    expect(outbox.dropChat('telegram', '1', 4, 'dropped: chat gone (blocked)').map((r) => r.id)).toEqual([first?.id]);
    expect(outbox.markAttempting(first?.id ?? 0, 5)).toBe(false);
  });
});

describe('alerts through the outbox across cycles', () => {
  it('enqueue nothing new when a cycle is decided twice, and hold back the repeat in the next cycle', () => {
    const db = chatDatabase();
    const subscriptions = new SqliteSubscriptionStore(db);
    const outbox = new SqliteOutbox(db);
    subscriptions.upsert({ chat, markets: null, minLevel: 'warning', regimes: null, createdBy: null, createdAt: 0 });
    const cycle = (now: number, level: 'warning' | 'critical') =>
      decideAlerts({
        readings: [reading({ level, previousLevel: 'elevated' })],
        subscriptions: subscriptions.active(),
        lastAlerts: outbox.lastAlerts(now - 24 * 3_600_000),
        now,
      });
    const first = cycle(1_000_000, 'warning');
    expect(enqueueAlerts(outbox, first, { now: 1_000_000, maxDelayMs: 60_000 })).toEqual({ discord: 0, telegram: 1 });
    expect(enqueueAlerts(outbox, first, { now: 1_000_000, maxDelayMs: 60_000 })).toEqual({ discord: 0, telegram: 0 });
    expect(outbox.lastAlerts()).toEqual([
      { destination: 'telegram:-100', market: 'coin:BTC', level: 'warning', at: 1_000_000 },
    ]);
    // The same level ten minutes later is held back; critical goes out.
    expect(cycle(1_600_000, 'warning')).toEqual([]);
    expect(cycle(1_600_000, 'critical')[0]?.kind).toBe('escalation');
  });

  it('keep the coin cooldown across a restart: the last alerts round-trip through SQLite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-outbox-'));
    const file = join(dir, 'bot.db');
    const venues = ['binanceusdm', 'bybit', 'okx', 'hyperliquid'];
    const btc = (levels: readonly ('calm' | 'warning' | 'critical')[]) =>
      venues.map((venue, i) =>
        reading({
          market: `${venue}:BTC/${venue === 'hyperliquid' ? 'USDC:USDC' : 'USDT:USDT'}`,
          level: levels[i] ?? 'calm',
          // After a restart the loop has no previous levels: every raised market reads as rising.
          previousLevel: 'calm',
          score: 70 - i,
        }),
      );
    /** One process: opens the database, decides one cycle with what the outbox remembers, enqueues, closes. */
    const processCycle = (now: number, levels: readonly ('calm' | 'warning' | 'critical')[]) => {
      const db = chatDatabase(file);
      try {
        const subscriptions = new SqliteSubscriptionStore(db);
        const outbox = new SqliteOutbox(db);
        if (subscriptions.active().length === 0)
          subscriptions.upsert({
            chat,
            markets: null,
            minLevel: 'warning',
            regimes: null,
            createdBy: null,
            createdAt: 0,
          });
        const alerts = decideAlerts({
          readings: btc(levels),
          subscriptions: subscriptions.active(),
          lastAlerts: outbox.lastAlerts(now - 24 * 3_600_000),
          now,
        });
        enqueueAlerts(outbox, alerts, { now, maxDelayMs: 60_000 });
        return alerts;
      } finally {
        db.close();
      }
    };
    try {
      const t0 = 1_764_115_200_000;
      expect(processCycle(t0, ['warning', 'warning', 'warning']).map((a) => a.id)).toEqual([
        `rise:coin:BTC:warning:${t0}`,
      ]);
      // Restarted ten minutes later with a fourth venue at warning too: the coin was alerted, nothing new.
      expect(processCycle(t0 + 600_000, ['warning', 'warning', 'warning', 'warning'])).toEqual([]);
      // Critical on one venue is an escalation, and after it the coin's record says critical.
      const escalation = processCycle(t0 + 900_000, ['warning', 'warning', 'warning', 'critical']);
      expect(escalation.map((a) => a.kind)).toEqual(['escalation']);
      const db = chatDatabase(file);
      expect(new SqliteOutbox(db).lastAlerts()).toEqual([
        { destination: 'telegram:-100', market: 'coin:BTC', level: 'critical', at: t0 + 900_000 },
      ]);
      db.close();
      // All calm after another restart: one all clear.
      expect(processCycle(t0 + 1_800_000, []).map((a) => a.kind)).toEqual(['allClear']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
