// The alert outbox on Postgres: the SQLite outbox's behaviours, and lanes drained by several instances at once.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/reply.js';
import type { OutboxItem, OutboxPlatform, OutboxRow } from '../../src/store/outbox.js';
import { PostgresOutbox } from '../../src/store/postgres/outbox.js';
import { drainLanes } from '../support/lanes.js';
import { usePostgres } from '../support/postgres.js';

function reply(title: string): Reply {
  return { title, body: 'body', fields: [], links: [], level: 'warning', data: { title } };
}

function item(alertId: string, chatId: string, platform: OutboxPlatform = 'telegram', createdAt = 1_000): OutboxItem {
  return { alertId, platform, chatId, reply: reply(alertId), createdAt, notAfter: createdAt + 600_000 };
}

describe('the Postgres outbox', () => {
  const postgres = usePostgres();

  /** A fresh migrated database and `count` pools onto it (one per instance). */
  async function database(count = 1): Promise<pg.Pool[]> {
    const url = await postgres.database();
    return Array.from({ length: count }, () => postgres.pool(url));
  }

  async function outbox(): Promise<PostgresOutbox> {
    const [pool] = await database();
    return new PostgresOutbox(pool!);
  }

  describe('on one instance', () => {
    it('enqueues each alert for each destination once, by idempotency key, counting per platform', async () => {
      const box = await outbox();
      expect(await box.enqueueByPlatform([item('a', '1'), item('a', '9', 'discord'), item('a', '1')])).toEqual({
        discord: 1,
        telegram: 1,
      });
      expect(await box.enqueue([item('a', '1'), item('a', '2'), item('b', '1')])).toBe(2);
      expect(await box.counts()).toEqual({ pending: 4, attempting: 0, sent: 0, failed: 0, unknown: 0 });
      const [first] = await box.rows('pending');
      expect(first).toMatchObject({ key: 'a|telegram:1', alertId: 'a', chatId: '1', state: 'pending', attempts: 0 });
    });

    it('keeps a chart through the database', async () => {
      const box = await outbox();
      const png = new Uint8Array([1, 2, 3, 250]);
      await box.enqueue([{ ...item('a', '1'), reply: { ...reply('t'), image: { filename: 'c.png', png, alt: 'c' } } }]);
      expect((await box.nextPending('telegram', '1'))?.reply.image).toEqual({ filename: 'c.png', png, alt: 'c' });
    });

    it("gives a destination's rows out in the order they were queued", async () => {
      const box = await outbox();
      await box.enqueue([item('a', '1'), item('b', '2'), item('c', '1')]);
      await box.enqueue([item('d', '1')]);
      const order: string[] = [];
      for (let row = await box.nextPending('telegram', '1'); row; row = await box.nextPending('telegram', '1')) {
        order.push(row.alertId);
        await box.markSent(row.id, 2_000);
      }
      expect(order).toEqual(['a', 'c', 'd']);
      expect((await box.nextPending('telegram', '2'))?.alertId).toBe('b');
    });

    it('keeps a row pending while it waits and attempting only while a request is on the wire', async () => {
      const box = await outbox();
      await box.enqueue([item('a', '1')]);
      const id = (await box.nextPending('telegram', '1'))!.id;
      expect(await box.markAttempting(id, 2)).toBe(true);
      expect(await box.nextPending('telegram', '1')).toBeUndefined();
      expect(await box.markAttempting(id, 2)).toBe(false);
      // A 429: not sent, back to pending; then one part of two accepted: pending again for the next part.
      await box.markNotSent(id);
      expect((await box.row(id))?.state).toBe('pending');
      await box.markAttempting(id, 3);
      expect(await box.markAttempting(id, 4, { retry: true })).toBe(true);
      await box.markMaybeSent(id, 4);
      await box.markMaybeSent(id, 5);
      expect(await box.row(id)).toMatchObject({ state: 'attempting', attempts: 3, maybeSentAt: 4 });
      await box.markPartSent(id, 1);
      expect(await box.row(id)).toMatchObject({ state: 'pending', partsSent: 1, maybeSentAt: null });
      await box.markAttempting(id, 6);
      await box.markSent(id, 7);
      expect(await box.row(id)).toMatchObject({ state: 'sent', attempts: 4 });
    });

    it('marks rows failed or unknown with their error', async () => {
      const box = await outbox();
      await box.enqueue([item('a', '1'), item('b', '2')]);
      const [a, b] = await box.rows('pending');
      await box.markFailed(a!.id, 5, 'rejected');
      await box.markUnknown(b!.id, 5, 'timed out');
      expect((await box.rows('failed')).map((r) => r.alertId)).toEqual(['a']);
      expect((await box.rows('unknown')).map((r) => r.alertId)).toEqual(['b']);
    });

    it('gives up the waiting rows of a dropped chat and moves the waiting rows of a chat that got a new id', async () => {
      const box = await outbox();
      await box.enqueue([item('a', '1'), item('b', '1'), item('c', '2'), item('d', '3')]);
      const sent = (await box.nextPending('telegram', '1'))!;
      await box.markSent(sent.id, 2);
      expect((await box.dropChat('telegram', '1', 3, 'chat gone')).map((r) => r.alertId)).toEqual(['b']);
      expect((await box.row(sent.id))?.state).toBe('sent');
      await box.moveChat('telegram', '2', '-100200');
      expect(await box.nextPending('telegram', '2')).toBeUndefined();
      expect((await box.nextPending('telegram', '-100200'))?.alertId).toBe('c');
      // The moved rows are in the new id's lane.
      const lane = await box.claimLane('telegram', 'i0', 1_000, 10);
      expect(lane?.chatId).toBe('-100200');
    });

    it('writes the last-alert marks with the rows, the later mark for a market winning', async () => {
      const box = await outbox();
      await box.enqueue(
        [item('a', '1')],
        [
          { destination: 'telegram:1', market: 'BTC', level: 'warning', at: 100 },
          { destination: 'telegram:1', market: 'BTC', level: 'critical', at: 200 },
          { destination: 'telegram:1', market: 'ETH', level: 'elevated', at: 50 },
        ],
      );
      await box.enqueue([], [{ destination: 'discord:9', market: 'BTC', level: 'calm', at: 300 }]);
      expect(await box.lastAlerts(100)).toEqual(
        expect.arrayContaining([
          { destination: 'telegram:1', market: 'BTC', level: 'critical', at: 200 },
          { destination: 'discord:9', market: 'BTC', level: 'calm', at: 300 },
        ]),
      );
      expect(await box.lastAlerts()).toHaveLength(3);
    });

    it('counts rows per state and tells when the oldest waiting row was queued', async () => {
      const box = await outbox();
      expect(await box.oldestPendingAt()).toBeNull();
      await box.enqueue([item('a', '1', 'telegram', 500), item('b', '2', 'telegram', 700), item('c', '3')]);
      const [a] = await box.rows('pending');
      await box.markSent(a!.id, 800);
      expect(await box.oldestPendingAt()).toBe(700);
      expect(await box.counts()).toEqual({ pending: 2, attempting: 0, sent: 1, failed: 0, unknown: 0 });
    });
  });

  describe('lanes over several instances', () => {
    it('deliver 400 rows over 40 destinations with four instances: each once, in queue order per destination', async () => {
      const instances = await database(4);
      const box = new PostgresOutbox(instances[0]!);
      const items: OutboxItem[] = [];
      for (let n = 0; n < 10; n++) for (let chat = 0; chat < 40; chat++) items.push(item(`a${n}`, `c${chat}`));
      // Queued in two batches, so the lanes' order spans transactions.
      expect(await box.enqueue(items.slice(0, 200))).toBe(200);
      expect(await box.enqueue(items.slice(200))).toBe(200);
      const sends: { instance: string; row: OutboxRow }[] = [];
      const results = await Promise.all(
        instances.map((pool, i) =>
          drainLanes({
            outbox: new PostgresOutbox(pool),
            platform: 'telegram',
            instanceId: `i${i}`,
            leaseMs: 30_000,
            slots: 3,
            send: async (row) => {
              sends.push({ instance: `i${i}`, row });
              await new Promise((resolve) => setTimeout(resolve, 1));
            },
          }),
        ),
      );
      expect(sends).toHaveLength(400);
      expect(new Set(sends.map((s) => s.row.key)).size).toBe(400);
      for (let chat = 0; chat < 40; chat++) {
        const ofChat = sends.filter((s) => s.row.chatId === `c${chat}`);
        expect(ofChat.map((s) => s.row.alertId)).toEqual(Array.from({ length: 10 }, (_, n) => `a${n}`));
        // One lane, one holder: nobody else sent for that destination.
        expect(new Set(ofChat.map((s) => s.instance)).size).toBe(1);
      }
      expect(results.filter((r) => r.sent > 0).length).toBeGreaterThan(1);
      expect(await box.counts()).toEqual({ pending: 0, attempting: 0, sent: 400, failed: 0, unknown: 0 });
    });

    it('deliver rows queued while the lanes are being drained, once each and in order, none left behind', async () => {
      const [a, b, c] = await database(3);
      const enqueuer = new PostgresOutbox(a!);
      const sent: OutboxRow[] = [];
      const drain = (pool: pg.Pool, instanceId: string) =>
        drainLanes({
          outbox: new PostgresOutbox(pool),
          platform: 'telegram',
          instanceId,
          leaseMs: 30_000,
          send: async (row) => {
            sent.push(row);
          },
        });
      const queueing = (async () => {
        for (let batch = 0; batch < 5; batch++) {
          await enqueuer.enqueue(Array.from({ length: 20 }, (_, n) => item(`a${batch * 5 + (n >> 2)}`, `c${n % 4}`)));
          await Promise.all([drain(b!, 'B'), drain(c!, 'C')]);
        }
      })();
      await Promise.all([queueing, drain(b!, 'B'), drain(c!, 'C')]);
      // A tick after the last enqueue picks up whatever a lane released just before a commit.
      await Promise.all([drain(b!, 'B'), drain(c!, 'C')]);
      expect(sent).toHaveLength(100);
      for (let chat = 0; chat < 4; chat++) {
        const ids = sent.filter((r) => r.chatId === `c${chat}`).map((r) => r.id);
        expect(ids).toEqual([...ids].sort((x, y) => x - y));
        expect(new Set(ids).size).toBe(25);
      }
    });

    it('never give a lane held by a live instance to another, until its lease runs out', async () => {
      const [a, b] = await database(2);
      const first = new PostgresOutbox(a!);
      const second = new PostgresOutbox(b!);
      await first.enqueue([item('a', '1'), item('b', '2', 'telegram', 2_000)]);
      expect(await first.claimLane('telegram', 'A', 10_000, 1_000)).toMatchObject({
        chatId: '1',
        leaseUntil: 11_000,
      });
      // The longest waiting lane is taken: the other one comes next, then none.
      expect((await second.claimLane('telegram', 'B', 60_000, 1_000))?.chatId).toBe('2');
      expect(await second.claimLane('telegram', 'C', 10_000, 5_000)).toBeUndefined();
      // Renewed, the lease outlives its first term.
      expect(await first.renewLane('telegram', '1', 'A', 10_000, 9_000)).toBe(true);
      expect(await second.claimLane('telegram', 'C', 10_000, 12_000)).toBeUndefined();
      expect(await second.renewLane('telegram', '1', 'C', 10_000, 12_000)).toBe(false);
      // Released, the lane is free at once; a release by a non-holder does nothing.
      await second.releaseLane('telegram', '2', 'A');
      expect(await second.claimLane('telegram', 'C', 10_000, 12_000)).toBeUndefined();
      await first.releaseLane('telegram', '1', 'A');
      expect((await second.claimLane('telegram', 'C', 10_000, 12_000))?.chatId).toBe('1');
    });

    it('skip a lane another instance has locked instead of waiting for it', async () => {
      const [a, b] = await database(2);
      const box = new PostgresOutbox(a!);
      await box.enqueue([item('a', '1'), item('b', '2', 'telegram', 2_000)]);
      const blocker = await b!.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query(`SELECT 1 FROM outbox_lanes WHERE chat_id = '1' FOR UPDATE`);
        expect((await box.claimLane('telegram', 'A', 10_000, 1_000))?.chatId).toBe('2');
        expect(await box.claimLane('telegram', 'B', 10_000, 1_000)).toBeUndefined();
        await blocker.query('ROLLBACK');
      } finally {
        blocker.release();
      }
      expect((await box.claimLane('telegram', 'B', 10_000, 1_000))?.chatId).toBe('1');
    });

    /** Instance A claims the lane of chat 1, marks its first row attempting, and dies (no send, no renew). */
    async function dieHoldingLane(platform: OutboxPlatform): Promise<{ dead: PostgresOutbox; heir: PostgresOutbox }> {
      const [a, b] = await database(2);
      const dead = new PostgresOutbox(a!);
      const heir = new PostgresOutbox(b!);
      await dead.enqueue(['r0', 'r1', 'r2', 'r3'].map((id) => item(id, '1', platform)));
      expect((await dead.claimLane(platform, 'A', 1_000, 10_000))?.chatId).toBe('1');
      const first = (await dead.nextPending(platform, '1'))!;
      expect(await dead.markAttempting(first.id, 10_100, { holder: 'A' })).toBe(true);
      // While the lease lives, nobody takes the lane.
      expect(await heir.claimLane(platform, 'B', 1_000, 10_900)).toBeUndefined();
      return { dead, heir };
    }

    async function drainAsB(heir: PostgresOutbox, platform: OutboxPlatform): Promise<string[]> {
      const sent: string[] = [];
      await drainLanes({
        outbox: heir,
        platform,
        instanceId: 'B',
        leaseMs: 1_000,
        now: () => 11_100,
        send: async (row) => {
          sent.push(row.alertId);
        },
      });
      return sent;
    }

    it('mark the Telegram row a dead holder left attempting unknown when its lane is taken over, and deliver the rest in order', async () => {
      const { dead, heir } = await dieHoldingLane('telegram');
      const lane = await heir.claimLane('telegram', 'B', 1_000, 11_001);
      expect(lane).toMatchObject({ chatId: '1', recovered: { requeued: 0, unknown: 1 } });
      // The dead holder, were it only paused, can no longer put a row on the wire.
      const next = (await dead.nextPending('telegram', '1'))!;
      expect(await dead.markAttempting(next.id, 11_002, { holder: 'A' })).toBe(false);
      await heir.releaseLane('telegram', '1', 'B');
      expect(await drainAsB(heir, 'telegram')).toEqual(['r1', 'r2', 'r3']);
      expect((await heir.rows('unknown')).map((r) => r.alertId)).toEqual(['r0']);
      expect(await heir.counts()).toEqual({ pending: 0, attempting: 0, sent: 3, failed: 0, unknown: 1 });
    });

    it('requeue the Discord row a dead holder left attempting, within the resend window, ahead of the rest of its lane', async () => {
      const { heir } = await dieHoldingLane('discord');
      const sent: OutboxRow[] = [];
      await drainLanes({
        outbox: heir,
        platform: 'discord',
        instanceId: 'B',
        leaseMs: 1_000,
        now: () => 11_100,
        send: async (row) => {
          sent.push(row);
        },
      });
      expect(sent.map((r) => r.alertId)).toEqual(['r0', 'r1', 'r2', 'r3']);
      // Only the requeued row may have arrived twice (Discord's nonce drops the repeat): one uncertain row at most.
      expect(sent.filter((r) => r.maybeSentAt !== null).map((r) => [r.alertId, r.maybeSentAt])).toEqual([
        ['r0', 10_100],
      ]);
      expect(await heir.counts()).toEqual({ pending: 0, attempting: 0, sent: 4, failed: 0, unknown: 0 });
    });

    it('mark the Discord row unknown when its lane is taken over after the resend window', async () => {
      const { heir } = await dieHoldingLane('discord');
      const lane = await heir.claimLane('discord', 'B', 1_000, 10_100 + 60_001);
      expect(lane?.recovered).toEqual({ requeued: 0, unknown: 1 });
      await heir.releaseLane('discord', '1', 'B');
      expect(await drainAsB(heir, 'discord')).toEqual(['r1', 'r2', 'r3']);
    });
  });
});
