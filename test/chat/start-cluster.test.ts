// The chat side of instances that share one Postgres: in long-polling mode only the instance asked to (the leader)
// calls getUpdates, while every instance sends alerts; behind one webhook each update is answered once.
import { afterEach, describe, expect, it } from 'vitest';
import { startChat, type ChatRuntime } from '../../src/chat/start.js';
import { reply } from '../../src/commands/reply.js';
import { commands } from '../../src/commands/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { PostgresChatStore } from '../../src/store/postgres/chat-store.js';
import { FakeTelegram } from '../fakes/telegram.js';
import { usePostgres } from '../support/postgres.js';
import { glossary } from './setup.js';

const TOKEN = '7000000003:AAFakeTokenForTestsOnly_qrstuvwxyzab';
const SECRET = 'not-a-real-secret_789';

const command = (chatId: number, text: string) => ({
  message: {
    message_id: 1,
    date: 0,
    chat: { id: chatId, type: 'private', first_name: 'W' },
    from: { id: chatId, is_bot: false, first_name: 'W' },
    text,
  },
});

describe('the chat side of instances on one Postgres', () => {
  const postgres = usePostgres();
  let fake: FakeTelegram;
  const running: ChatRuntime[] = [];

  afterEach(async () => {
    for (const chat of running.splice(0)) await chat.stop();
    await fake?.stop();
  });

  async function instance(url: string, instanceId: string, webhook: boolean) {
    const store = postgres.closeAfter(await PostgresChatStore.open({ pool: postgres.pool(url), instanceId }));
    const chat = await startChat({
      config: {
        DISCORD_TOKEN: undefined,
        DISCORD_API_BASE: undefined,
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: fake.apiRoot,
        TELEGRAM_WEBHOOK_URL: webhook ? 'https://bot.example.org/telegram/hook' : undefined,
        TELEGRAM_WEBHOOK_SECRET: webhook ? SECRET : undefined,
        TELEGRAM_WEBHOOK_PORT: 0,
      },
      store,
      glossary,
      commands,
      log: silentLogger,
      drainEveryMs: 20,
      telegramPolling: 'when-asked',
    });
    running.push(chat);
    return { chat, store };
  }

  const getUpdatesCalls = () => fake.getUpdatesCalls;

  it('long-polls on the instance asked to only, hands polling over, and sends alerts from any instance', async () => {
    fake = new FakeTelegram({ token: TOKEN, limits: false });
    await fake.start();
    const url = await postgres.database();
    const a = await instance(url, 'a', false);
    const b = await instance(url, 'b', false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(getUpdatesCalls()).toBe(0);
    expect(a.chat.telegramPollingStatus()).toBeUndefined();

    // Not polling, still delivering: the alert goes out once, by whichever instance holds the lane.
    const alert = reply('BTC: CRITICAL on Binance', 'score 88', { level: 'critical' });
    const now = Date.now();
    await a.store.enqueue(
      [
        {
          alertId: 'critical:BTC:1',
          platform: 'telegram',
          chatId: '42',
          reply: alert,
          createdAt: now,
          notAfter: now + 60_000,
        },
      ],
      [],
    );
    await fake.waitFor(() => fake.messagesTo(42).length === 1);

    await a.chat.setTelegramPolling(true);
    expect(a.chat.telegramPollingStatus()).toBeDefined();
    fake.pushUpdate(command(7, '/terms'));
    await fake.waitFor(() => fake.messagesTo(7).length === 1);

    await a.chat.setTelegramPolling(false);
    expect(a.chat.telegram()).toBeUndefined();
    // Stopped means stopped: no call for updates while no instance polls.
    const calls = getUpdatesCalls();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(getUpdatesCalls()).toBe(calls);
    await b.chat.setTelegramPolling(true);
    fake.pushUpdate(command(8, '/terms'));
    await fake.waitFor(() => fake.messagesTo(8).length === 1);
    expect(getUpdatesCalls()).toBeGreaterThan(calls);
    // Never two instances waiting on getUpdates at once.
    expect(fake.conflictsAnswered).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.messagesTo(42)).toHaveLength(1);
    expect(fake.messagesTo(7)).toHaveLength(1);
  }, 30_000);

  it('behind one webhook, answers an update that reaches both instances once', async () => {
    fake = new FakeTelegram({ token: TOKEN, limits: false });
    await fake.start();
    const url = await postgres.database();
    const instances = [await instance(url, 'a', true), await instance(url, 'b', true)];
    // A webhook runs at start, whatever the polling setting says.
    const ports = instances.map(({ chat }) => chat.telegram()?.webhookPort);
    expect(ports.every((port) => port !== undefined && port > 0)).toBe(true);
    const update = { update_id: 700_001, ...command(9, '/terms') };
    const answers = await Promise.all(
      ports.map((port) =>
        fetch(`http://127.0.0.1:${port}/telegram/hook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
          body: JSON.stringify(update),
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    await fake.waitFor(() => fake.messagesTo(9).length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.messagesTo(9)).toHaveLength(1);
    expect(getUpdatesCalls()).toBe(0);
  }, 30_000);
});
