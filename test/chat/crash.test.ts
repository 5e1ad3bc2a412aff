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
): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, apiRoot, TOKEN, String(concurrency)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

function outboxWith(chats: number): { file: string; outbox: SqliteOutbox } {
  const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-outbox-'));
  dirs.push(dir);
  const file = join(dir, 'chat.db');
  const db = chatDatabase(file);
  const outbox = new SqliteOutbox(db);
  const now = Date.now();
  outbox.enqueue(
    Array.from({ length: chats }, (_, i) => ({
      alertId: 'rise:okx:BTC:critical:1',
      platform: 'telegram' as const,
      chatId: String(10_000 + i),
      reply: reply('BTC critical', `alert for chat ${i}`),
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
});
