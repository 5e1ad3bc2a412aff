import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaledClock } from '../../src/chat/clock.js';
import { OutboxWorker } from '../../src/chat/outbox-worker.js';
import { startTelegramAdapter, telegramAlertSender, type TelegramAdapter } from '../../src/chat/telegram.js';
import { Telegram } from 'telegraf';
import { decideAlerts } from '../../src/alerts/rules.js';
import { enqueueAlerts } from '../../src/chat/fanout.js';
import { FakeTelegram, TELEGRAM_ERRORS } from '../fakes/telegram.js';
import { checkHealth } from '../../src/ops/health.js';
import type { CommandDefinition } from '../../src/commands/command.js';
import { reading } from './helpers.js';
import { chatWorld, glossary } from './setup.js';

const TOKEN = '7000000001:AAFakeTokenForTestsOnly_abcdefghijkl';
let fake: FakeTelegram;
let adapter: TelegramAdapter;
let world: ReturnType<typeof chatWorld>;
let nextMessageId = 1;

const USER = 555;
const ADMIN = 777;
const GROUP = -100_200;

function say(chat: { id: number; type: string }, fromId: number, text: string): number {
  const command = /^\/\S+/.exec(text)?.[0] ?? '';
  return fake.pushUpdate({
    message: {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: chat.type === 'private' ? { ...chat, first_name: 'T' } : { ...chat, title: 'Traders' },
      from: { id: fromId, is_bot: false, first_name: 'T' },
      text,
      entities: command ? [{ type: 'bot_command', offset: 0, length: command.length }] : [],
    },
  });
}

async function answer(chat: { id: number; type: string }, fromId: number, text: string): Promise<string> {
  const before = fake.messagesTo(chat.id).length;
  say(chat, fromId, text);
  await fake.waitFor(() => fake.messagesTo(chat.id).length > before);
  return fake.messagesTo(chat.id).at(-1)?.text ?? '';
}

const privateChat = { id: USER, type: 'private' };
const group = { id: GROUP, type: 'supergroup' };

beforeAll(async () => {
  fake = new FakeTelegram({ token: TOKEN, limits: false });
  await fake.start();
  // Command tests send many replies into one group; the group limit is tested below, not here.
  world = chatWorld({ retry: { baseBackoffMs: 50 }, limits: { telegramGroup: { ratePerSecond: 100, capacity: 100 } } });
  adapter = await startTelegramAdapter({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    commands: world.commands,
    context: world.context,
    glossary,
    delivery: world.delivery,
    reportFailure: world.reportFailure,
  });
  fake.setMember(GROUP, ADMIN, 'administrator');
});

afterAll(async () => {
  await adapter?.stop();
  await fake?.stop();
});

describe('the Telegram adapter against a fake Bot API', () => {
  it('answers /term with escaped HTML', async () => {
    const text = await answer(privateChat, USER, '/term Funding rate');
    expect(text).toContain('<b>Funding rate</b>');
    expect(text).toContain('What longs pay shorts &lt;every&gt; 8 h &amp; why.');
    expect(text).toContain('Related: Open interest /term open-interest');
    expect(fake.sent.at(-1)?.payload).toMatchObject({ parse_mode: 'HTML' });
  });

  it('answers /terms and /help, also addressed to the bot by name in a group', async () => {
    expect(await answer(privateChat, USER, '/terms')).toContain('<b>Glossary</b>');
    expect(await answer(group, USER, '/help@SpiralwatchBot')).toContain('subscribe');
  });

  it('answers /risk, /cascade, /market and /status with figures', async () => {
    expect(await answer(privateChat, USER, '/risk BTC')).toMatch(/<b>BTC\/USDT:USDT on binanceusdm: \d+\/100 /);
    expect(await answer(privateChat, USER, '/risk')).toContain('<b>Market-wide spiral risk:');
    const cascade = await answer(privateChat, USER, '/cascade BTC 8');
    expect(cascade).toContain('<b>Cascade estimate: BTC/USDT:USDT on binanceusdm</b>');
    expect(cascade).toContain('A 8.0% drop from 120,000');
    expect(await answer(privateChat, USER, '/market btcusdt')).toContain('<b>BTC perpetuals</b>');
    expect(await answer(privateChat, USER, '/status')).toContain('1 of 1 venue(s) healthy.');
    expect(await answer(privateChat, USER, '/cascade BTC 80')).toContain('shock must be between 0.1 and 50');
  });

  it('answers an unknown command whose name is cut inside an emoji, keeping the emoji whole', async () => {
    // 39 letters and two emoji: cut at 40 UTF-16 units, a slice would keep half an emoji, which Telegram refuses.
    const text = await answer(privateChat, USER, `/${'x'.repeat(39)}😀😀`);
    expect(text).toContain(`There is no command "${'x'.repeat(39)}…"`);
    expect(/\p{Cs}/u.test(text)).toBe(false);
  });

  it("ignores another bot's command in a group", async () => {
    say(group, USER, '/start@OtherBot');
    say(group, USER, '/frobnicate');
    const marker = await answer(group, USER, '/help');
    expect(marker).toContain('Spiralwatch commands');
    expect(fake.messagesTo(GROUP).filter((m) => m.text.includes('Unknown command'))).toEqual([]);
  });

  it('refuses /subscribe in a group to a member who is not an administrator', async () => {
    const text = await answer(group, USER, '/subscribe all warning');
    expect(text).toContain('Not permitted');
    expect(fake.calls.some((c) => c.method === 'getChatMember' && c.payload.user_id === USER)).toBe(true);
    expect(world.subscriptions.forChat({ platform: 'telegram', id: String(GROUP) })).toBeUndefined();
  });

  it('runs the subscription lifecycle for a group administrator', async () => {
    expect(await answer(group, ADMIN, '/subscribe BTC,ETH critical')).toContain('Subscribed');
    expect(world.subscriptions.forChat({ platform: 'telegram', id: String(GROUP) })).toMatchObject({
      markets: ['BTC', 'ETH'],
      minLevel: 'critical',
      createdBy: String(ADMIN),
    });
    expect(await answer(group, USER, '/subscriptions')).toContain('Markets: BTC, ETH');
    expect(await answer(group, ADMIN, '/unsubscribe')).toContain('Unsubscribed');
    expect(world.subscriptions.forChat({ platform: 'telegram', id: String(GROUP) })).toBeUndefined();
  });

  it('lets anyone subscribe their own private chat', async () => {
    expect(await answer(privateChat, USER, '/subscribe warning')).toContain('Markets: all markets');
    expect(world.subscriptions.forChat({ platform: 'telegram', id: String(USER) })?.minLevel).toBe('warning');
  });

  it('answers an inline query with glossary articles', async () => {
    fake.pushUpdate({
      inline_query: { id: 'q1', from: { id: USER, is_bot: false, first_name: 'T' }, query: 'Open', offset: '' },
    });
    await fake.waitFor(() => fake.calls.some((c) => c.method === 'answerInlineQuery'));
    const call = fake.calls.find((c) => c.method === 'answerInlineQuery');
    const results = call?.payload.results as {
      id: string;
      title: string;
      input_message_content: { message_text: string };
    }[];
    expect(results.map((r) => r.id)).toEqual(['open-interest']);
    expect(results[0]?.input_message_content.message_text).toContain('/term open-interest');
  });
});

describe('the Telegram adapter in webhook mode', () => {
  it('sets the webhook with its secret token and handles only updates that carry it', async () => {
    const hooked = await startTelegramAdapter({
      token: TOKEN,
      apiRoot: fake.apiRoot,
      webhook: { url: 'https://bot.example.org/telegram/hook', secretToken: 'not-a-real-secret_123', port: 0 },
      commands: world.commands,
      context: world.context,
      glossary,
      delivery: world.delivery,
      reportFailure: world.reportFailure,
    });
    try {
      expect(fake.webhook).toEqual({
        url: 'https://bot.example.org/telegram/hook',
        secretToken: 'not-a-real-secret_123',
      });
      const post = (headers: Record<string, string>) =>
        fetch(`http://127.0.0.1:${hooked.webhookPort}/telegram/hook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({
            update_id: 99_001,
            message: {
              message_id: 1,
              date: 0,
              chat: { id: 4242, type: 'private', first_name: 'W' },
              from: { id: 4242, is_bot: false, first_name: 'W' },
              text: '/terms',
            },
          }),
        });
      expect((await post({})).status).toBe(403);
      expect((await post({ 'x-telegram-bot-api-secret-token': 'not-a-real-secret_123' })).status).toBe(200);
      await fake.waitFor(() => fake.messagesTo(4242).length === 1);
      expect(fake.messagesTo(4242)[0]?.text).toContain('Glossary');
    } finally {
      await hooked.stop();
    }
  });
});

describe('Telegram alert delivery through the outbox', () => {
  async function deliver(chats: string[], options: { now?: number } = {}) {
    const now = options.now ?? Date.now();
    for (const id of chats)
      world.subscriptions.upsert({
        chat: { platform: 'telegram', id },
        markets: null,
        minLevel: 'warning',
        regimes: null,
        createdBy: null,
        createdAt: now,
      });
    const alerts = decideAlerts({
      readings: [reading({ market: `okx:T${now}/USDT:USDT` })],
      subscriptions: world.subscriptions.active('telegram').filter((s) => chats.includes(s.chat.id)),
      lastAlerts: [],
      now,
    });
    enqueueAlerts(world.outbox, alerts, { now, maxDelayMs: 60_000 });
    const worker = new OutboxWorker({
      outbox: world.outbox,
      clock: world.delivery.clock,
      senders: {
        telegram: (row, onPart) =>
          adapter.sendAlert(row.chatId, row.reply, {
            notAfter: row.notAfter,
            fromPart: row.partsSent,
            onPartSent: onPart,
          }),
      },
    });
    return worker.drain();
  }

  it('waits retry_after on a 429 and then delivers', async () => {
    fake.fail(TELEGRAM_ERRORS.tooManyRequests(1), { method: 'sendMessage', chatId: '9001' });
    const startedAt = Date.now();
    expect(await deliver(['9001'])).toEqual({ sent: 1, failed: 0 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    expect(fake.messagesTo(9001)).toHaveLength(1);
  });

  it('sends a chart first as a photo, then the text', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const chat = '9005';
    await adapter.sendAlert(chat, {
      title: 'BTC <critical>',
      body: 'body',
      fields: [],
      links: [],
      level: 'critical',
      data: null,
      image: { filename: 'oi.png', png, alt: 'oi' },
    });
    const messages = fake.messagesTo(chat);
    expect(messages.map((m) => m.method)).toEqual(['sendPhoto', 'sendMessage']);
    expect(messages[0]?.payload).toMatchObject({ caption: 'BTC &lt;critical&gt;', photo: { file: true, bytes: 4 } });
  });

  it('does not resend an alert answered 502, which may have been accepted: it ends unknown (at most once)', async () => {
    fake.fail(TELEGRAM_ERRORS.badGateway, { method: 'sendMessage', chatId: '9004', times: 2 });
    expect(await deliver(['9004'])).toEqual({ sent: 0, failed: 1 });
    expect(fake.calls.filter((c) => c.method === 'sendMessage' && String(c.payload.chat_id) === '9004')).toHaveLength(
      1,
    );
    expect(world.outbox.rows('unknown').at(-1)).toMatchObject({ chatId: '9004' });
  });

  it('pauses the subscription of a chat that blocked the bot', async () => {
    fake.blocked.add('9002');
    expect(await deliver(['9002'])).toEqual({ sent: 0, failed: 1 });
    expect(world.subscriptions.forChat({ platform: 'telegram', id: '9002' })).toMatchObject({
      paused: true,
      pausedReason: 'blocked',
    });
    expect(world.outbox.rows('failed').at(-1)).toMatchObject({ chatId: '9002' });
  });

  it('moves the subscription of a migrated group to the supergroup and resends there', async () => {
    fake.migrated.set('-9003', '-1009003');
    expect(await deliver(['-9003'])).toEqual({ sent: 1, failed: 0 });
    expect(fake.messagesTo(-1009003)).toHaveLength(1);
    expect(world.subscriptions.forChat({ platform: 'telegram', id: '-9003' })).toBeUndefined();
    expect(world.subscriptions.forChat({ platform: 'telegram', id: '-1009003' })).toBeDefined();
  });
});

describe('an alert fanned out to 500 Telegram chats', () => {
  it('reaches every chat once within 30 messages a second and without a 429 storm', async () => {
    // Both the fake and the limiter run on one clock 5x faster than the wall clock: real limits, real logic.
    const clock = scaledClock(5);
    const limited = new FakeTelegram({ token: TOKEN, now: clock.now });
    await limited.start();
    const local = chatWorld({ clock });
    const chats = Array.from({ length: 500 }, (_, i) => String(i % 10 === 0 ? -(200_000 + i) : 100_000 + i));
    for (const id of chats)
      local.subscriptions.upsert({
        chat: { platform: 'telegram', id },
        markets: null,
        minLevel: 'warning',
        regimes: null,
        createdBy: null,
        createdAt: 0,
      });
    const now = clock.now();
    enqueueAlerts(
      local.outbox,
      decideAlerts({ readings: [reading()], subscriptions: local.subscriptions.active(), lastAlerts: [], now }),
      { now, maxDelayMs: 300_000 },
    );
    // Record when the seam starts each call: what our limiter controls, free of the fake's scheduling jitter.
    const telegram = new Telegram(TOKEN, { apiRoot: limited.apiRoot });
    const starts: number[] = [];
    const callApi = telegram.callApi.bind(telegram) as unknown as (...args: unknown[]) => Promise<unknown>;
    (telegram as unknown as { callApi: unknown }).callApi = (...args: unknown[]) => {
      starts.push(clock.now());
      return callApi(...args);
    };
    const sender = telegramAlertSender(telegram, local.delivery);
    const worker = new OutboxWorker({ outbox: local.outbox, clock, senders: { telegram: sender } });
    const result = await worker.drain();
    await limited.stop();
    expect(result).toEqual({ sent: 500, failed: 0 });
    expect(new Set(limited.sent.map((m) => m.chatId)).size).toBe(500);
    expect(limited.sent).toHaveLength(500);
    // The fake enforces Telegram's flood limits (30/s overall, 20/min per group) and answered no 429.
    expect(limited.tooManyRequests).toEqual([]);
    const busiest = (times: number[]): number => {
      let most = 0;
      for (let i = 0, j = 0; j < times.length; j++) {
        while ((times[j] ?? 0) - (times[i] ?? 0) >= 1000) i++;
        most = Math.max(most, j - i + 1);
      }
      return most;
    };
    expect(busiest(starts.sort((a, b) => a - b))).toBeLessThanOrEqual(30);
    const times = limited.sent.map((m) => m.at).sort((a, b) => a - b);
    const seconds = ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000;
    expect(seconds).toBeGreaterThan(500 / 31);
    expect(seconds).toBeLessThan(500 / 20);
  });
});

/** Starts an adapter against `on`, sharing the test world's delivery and commands. */
function adapterOn(on: FakeTelegram, overrides: Partial<Parameters<typeof startTelegramAdapter>[0]> = {}) {
  return startTelegramAdapter({
    token: TOKEN,
    apiRoot: on.apiRoot,
    commands: world.commands,
    context: world.context,
    glossary,
    delivery: world.delivery,
    reportFailure: world.reportFailure,
    ...overrides,
  });
}

describe('the Telegram command menu', () => {
  it('is set from the command definitions at start, and only when what Telegram has differs', async () => {
    const menuFake = new FakeTelegram({ token: TOKEN, limits: false });
    await menuFake.start();
    const calls = (method: string) => menuFake.calls.filter((c) => c.method === method).length;
    try {
      const first = await adapterOn(menuFake);
      await first.stop();
      expect(menuFake.commandMenus.get('default|')).toEqual(
        world.commands.map((c) => ({ command: c.name, description: c.description })),
      );
      expect(calls('setMyCommands')).toBe(1);

      // The same definitions again: read, compared, not set.
      const second = await adapterOn(menuFake);
      await second.stop();
      expect(calls('getMyCommands')).toBe(2);
      expect(calls('setMyCommands')).toBe(1);

      // One description changed: set again.
      const changed: CommandDefinition[] = world.commands.map((c) =>
        c.name === 'term' ? { ...c, description: 'Look a word up' } : c,
      );
      const third = await adapterOn(menuFake, { commands: changed });
      await third.stop();
      expect(calls('setMyCommands')).toBe(2);
      expect(menuFake.commandMenus.get('default|')?.find((c) => c.command === 'term')?.description).toBe(
        'Look a word up',
      );
    } finally {
      await menuFake.stop();
    }
  });
});

describe('Telegram polling when another instance polls with the same token', () => {
  it('retries a 409 Conflict with backoff, reports polling as down meanwhile, and answers once it passes', async () => {
    const busy = new FakeTelegram({ token: TOKEN, limits: false });
    await busy.start();
    busy.conflict(3);
    // Each wait is held until the test lets it go, so the state in between can be read.
    const waits: number[] = [];
    let wake: () => void = () => undefined;
    const sleep = (ms: number) => {
      waits.push(ms);
      return new Promise<void>((resolve) => (wake = resolve));
    };
    const failures: unknown[] = [];
    const polled = await adapterOn(busy, {
      polling: { sleep, random: () => 1 },
      onPollingFailed: (error) => failures.push(error),
    });
    try {
      await busy.waitFor(() => waits.length === 1);
      expect(polled.pollingStatus()).toMatchObject({ state: 'retrying', failures: 1 });
      expect(polled.pollingStatus()?.reason).toContain('409: Conflict: terminated by other getUpdates request');
      const health = checkHealth(
        { venues: () => [], now: Date.now, startedAt: Date.now(), telegramPolling: () => polled.pollingStatus() },
        { cycleMs: 30_000 },
      );
      expect(health.ok).toBe(false);
      expect(health.reasons).toEqual([expect.stringMatching(/^telegram polling failing for [\d.]+ s: 409: Conflict/)]);
      wake();
      await busy.waitFor(() => waits.length === 2);
      wake();
      await busy.waitFor(() => waits.length === 3);
      wake();

      const before = busy.messagesTo(USER).length;
      say(privateChat, USER, '/help');
      await busy.waitFor(() => busy.messagesTo(USER).length > before);
      expect(busy.messagesTo(USER).at(-1)?.text).toContain('Spiralwatch commands');
      expect(waits).toEqual([1000, 2000, 4000]);
      expect(busy.conflictsAnswered).toBe(3);
      expect(polled.pollingStatus()).toMatchObject({ state: 'ok', reason: null, failures: 0 });
      expect(failures).toEqual([]);
    } finally {
      await polled.stop();
      await busy.stop();
    }

    function say(chat: { id: number; type: string }, fromId: number, text: string): void {
      busy.pushUpdate({
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: { ...chat, first_name: 'T' },
          from: { id: fromId, is_bot: false, first_name: 'T' },
          text,
          entities: [{ type: 'bot_command', offset: 0, length: text.length }],
        },
      });
    }
  });

  it('gives up once the conflict has lasted its budget and reports polling as failed, so the bot can exit', async () => {
    const taken = new FakeTelegram({ token: TOKEN, limits: false });
    await taken.start();
    taken.conflict();
    // A virtual clock: each wait moves time on at once.
    let now = 1_000_000;
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      now += ms;
      await Promise.resolve();
    };
    let reportFailure: (error: unknown) => void = () => undefined;
    const failed = new Promise<unknown>((resolve) => (reportFailure = resolve));
    const polled = await adapterOn(taken, {
      polling: { sleep, now: () => now, random: () => 1, retry: { conflictGiveUpMs: 10_000 } },
      onPollingFailed: (error) => reportFailure(error),
    });
    try {
      const error = await failed;
      expect(String(error)).toContain(
        'Telegram getUpdates answered 409 Conflict for 10 s: another instance is polling with the same bot token',
      );
      // 1 + 2 + 4 s of backoff, then the 3 s left of the budget, then one last try.
      expect(waits).toEqual([1000, 2000, 4000, 3000]);
      expect(taken.conflictsAnswered).toBe(5);
      expect(polled.pollingStatus()).toMatchObject({ state: 'failed', failures: 5, since: 1_000_000 });
    } finally {
      taken.conflict(0);
      await polled.stop();
      await taken.stop();
    }
  });
});
