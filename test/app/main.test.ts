// `npm start` as a process: the real main wiring with Telegram pointed at the fake Bot API and the market at the
// mock exchange, answering commands, then stopping cleanly on SIGTERM (also when it arrives twice at once); and
// exiting non-zero when another instance keeps polling with the same token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeTelegram } from '../fakes/telegram.js';
import { freePort } from '../support/postgres.js';
import { spawnMain, startHarness, type Harness } from './harness.js';

const TOKEN = '7000000002:AAFakeTokenForMainTestsOnly_abcdefgh';
const CHAT = 4242;

let harness: Harness;
let telegram: FakeTelegram;
let nextMessageId = 1;

beforeAll(async () => {
  harness = await startHarness(TOKEN);
  telegram = harness.telegram;
});

afterAll(async () => {
  await harness?.stop();
});

function ask(text: string): void {
  const command = /^\/\S+/.exec(text)?.[0] ?? '';
  telegram.pushUpdate({
    message: {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: CHAT, type: 'private', first_name: 'T' },
      from: { id: CHAT, is_bot: false, first_name: 'T' },
      text,
      entities: [{ type: 'bot_command', offset: 0, length: command.length }],
    },
  });
}

/** Asks until the answer contains `expected` (market data arrives with the first poll, a few seconds in). */
async function reply(text: string, expected: string): Promise<string> {
  // A start of `npm start` (tsx compiling, the first poll) can take tens of seconds on a loaded CI machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const before = telegram.messagesTo(CHAT).length;
    ask(text);
    await telegram.waitFor(() => telegram.messagesTo(CHAT).length > before, Math.max(10_000, deadline - Date.now()));
    const answer = telegram.messagesTo(CHAT).at(-1)?.text ?? '';
    if (answer.includes(expected) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('npm start', () => {
  it('answers Telegram commands with the real glossary and polled market data, and stops on SIGTERM', async () => {
    const { child, exited, stderr } = spawnMain(harness, TOKEN);
    try {
      expect(await reply('/term ADL (Auto-Deleveraging)', 'Auto-deleveraging')).toContain('<b>Auto-deleveraging</b>');
      expect(await reply('/market BTC', 'BTC perpetuals')).toContain('bybit BTC/USDT:USDT');
      expect(await reply('/status', 'venue(s) healthy')).toContain('1 of 1 venue(s) healthy.');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr()).not.toContain(TOKEN);
  }, 90_000);
});

describe('npm start when a signal or another instance gets in the way', () => {
  it('takes a SIGTERM delivered twice at once as one request and stops cleanly', async () => {
    const { child, exited, stderr } = spawnMain(harness, TOKEN, { LOG_LEVEL: 'info' });
    try {
      expect(await reply('/help', 'Spiralwatch commands')).toContain('Spiralwatch commands');
      child.kill('SIGTERM');
      // The second one as tsx relays it: right after the first was taken.
      await until(() => stderr().includes('"msg":"stopping"'), 10_000, 'the first SIGTERM to be taken');
      child.kill('SIGTERM');
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr()).not.toContain('second signal while stopping');
    expect(stderr()).toContain('"msg":"stopped","exitCode":0');
  }, 90_000);

  it('exits with code 1 and names the database, not its password, when Postgres cannot be reached', async () => {
    const port = await freePort();
    const url = `postgres://bot:not-the-real-password@127.0.0.1:${port}/spiralwatch`;
    const { child, exited, stderr } = spawnMain(harness, TOKEN, { DATABASE_URL: url });
    try {
      expect(await exited).toBe(1);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(stderr()).toContain(`Postgres at postgres://bot:***@127.0.0.1:${port}/spiralwatch could not be opened`);
    expect(stderr()).toContain('ECONNREFUSED');
    expect(stderr()).not.toContain('not-the-real-password');
  }, 60_000);

  it('exits with code 1 and says why when another instance keeps polling with the same token', async () => {
    telegram.conflict();
    const { child, exited, stderr } = spawnMain(harness, TOKEN, { TELEGRAM_CONFLICT_MAX_S: '1', LOG_LEVEL: 'info' });
    try {
      expect(await exited).toBe(1);
    } finally {
      telegram.conflict(0);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(stderr()).toContain('another instance is polling with the same bot token');
    expect(stderr()).toContain('"msg":"stopped","exitCode":1');
    expect(stderr()).not.toContain(TOKEN);
  }, 90_000);
});

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
