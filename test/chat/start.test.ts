import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideAlerts } from '../../src/alerts/rules.js';
import { enqueueAlerts } from '../../src/chat/fanout.js';
import { startChat, type ChatRuntime } from '../../src/chat/start.js';
import { commands } from '../../src/commands/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { sqliteChatStore, type SqliteOutbox } from '../../src/store/outbox.js';
import { FakeDiscord } from '../fakes/discord.js';
import { FakeTelegram } from '../fakes/telegram.js';
import { chatDatabase, reading } from './helpers.js';
import { glossary } from './setup.js';

const TELEGRAM_TOKEN = '7000000001:AAFakeTokenForTestsOnly_abcdefghijkl';
const DISCORD_TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDAwMQ.fake.discord-token-for-tests-only';

let telegram: FakeTelegram;
let discord: FakeDiscord;
let chat: ChatRuntime;
let outbox: SqliteOutbox;

beforeAll(async () => {
  telegram = new FakeTelegram({ token: TELEGRAM_TOKEN, limits: false });
  discord = new FakeDiscord({ token: DISCORD_TOKEN, applicationId: '1300000000000000042' });
  await Promise.all([telegram.start(), discord.start()]);
  const store = sqliteChatStore(chatDatabase());
  outbox = store.outbox;
  chat = await startChat({
    config: {
      DISCORD_TOKEN,
      DISCORD_API_BASE: discord.baseUrl,
      TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_WEBHOOK_URL: undefined,
      TELEGRAM_WEBHOOK_SECRET: undefined,
      TELEGRAM_WEBHOOK_PORT: 8443,
    },
    store,
    glossary,
    commands,
    log: silentLogger,
    drainEveryMs: 20,
  });
});

afterAll(async () => {
  await chat?.stop();
  await Promise.all([telegram?.stop(), discord?.stop()]);
});

describe('the chat runtime started from the configuration', () => {
  it('connects both platforms and delivers an enqueued alert to each subscribed chat', async () => {
    chat.subscriptions.upsert({
      chat: { platform: 'telegram', id: '321' },
      markets: ['BTC'],
      minLevel: 'warning',
      regimes: null,
      createdBy: null,
      createdAt: 0,
    });
    chat.subscriptions.upsert({
      chat: { platform: 'discord', id: '1300000000000000100' },
      markets: null,
      minLevel: 'critical',
      regimes: null,
      createdBy: null,
      createdAt: 0,
    });
    const now = Date.now();
    const alerts = decideAlerts({
      readings: [reading({ level: 'critical', previousLevel: 'warning' })],
      subscriptions: chat.subscriptions.active(),
      lastAlerts: [],
      now,
    });
    expect(enqueueAlerts(outbox, alerts, { now, maxDelayMs: 60_000 })).toEqual({ discord: 1, telegram: 1 });
    await telegram.waitFor(() => telegram.messagesTo(321).length === 1);
    await discord.waitFor(() => discord.channelMessages.length === 1);
    expect(telegram.messagesTo(321)[0]?.text).toContain('BTC: CRITICAL on Binance');
    await discord.waitFor(() => outbox.counts().sent === 2);
  });
});
