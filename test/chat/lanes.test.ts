// The outbox worker's per-destination lanes against the platform-shaped fakes, through the real delivery seam,
// telegraf and discord.js REST, on a real SQLite file: a hung, backlogged, flood-waiting or gone chat delays or
// costs only itself; a stop leaves every unsent alert pending; a request that may have arrived is not resent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REST } from 'discord.js';
import { Telegram } from 'telegraf';
import { afterEach, describe, expect, it } from 'vitest';
import { scaledClock, systemClock, type Clock } from '../../src/chat/clock.js';
import { Delivery, type DeliveryOptions } from '../../src/chat/delivery.js';
import { DISCORD_REST_OPTIONS, discordAlertSender } from '../../src/chat/discord.js';
import { OutboxWorker, subscriptionChatEvents, type OutboxSender } from '../../src/chat/outbox-worker.js';
import { telegramAlertSender } from '../../src/chat/telegram.js';
import { reply } from '../../src/commands/reply.js';
import { SqliteOutbox, type OutboxPlatform, type OutboxRow } from '../../src/store/outbox.js';
import { SqliteSubscriptionStore } from '../../src/store/subscriptions.js';
import { DISCORD_ERRORS, FakeDiscord } from '../fakes/discord.js';
import { FakeTelegram, TELEGRAM_ERRORS } from '../fakes/telegram.js';
import { chatDatabase } from './helpers.js';

const TELEGRAM_TOKEN = '7000000001:AAFakeTokenForTestsOnly_abcdefghijkl';
const DISCORD_TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDAwMQ.fake.discord-token-for-tests-only';
const CHANNEL_A = '1300000000000000301';
const CHANNEL_B = '1300000000000000302';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface WorldOptions {
  delivery?: DeliveryOptions;
  clock?: Clock;
  telegramLimits?: false;
}

/** Both fakes, the seam, a worker and a subscription store over one SQLite file, wired as src/chat/start.ts does. */
async function world(options: WorldOptions = {}) {
  const clock = options.clock ?? systemClock;
  const telegram = new FakeTelegram({ token: TELEGRAM_TOKEN, limits: options.telegramLimits ?? false, now: clock.now });
  const discord = new FakeDiscord({ token: DISCORD_TOKEN, applicationId: '1300000000000000042', now: clock.now });
  await Promise.all([telegram.start(), discord.start()]);
  const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-lanes-'));
  const db = chatDatabase(join(dir, 'chat.db'));
  const outbox = new SqliteOutbox(db);
  const subscriptions = new SqliteSubscriptionStore(db);
  // As in start.ts: the worker exists before the seam, which tells it of rows dropped for a gone chat.
  const senders: Partial<Record<OutboxPlatform, OutboxSender>> = {};
  const worker = new OutboxWorker({ outbox, clock, senders });
  const delivery = new Delivery({
    clock,
    ...options.delivery,
    events: subscriptionChatEvents(subscriptions, outbox, {
      now: clock.now,
      onDropped: (rows, reason) => worker.recordDropped(rows, reason),
    }),
  });
  const rest = new REST({ api: discord.baseUrl, ...DISCORD_REST_OPTIONS }).setToken(DISCORD_TOKEN);
  senders.telegram = telegramAlertSender(new Telegram(TELEGRAM_TOKEN, { apiRoot: telegram.apiRoot }), delivery);
  senders.discord = discordAlertSender(rest, delivery);
  cleanups.push(async () => {
    telegram.releaseHeld();
    await worker.stop();
    await Promise.all([telegram.stop(), discord.stop()]);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let next = 1;
  /** Queues one alert per entry; its title is `alert-<n>`, and it returns the titles in order. */
  const enqueue = (platform: OutboxPlatform, chatId: string, count = 1, deadlineMs = 600_000): string[] => {
    const now = clock.now();
    const titles = Array.from({ length: count }, () => `alert-${next++}`);
    outbox.enqueue(
      titles.map((title) => ({
        alertId: title,
        platform,
        chatId,
        reply: reply(title, `an alert for ${chatId}`),
        createdAt: now,
        notAfter: now + deadlineMs,
      })),
    );
    return titles;
  };
  const subscribe = (platform: OutboxPlatform, chatId: string): void =>
    void subscriptions.upsert({
      chat: { platform, id: chatId },
      markets: null,
      minLevel: 'warning',
      regimes: null,
      createdBy: null,
      createdAt: 0,
    });
  /** Titles of the alerts Telegram received for a chat, in the order received (a repeat shows twice). */
  const telegramTitles = (chatId: string): string[] =>
    telegram.messagesTo(chatId).map((m) => /alert-\d+/.exec(m.text)?.[0] ?? '?');
  const discordTitles = (channelId: string): string[] =>
    discord.channelMessages
      .filter((m) => m.channelId === channelId)
      .map((m) => (m.body.embeds as { title: string }[])[0]?.title ?? '?');
  const rowOf = (alertId: string): OutboxRow | undefined =>
    [
      ...outbox.rows('pending'),
      ...outbox.rows('attempting'),
      ...outbox.rows('sent'),
      ...outbox.rows('failed'),
      ...outbox.rows('unknown'),
    ].find((r) => r.alertId === alertId);
  return {
    telegram,
    discord,
    outbox,
    subscriptions,
    delivery,
    worker,
    enqueue,
    subscribe,
    telegramTitles,
    discordTitles,
    rowOf,
    db,
  };
}

/** Telegram sendMessage calls to a chat (accepted or not), with the fake's time. */
function callsTo(fake: FakeTelegram, chatId: string): number[] {
  return fake.calls.filter((c) => c.method === 'sendMessage' && String(c.payload.chat_id) === chatId).map((c) => c.at);
}

describe('per-destination lanes', () => {
  it('deliver to another chat and to Discord while a Telegram send hangs', async () => {
    const w = await world({ delivery: { retry: { requestTimeoutMs: 60_000 } } });
    w.telegram.hold((call) => String(call.payload.chat_id) === '111');
    const [hung = ''] = w.enqueue('telegram', '111');
    w.worker.start(20);
    await w.telegram.waitFor(() => w.telegram.messagesTo('111').length === 1);
    // Queued while the send to 111 hangs: they must not wait for it.
    const [other = ''] = w.enqueue('telegram', '222');
    const [discordAlert = ''] = w.enqueue('discord', CHANNEL_A);
    await w.telegram.waitFor(() => w.rowOf(other)?.state === 'sent' && w.rowOf(discordAlert)?.state === 'sent', 5_000);
    expect(w.rowOf(hung)?.state).toBe('attempting');
    expect(w.telegramTitles('222')).toEqual([other]);
    expect(w.discordTitles(CHANNEL_A)).toEqual([discordAlert]);
    w.telegram.releaseHeld();
  });

  it('deliver a new alert for an idle private chat and for Discord while one group works off a backlog', async () => {
    // The group limit is Telegram's own (18 a minute after a burst of 2): 40 alerts take two minutes.
    const w = await world();
    const backlog = w.enqueue('telegram', '-100500', 40);
    w.worker.start(20);
    await w.telegram.waitFor(() => w.telegramTitles('-100500').length === 2, 5_000);
    const [privateAlert] = w.enqueue('telegram', '444');
    const [discordAlert] = w.enqueue('discord', CHANNEL_B);
    await w.telegram.waitFor(() => w.telegramTitles('444').length === 1, 5_000);
    await w.discord.waitFor(() => w.discordTitles(CHANNEL_B).length === 1, 5_000);
    expect(w.telegramTitles('444')).toEqual([privateAlert]);
    expect(w.discordTitles(CHANNEL_B)).toEqual([discordAlert]);
    // The group's rows wait as pending (not `attempting`), and went out in order so far.
    expect(w.outbox.counts().attempting).toBeLessThanOrEqual(1);
    expect(w.outbox.rows('pending').length).toBeGreaterThanOrEqual(backlog.length - 4);
    expect(w.telegramTitles('-100500')).toEqual(backlog.slice(0, w.telegramTitles('-100500').length));
  });

  it("pause only Discord on Discord's global rate limit", async () => {
    const w = await world();
    w.discord.fail(DISCORD_ERRORS.globalRateLimited(2), /^\/channels\/\d+\/messages$/);
    const posts = () => w.discord.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/channels/'));
    const [limited = ''] = w.enqueue('discord', CHANNEL_A);
    w.worker.start(20);
    // Back to pending: the 429 is answered and recorded by the seam.
    await w.discord.waitFor(() => posts().length === 1 && w.rowOf(limited)?.state === 'pending');
    const limitedAt = posts()[0]?.at ?? 0;
    // Queued after the global 429: the other channel waits out retry_after, Telegram does not wait at all.
    const [waiting = ''] = w.enqueue('discord', CHANNEL_B);
    const [telegramAlert = ''] = w.enqueue('telegram', '333');
    await w.telegram.waitFor(() => w.rowOf(telegramAlert)?.state === 'sent');
    expect(w.telegram.sent[0]?.at ?? Infinity).toBeLessThan(limitedAt + 2000);
    expect(w.rowOf(waiting)?.state).toBe('pending');
    await w.discord.waitFor(() => w.rowOf(limited)?.state === 'sent' && w.rowOf(waiting)?.state === 'sent', 10_000);
    expect(
      posts()
        .slice(1)
        .every((p) => p.at >= limitedAt + 2000),
    ).toBe(true);
    expect(w.discordTitles(CHANNEL_A)).toEqual([limited]);
    expect(w.discordTitles(CHANNEL_B)).toEqual([waiting]);
  });
});

describe('a hung or ambiguous send', () => {
  it('is given up after the request timeout as may-have-been-sent, not resent, and the next alert follows', async () => {
    const w = await world({ delivery: { retry: { requestTimeoutMs: 300 } } });
    let held = 0;
    w.telegram.hold((call) => String(call.payload.chat_id) === '333' && ++held === 1);
    const [first, second] = w.enqueue('telegram', '333', 2);
    expect(await w.worker.drain()).toEqual({ sent: 1, failed: 1 });
    expect(w.rowOf(first ?? '')).toMatchObject({ state: 'unknown' });
    expect(w.db.prepare('SELECT error FROM chat_outbox WHERE alert_id = ?').pluck().get(first)).toMatch(/^maybeSent/);
    expect(w.telegramTitles('333')).toEqual([first, second]);
  });

  it('is not resent on Telegram when the message was accepted and then answered 502', async () => {
    const w = await world();
    w.telegram.acceptThenFail(TELEGRAM_ERRORS.badGateway, { chatId: '666' });
    const [first, second] = w.enqueue('telegram', '666', 2);
    expect(await w.worker.drain()).toEqual({ sent: 1, failed: 1 });
    expect(w.telegramTitles('666')).toEqual([first, second]);
    expect(w.rowOf(first ?? '')?.state).toBe('unknown');
  });

  it('is resent on Discord under the same nonce within the nonce window, and Discord keeps one message', async () => {
    const w = await world({ delivery: { retry: { requestTimeoutMs: 300, baseBackoffMs: 50 } } });
    w.discord.hang(/^\/channels\/\d+\/messages$/);
    w.discord.fail(DISCORD_ERRORS.serverError, /^\/channels\/\d+\/messages$/);
    const [alert] = w.enqueue('discord', CHANNEL_A);
    expect(await w.worker.drain()).toEqual({ sent: 1, failed: 0 });
    expect(w.discordTitles(CHANNEL_A)).toEqual([alert]);
    const nonces = new Set(
      w.discord.requests
        .filter((r) => r.path === `/channels/${CHANNEL_A}/messages`)
        .map((r) => (r.body as { nonce: string }).nonce),
    );
    expect(nonces.size).toBe(1);
  });
});

describe('flood waits per chat', () => {
  it('send nothing to a chat until retry_after has passed, and keep its alerts in order', async () => {
    // The fake and the seam share a clock 4x the wall clock: retry_after 3 s takes 0.75 s.
    const clock = scaledClock(4);
    const w = await world({ clock });
    w.telegram.fail(TELEGRAM_ERRORS.tooManyRequests(3), { method: 'sendMessage', chatId: '555' });
    const alerts = w.enqueue('telegram', '555', 3);
    expect(await w.worker.drain()).toEqual({ sent: 3, failed: 0 });
    const [limitedAt = 0, ...later] = callsTo(w.telegram, '555');
    expect(later).toHaveLength(3);
    expect(later.every((at) => at >= limitedAt + 3000)).toBe(true);
    expect(w.telegramTitles('555')).toEqual(alerts);
  });

  it('give up as too late an alert whose deadline comes before the wait ends, and send the others in order', async () => {
    const clock = scaledClock(4);
    const w = await world({ clock });
    w.telegram.fail(TELEGRAM_ERRORS.tooManyRequests(3), { method: 'sendMessage', chatId: '556' });
    const [urgent] = w.enqueue('telegram', '556', 1, 1_000);
    const rest = w.enqueue('telegram', '556', 2);
    expect(await w.worker.drain()).toEqual({ sent: 2, failed: 1 });
    expect(w.rowOf(urgent ?? '')).toMatchObject({ state: 'failed' });
    expect(w.db.prepare('SELECT error FROM chat_outbox WHERE alert_id = ?').pluck().get(urgent)).toBe('tooLate');
    expect(w.telegramTitles('556')).toEqual(rest);
  });

  it('send none of the queued alerts during a flood wait longer than their deadlines', async () => {
    const w = await world();
    w.telegram.fail(TELEGRAM_ERRORS.tooManyRequests(3600), { method: 'sendMessage', chatId: '557' });
    w.enqueue('telegram', '557', 3, 15 * 60_000);
    expect(await w.worker.drain()).toEqual({ sent: 0, failed: 3 });
    expect(callsTo(w.telegram, '557')).toHaveLength(1);
    expect(w.outbox.rows('failed').map((r) => r.chatId)).toEqual(['557', '557', '557']);
    expect(w.db.prepare("SELECT DISTINCT error FROM chat_outbox WHERE chat_id = '557'").pluck().all()).toEqual([
      'tooLate',
    ]);
  });

  it("on Discord give an alert up as too late when the 429's wait passes its deadline, without sending it late", async () => {
    const w = await world();
    w.discord.fail(DISCORD_ERRORS.rateLimited(30), /^\/channels\/\d+\/messages$/);
    const [alert] = w.enqueue('discord', CHANNEL_A, 1, 8_000);
    expect(await w.worker.drain()).toEqual({ sent: 0, failed: 1 });
    expect(w.db.prepare('SELECT error FROM chat_outbox WHERE alert_id = ?').pluck().get(alert)).toBe('tooLate');
    expect(w.discordTitles(CHANNEL_A)).toEqual([]);
    expect(w.discord.requests.filter((r) => r.path === `/channels/${CHANNEL_A}/messages`)).toHaveLength(1);
  });
});

describe('permanent failures', () => {
  it('pause a Discord channel on 403 Missing Permissions and send none of its queued alerts', async () => {
    const w = await world();
    w.subscribe('discord', CHANNEL_A);
    w.discord.fail(DISCORD_ERRORS.missingPermissions, new RegExp(`^/channels/${CHANNEL_A}/messages$`), 10);
    w.enqueue('discord', CHANNEL_A, 3);
    expect(await w.worker.drain()).toEqual({ sent: 0, failed: 3 });
    expect(w.discord.requests.filter((r) => r.path === `/channels/${CHANNEL_A}/messages`)).toHaveLength(1);
    expect(w.subscriptions.forChat({ platform: 'discord', id: CHANNEL_A })).toMatchObject({
      paused: true,
      pausedReason: 'missingPermissions',
    });
    expect(w.db.prepare('SELECT error FROM chat_outbox ORDER BY id').pluck().all()).toEqual([
      'chatGone',
      'dropped: chat gone (missingPermissions)',
      'dropped: chat gone (missingPermissions)',
    ]);
  });

  it('send none of the queued alerts to a Telegram chat that blocked the bot, and resume when it subscribes again', async () => {
    const w = await world();
    w.subscribe('telegram', '777');
    w.telegram.blocked.add('777');
    w.enqueue('telegram', '777', 3);
    expect(await w.worker.drain()).toEqual({ sent: 0, failed: 3 });
    expect(callsTo(w.telegram, '777')).toHaveLength(1);
    expect(w.subscriptions.forChat({ platform: 'telegram', id: '777' })?.pausedReason).toBe('blocked');
    w.telegram.blocked.delete('777');
    w.subscribe('telegram', '777');
    expect(w.subscriptions.forChat({ platform: 'telegram', id: '777' })?.paused).toBe(false);
    const [again] = w.enqueue('telegram', '777');
    expect(await w.worker.drain()).toEqual({ sent: 1, failed: 0 });
    expect(w.telegramTitles('777')).toEqual([again]);
  });
});

describe('stopping with a backlog', () => {
  it('waits only for the sends in flight, leaves every unsent alert pending, and the next start sends each once, in order', async () => {
    // Two groups at one message per 5 s: after the first of each, everything else is waiting for its turn.
    const w = await world({ delivery: { limits: { telegramGroup: { ratePerSecond: 0.2, capacity: 1 } } } });
    const first = w.enqueue('telegram', '-100600', 10);
    const second = w.enqueue('telegram', '-100601', 5);
    w.worker.start(10);
    await w.telegram.waitFor(
      () => w.telegramTitles('-100600').length === 1 && w.telegramTitles('-100601').length === 1,
      5_000,
    );
    await w.worker.stop();
    expect(w.outbox.counts()).toMatchObject({ sent: 2, pending: 13, attempting: 0, unknown: 0, failed: 0 });

    // The next start: nothing in flight to recover, the waiting rows sent once each, in order.
    expect(w.outbox.recoverInFlight({ now: Date.now() })).toEqual({ requeued: 0, unknown: 0 });
    const delivery = new Delivery({ limits: { telegramGroup: { ratePerSecond: 100, capacity: 10 } } });
    const next = new OutboxWorker({
      outbox: w.outbox,
      clock: systemClock,
      senders: {
        telegram: telegramAlertSender(new Telegram(TELEGRAM_TOKEN, { apiRoot: w.telegram.apiRoot }), delivery),
      },
    });
    expect(await next.drain()).toEqual({ sent: 13, failed: 0 });
    expect(w.telegramTitles('-100600')).toEqual(first);
    expect(w.telegramTitles('-100601')).toEqual(second);
  });
});
