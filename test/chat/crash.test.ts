import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reply } from '../../src/commands/reply.js';
import { SqliteOutbox } from '../../src/store/outbox.js';
import { FakeTelegram } from '../fakes/telegram.js';
import { chatDatabase } from './helpers.js';

const TOKEN = '7000000001:AAFakeTokenForTestsOnly_abcdefghijkl';
const CHILD = join(import.meta.dirname, 'outbox-child.ts');
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function startWorker(
  file: string,
  apiRoot: string,
  concurrency: number,
  privatePerSecond?: number,
): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const args = [
    CHILD,
    file,
    apiRoot,
    TOKEN,
    String(concurrency),
    ...(privatePerSecond ? [String(privatePerSecond)] : []),
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** An outbox file with `rows` alerts spread round-robin over `chats` chats (one per chat by default). */
function outboxWith(chats: number, rows = chats): { file: string; outbox: SqliteOutbox } {
  const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-outbox-'));
  dirs.push(dir);
  const file = join(dir, 'chat.db');
  const db = chatDatabase(file);
  const outbox = new SqliteOutbox(db);
  const now = Date.now();
  outbox.enqueue(
    Array.from({ length: rows }, (_, i) => ({
      alertId: `rise:okx:BTC:critical:${Math.floor(i / chats) + 1}`,
      platform: 'telegram' as const,
      chatId: String(10_000 + (i % chats)),
      reply: reply('BTC critical', `alert ${i} for chat ${i % chats}`),
      createdAt: now,
      notAfter: now + 600_000,
    })),
  );
  return { file, outbox };
}

function duplicates(ids: readonly string[]): string[] {
  return ids.filter((id, i) => ids.indexOf(id) !== i);
}

describe('the outbox across a kill -9', () => {
  it('loses no alert and sends none twice when the worker is killed with a send in flight', async () => {
    const fake = new FakeTelegram({ token: TOKEN, limits: false });
    await fake.start();
    const { file, outbox } = outboxWith(60);
    // The 25th message reaches the fake, which holds its answer: the worker dies with that send in flight.
    fake.hold(() => fake.sent.length === 25);
    const first = startWorker(file, fake.apiRoot, 1);
    await fake.waitFor(() => fake.sent.length === 25, 15_000);
    first.child.kill('SIGKILL');
    await first.exited;
    fake.releaseHeld();
    expect(outbox.counts()).toMatchObject({ sent: 24, attempting: 1 });

    const second = startWorker(file, fake.apiRoot, 1);
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('recovered {"requeued":0,"unknown":1}');
    await fake.stop();

    const chats = fake.sent.map((m) => m.chatId);
    expect(duplicates(chats)).toEqual([]);
    expect(new Set(chats).size).toBe(60);
    expect(outbox.counts()).toMatchObject({ sent: 59, unknown: 1, pending: 0, attempting: 0 });
  });

  it('after a kill at an arbitrary moment, every alert is sent exactly once or reported unknown, never duplicated', async () => {
    const fake = new FakeTelegram({ token: TOKEN, limits: false });
    await fake.start();
    const { file, outbox } = outboxWith(150);
    const first = startWorker(file, fake.apiRoot, 8);
    await fake.waitFor(() => fake.sent.length >= 40, 15_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = startWorker(file, fake.apiRoot, 8);
    expect(await second.exited).toBe(0);
    await fake.stop();

    const chats = fake.sent.map((m) => m.chatId);
    expect(duplicates(chats)).toEqual([]);
    const counts = outbox.counts();
    expect(counts.pending + counts.attempting + counts.failed).toBe(0);
    expect(counts.sent + counts.unknown).toBe(150);
    expect(counts.unknown).toBeLessThanOrEqual(8);
    // Every row marked sent really reached the fake.
    for (const row of outbox.rows('sent')) expect(chats).toContain(row.chatId);
  });

  it('after a kill with 160 alerts queued for three chats: per chat each delivered once, at most one uncertain, none lost', async () => {
    const fake = new FakeTelegram({ token: TOKEN, limits: false });
    await fake.start();
    const { file, outbox } = outboxWith(3, 160);
    // 40 a second to each chat: when the kill comes, most rows are still waiting for their chat's turn.
    const first = startWorker(file, fake.apiRoot, 32, 40);
    await fake.waitFor(() => fake.sent.length >= 45, 15_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const chats = ['10000', '10001', '10002'];
    const stateOf = (chat: string, state: string) =>
      outbox.rows(state as 'attempting').filter((r) => r.chatId === chat).length;
    // Only the rows actually on the wire may be in flight: at most one per chat.
    for (const chat of chats) expect(stateOf(chat, 'attempting')).toBeLessThanOrEqual(1);

    const second = startWorker(file, fake.apiRoot, 32, 200);
    expect(await second.exited).toBe(0);
    await fake.stop();
    const textsTo = (chat: string) => fake.messagesTo(chat).map((m) => /alert (\d+) for/.exec(m.text)?.[1] ?? '?');
    for (const chat of chats) {
      const received = textsTo(chat);
      const rows = [...outbox.rows('sent'), ...outbox.rows('unknown')].filter((r) => r.chatId === chat);
      const queued = Array.from({ length: 160 }, (_, i) => String(10_000 + (i % 3))).filter((c) => c === chat).length;
      // Delivered exactly once and in the order queued; uncertain at most one; lost none.
      expect(duplicates(received)).toEqual([]);
      expect(received).toEqual([...received].sort((a, b) => Number(a) - Number(b)));
      expect(stateOf(chat, 'unknown')).toBeLessThanOrEqual(1);
      expect(rows).toHaveLength(queued);
      expect(received.length).toBeGreaterThanOrEqual(queued - 1);
      for (const row of outbox.rows('sent').filter((r) => r.chatId === chat)) {
        expect(received).toContain(/alert (\d+) for/.exec(row.reply.body)?.[1]);
      }
    }
    expect(outbox.counts()).toMatchObject({ pending: 0, attempting: 0, failed: 0 });
  });
});
