// `npm start` with HTTP_PORT, as a process: /healthz and /metrics on 127.0.0.1, and SIGTERM while alerts are in
// flight to the fake Telegram: the sends in flight finish, the rest stay pending, and the next start delivers
// them, so every alert arrives exactly once.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { SqliteOutbox } from '../../src/store/outbox.js';
import type { FakeTelegram } from '../fakes/telegram.js';
import { spawnMain, startHarness, type Bot, type Harness } from '../app/harness.js';

const TOKEN = '7000000003:AAFakeTokenForOpsTestsOnly_abcdefghij';
const ALERTS = 40; // more than the worker sends at once (32), so some are still pending at SIGTERM
const chatOf = (i: number): string => String(9000 + i);

let harness: Harness;
let telegram: FakeTelegram;
let dataDir: string;

beforeAll(async () => {
  harness = await startHarness(TOKEN);
  telegram = harness.telegram;
  dataDir = harness.dataDir;
});

afterAll(async () => {
  await harness?.stop();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

function withOutbox<T>(use: (outbox: SqliteOutbox) => T): T {
  const store = openStore({ dataDir, retentionDays: 7, onRejected: () => undefined });
  try {
    return use(new SqliteOutbox(store.db));
  } finally {
    store.close();
  }
}

function startBot(port: number): Bot {
  return spawnMain(harness, TOKEN, {
    HTTP_PORT: String(port),
    HTTP_HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    INSTANCE_ID: 'bot-a',
  });
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sentAlerts = (): number => telegram.sent.filter((m) => m.text.includes('ops test alert')).length;

describe('npm start with HTTP_PORT', () => {
  it('serves /healthz and /metrics, and a SIGTERM during sends loses and repeats no alert', async () => {
    // Alerts waiting in the outbox before the bot starts (as a previous run's risk pass would have left them).
    const now = Date.now();
    withOutbox((outbox) =>
      outbox.enqueue(
        Array.from({ length: ALERTS }, (_, i) => ({
          alertId: `ops-${i}`,
          platform: 'telegram' as const,
          chatId: chatOf(i),
          reply: {
            title: `ops test alert ${i}`,
            body: 'BTC/USDT:USDT on bybit is at warning.',
            fields: [],
            links: [],
            level: 'warning' as const,
            data: null,
          },
          createdAt: now,
          notAfter: now + 15 * 60_000,
        })),
      ),
    );
    const port = await freePort();

    // First run: Telegram holds every send; SIGTERM arrives while they are in flight.
    telegram.hold((call) => call.method === 'sendMessage');
    const first = startBot(port);
    try {
      await until(() => sentAlerts() >= 1, 30_000, 'the first send to arrive').catch((error: unknown) => {
        throw new Error(`${String(error)}\n${first.stderr()}`);
      });
      first.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(first.child.exitCode).toBeNull(); // waiting for the sends in flight
      telegram.releaseHeld();
      expect(await first.exited).toBe(0);
    } finally {
      telegram.releaseHeld();
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    }
    expect(first.stderr()).not.toContain(TOKEN);
    expect(first.stderr()).toContain('"msg":"stopped","exitCode":0');
    const afterFirst = withOutbox((outbox) => outbox.counts());
    expect(afterFirst.attempting + afterFirst.unknown + afterFirst.failed).toBe(0);
    expect(afterFirst.sent).toBe(sentAlerts());
    expect(afterFirst.pending).toBeGreaterThan(0);
    expect(afterFirst.sent + afterFirst.pending).toBe(ALERTS);

    // Second run: the pending alerts go out; the ops endpoint answers.
    const second = startBot(port);
    try {
      await until(() => sentAlerts() === ALERTS, 30_000, 'every alert to be sent');
      const base = `http://127.0.0.1:${port}`;
      await until(
        async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200,
        30_000,
        '/healthz 200',
      );
      const health = (await (await fetch(`${base}/healthz`)).json()) as {
        status: string;
        venues: unknown[];
        instance: unknown;
      };
      expect(health.status).toBe('ok');
      // Telegram only here: no Discord shards.
      expect(health.instance).toEqual({ id: 'bot-a', role: 'single', discordShards: null });
      expect(health.venues).toEqual([expect.objectContaining({ exchange: 'bybit', ok: true })]);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^spiralwatch_exchange_requests_total\{venue="bybit",endpoint="[^"]+"\} [1-9]/m);
      expect(metrics).toMatch(/^spiralwatch_alerts_sent_total\{platform="telegram"\} [1-9]/m);
      expect(metrics).toContain('spiralwatch_process_cpu_seconds_total');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toBe(0);
    expect(second.stderr()).not.toContain(TOKEN);

    // Every alert exactly once.
    for (let i = 0; i < ALERTS; i++) expect(telegram.messagesTo(chatOf(i)), chatOf(i)).toHaveLength(1);
    expect(withOutbox((outbox) => outbox.counts())).toMatchObject({ sent: ALERTS, pending: 0, attempting: 0 });
  }, 120_000);
});
