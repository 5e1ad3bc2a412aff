// The outbox worker itself, several of them, draining one Postgres outbox through its port: each row sent once,
// each destination's rows in queue order and by one instance at a time, the destinations shared out.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/chat/clock.js';
import { OutboxWorker, type OutboxSender } from '../../src/chat/outbox-worker.js';
import type { Reply } from '../../src/commands/reply.js';
import type { OutboxItem, OutboxRow } from '../../src/domain/outbox.js';
import { PostgresOutbox } from '../../src/store/postgres/outbox.js';
import { postgresOutboxQueue, type PostgresOutboxQueue } from '../../src/store/postgres/outbox-queue.js';
import { usePostgres } from '../support/postgres.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function reply(title: string): Reply {
  return { title, body: 'body', fields: [], links: [], level: 'warning', data: null };
}

/** `rows` alerts for each of `chats` destinations, queued interleaved (each chat's order is not the table's). */
function items(chats: number, rows: number): OutboxItem[] {
  const now = Date.now();
  const out: OutboxItem[] = [];
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < chats; c++)
      out.push({
        alertId: `alert-${i}`,
        platform: 'telegram',
        chatId: `chat-${c}`,
        reply: reply(`chat-${c}#${i}`),
        createdAt: now,
        notAfter: now + 600_000,
      });
  return out;
}

describe('outbox workers on one Postgres', () => {
  const postgres = usePostgres();

  async function instances(count: number): Promise<PostgresOutbox[]> {
    const url = await postgres.database();
    return Array.from({ length: count }, () => new PostgresOutbox(postgres.pool(url)));
  }

  it('deliver every row once, each destination in queue order by one instance at a time, the work shared', async () => {
    const outboxes = await instances(3);
    await (outboxes[0] as PostgresOutbox).enqueue(items(12, 6));
    const sent: { title: string; by: number }[] = [];
    const busy = new Set<string>();
    const overlaps: string[] = [];
    const queues: PostgresOutboxQueue[] = outboxes.map((outbox, i) =>
      postgresOutboxQueue(outbox, { instanceId: `i${i}`, leaseMs: 10_000, maxLanes: 3 }),
    );
    const workers = queues.map((queue, i) => {
      const send: OutboxSender = async (row: OutboxRow) => {
        if (busy.has(row.chatId)) overlaps.push(row.chatId);
        busy.add(row.chatId);
        await delay(2);
        sent.push({ title: row.reply.title, by: i });
        busy.delete(row.chatId);
      };
      return new OutboxWorker({ outbox: queue, clock: systemClock, senders: { telegram: send } });
    });
    try {
      await Promise.all(workers.map((worker) => worker.drain()));
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await Promise.all(queues.map((queue) => queue.close()));
    }
    expect(overlaps).toEqual([]);
    expect(sent).toHaveLength(72);
    expect(new Set(sent.map((s) => s.title)).size).toBe(72);
    for (let c = 0; c < 12; c++) {
      const lane = sent.filter((s) => s.title.startsWith(`chat-${c}#`)).map((s) => s.title);
      expect(lane).toEqual([0, 1, 2, 3, 4, 5].map((i) => `chat-${c}#${i}`));
    }
    expect(new Set(sent.map((s) => s.by)).size).toBeGreaterThan(1);
    expect(await (outboxes[0] as PostgresOutbox).counts()).toMatchObject({ pending: 0, attempting: 0, sent: 72 });
  });

  it('holds a lane only while its lease is renewed, and gives every held lane back on close', async () => {
    const [first, second] = await instances(2);
    await (first as PostgresOutbox).enqueue(items(2, 2));
    const a = postgresOutboxQueue(first as PostgresOutbox, { instanceId: 'a', leaseMs: 600, maxLanes: 2 });
    const b = postgresOutboxQueue(second as PostgresOutbox, { instanceId: 'b', leaseMs: 600, maxLanes: 2 });
    try {
      expect((await a.destinations('telegram', Infinity)).sort()).toEqual(['chat-0', 'chat-1']);
      // Renewed on a's timer: after several lease lengths b still finds nothing to take.
      await delay(1_500);
      expect(await b.destinations('telegram', Infinity)).toEqual([]);
      const row = await a.nextPending('telegram', 'chat-0');
      expect(row).toBeDefined();
      // b cannot mark a row of a lane a holds.
      expect(await b.markAttempting((row as OutboxRow).id, Date.now(), {})).toBe(false);
      await a.close();
      expect(a.held()).toEqual([]);
      expect((await b.destinations('telegram', Infinity)).sort()).toEqual(['chat-0', 'chat-1']);
      expect(await b.markAttempting((row as OutboxRow).id, Date.now(), {})).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
