// The chat store of an instance among several on one Postgres: alert marks count the moment an alert is queued (the
// risk pass reads them synchronously), rows queued while Postgres refuses connections land once it is back, and an
// instance that becomes leader reads the marks the previous leader left, so it does not alert the same again.
import { describe, expect, it } from 'vitest';
import { reply } from '../../src/commands/reply.js';
import type { AlertMark, OutboxItem } from '../../src/domain/outbox.js';
import { createLogger } from '../../src/log/logger.js';
import { PostgresChatStore } from '../../src/store/postgres/chat-store.js';
import { usePostgres } from '../support/postgres.js';

const alertReply = reply('BTC: CRITICAL on Binance', 'score 88', { level: 'critical' });

function item(alertId: string, chatId: string, createdAt: number): OutboxItem {
  return { alertId, platform: 'telegram', chatId, reply: alertReply, createdAt, notAfter: createdAt + 60_000 };
}

function mark(chatId: string, market: string, at: number): AlertMark {
  return { destination: `telegram:${chatId}`, market, level: 'critical', at };
}

describe('the chat store on Postgres', () => {
  const postgres = usePostgres();

  async function instance(url: string, instanceId: string, lines: string[] = []) {
    const pool = postgres.pool(url);
    const log = createLogger({ level: 'warn', format: 'json', write: (line) => lines.push(line) });
    return postgres.closeAfter(
      await PostgresChatStore.open({ pool, instanceId, log, retryBaseMs: 50, pendingCheckEveryMs: 50 }),
    );
  }

  it('counts an alert mark at once, and writes the rows and marks so another instance reads them', async () => {
    const url = await postgres.database();
    const leader = await instance(url, 'a');
    const written = leader.enqueue([item('critical:BTC:1', '-1', 1_000)], [mark('-1', 'BTC', 1_000)]);
    // Before the write has landed: the next risk pass already holds the repeat back.
    expect(leader.lastAlerts()).toEqual([mark('-1', 'BTC', 1_000)]);
    await expect(written).resolves.toEqual({ discord: 0, telegram: 1 });
    await expect(leader.enqueue([item('critical:BTC:1', '-1', 1_000)], [])).resolves.toEqual({
      discord: 0,
      telegram: 0,
    });
    const other = await instance(url, 'b');
    expect(other.lastAlerts()).toEqual([mark('-1', 'BTC', 1_000)]);
    await expect.poll(() => other.oldestPendingAt(), { timeout: 5_000 }).toBe(1_000);
  });

  it('keeps alerts queued while Postgres refuses connections and writes them, in order, once it is back', async () => {
    const url = await postgres.database();
    const lines: string[] = [];
    const leader = await instance(url, 'a', lines);
    const name = new URL(url).pathname.slice(1);
    const admin = postgres.pool(postgres.server().url, 1);
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    const first = leader.enqueue([item('warning:ETH:1', '-2', 1_000)], [mark('-2', 'ETH', 1_000)]);
    const second = leader.enqueue([item('critical:ETH:2', '-2', 2_000)], [mark('-2', 'ETH', 2_000)]);
    await expect
      .poll(() => lines.some((line) => line.includes('not written to Postgres yet')), { timeout: 5_000 })
      .toBe(true);
    expect(leader.unwrittenRows()).toBe(2);
    expect(leader.lastAlerts()).toEqual([mark('-2', 'ETH', 2_000)]);
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await expect(first).resolves.toEqual({ discord: 0, telegram: 1 });
    await expect(second).resolves.toEqual({ discord: 0, telegram: 1 });
    expect(leader.unwrittenRows()).toBe(0);
    const check = postgres.pool(url, 1);
    const rows = await check.query<{ alert_id: string }>('SELECT alert_id FROM chat_outbox ORDER BY id');
    expect(rows.rows.map((row) => row.alert_id)).toEqual(['warning:ETH:1', 'critical:ETH:2']);
  }, 30_000);

  it('gives a new leader the marks of the previous one and keeps its own not yet written', async () => {
    const url = await postgres.database();
    const old = await instance(url, 'a');
    await old.enqueue([item('critical:SOL:1', '-3', 1_000)], [mark('-3', 'SOL', 1_000)]);
    const next = await instance(url, 'b');
    await old.enqueue([item('critical:XRP:2', '-3', 2_000)], [mark('-3', 'XRP', 2_000)]);
    expect(next.lastAlerts().map((m) => m.market)).toEqual(['SOL']);
    await next.reloadMarks();
    expect(
      next
        .lastAlerts()
        .map((m) => m.market)
        .sort(),
    ).toEqual(['SOL', 'XRP']);
  });
});
