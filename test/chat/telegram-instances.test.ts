// Several instances behind one Telegram webhook: an update that reaches two of them (Telegram resends one it got no
// 200 for; a load balancer may hand the resend to another instance) is answered once, by the first to claim it.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelegramAdapter, type TelegramAdapter } from '../../src/chat/telegram.js';
import { migrate } from '../../src/store/postgres/migrate.js';
import { openPool } from '../../src/store/postgres/pool.js';
import { pruneTelegramUpdates, telegramUpdateClaim } from '../../src/store/postgres/telegram-updates.js';
import { FakeTelegram } from '../fakes/telegram.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { chatWorld, glossary } from './setup.js';

const TOKEN = '7000000002:AAFakeTokenForTestsOnly_mnopqrstuvwx';
const SECRET = 'not-a-real-secret_456';
const HOOK = 'https://bot.example.org/telegram/hook';

describe('the Telegram webhook behind several instances', () => {
  let server: TestPostgres;
  let pool: pg.Pool;
  let fake: FakeTelegram;

  beforeAll(async () => {
    server = await startTestPostgres();
    pool = openPool(await server.freshDatabase());
    await migrate(pool);
    fake = new FakeTelegram({ token: TOKEN, limits: false });
    await fake.start();
  }, 60_000);

  afterAll(async () => {
    await fake?.stop();
    await pool?.end();
    await server?.stop();
  });

  async function instance(claimUpdate: (updateId: number) => Promise<boolean>): Promise<TelegramAdapter> {
    const world = chatWorld({ retry: { baseBackoffMs: 50 } });
    return startTelegramAdapter({
      token: TOKEN,
      apiRoot: fake.apiRoot,
      webhook: { url: HOOK, secretToken: SECRET, port: 0 },
      commands: world.commands,
      context: world.context,
      glossary,
      delivery: world.delivery,
      reportFailure: world.reportFailure,
      claimUpdate,
    });
  }

  const post = (adapter: TelegramAdapter, updateId: number, chatId: number) =>
    fetch(`http://127.0.0.1:${adapter.webhookPort}/telegram/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify({
        update_id: updateId,
        message: {
          message_id: updateId,
          date: 0,
          chat: { id: chatId, type: 'private', first_name: 'W' },
          from: { id: chatId, is_bot: false, first_name: 'W' },
          text: '/terms',
        },
      }),
    });

  it('answers an update that reaches two instances once, and each new update once', async () => {
    const a = await instance(telegramUpdateClaim(pool, 'a'));
    const b = await instance(telegramUpdateClaim(pool, 'b'));
    try {
      const both = await Promise.all([post(a, 500_001, 9001), post(b, 500_001, 9001)]);
      expect(both.map((response) => response.status)).toEqual([200, 200]);
      await post(b, 500_002, 9001);
      await fake.waitFor(() => fake.messagesTo(9001).length >= 2);
      // Give a duplicate answer time to show up if there were one.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(fake.messagesTo(9001)).toHaveLength(2);
      const takers = await pool.query<{ update_id: number; taken_by: string }>(
        'SELECT update_id, taken_by FROM telegram_updates ORDER BY update_id',
      );
      expect(takers.rows.map((row) => row.update_id)).toEqual([500_001, 500_002]);
      expect(takers.rows[1]?.taken_by).toBe('b');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('answers an update when the claim cannot be made (the database away): a repeat beats silence', async () => {
    const a = await instance(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')));
    try {
      expect((await post(a, 500_010, 9002)).status).toBe(200);
      await fake.waitFor(() => fake.messagesTo(9002).length === 1);
      expect(fake.messagesTo(9002)[0]?.text).toContain('Glossary');
    } finally {
      await a.stop();
    }
  });

  it("forgets updates past Telegram's 24 hours", async () => {
    const claim = telegramUpdateClaim(pool, 'c', () => 1_000);
    expect(await claim(600_001)).toBe(true);
    expect(await claim(600_001)).toBe(false);
    expect(await pruneTelegramUpdates(pool, 1_000 + 24 * 3_600_000 + 1)).toBeGreaterThanOrEqual(1);
    expect(await claim(600_001)).toBe(true);
  });
});
