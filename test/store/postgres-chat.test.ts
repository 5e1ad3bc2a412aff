// Subscriptions and venue health on Postgres: what one instance changes, the others read; the same operations give
// the same subscriptions as the SQLite store; a change made while Postgres is away is kept and lands, in order.
import { describe, expect, it } from 'vitest';
import type { VenueHealth } from '../../src/domain/market.js';
import type { ChatRef, Subscription, SubscriptionStore } from '../../src/domain/ports.js';
import { createLogger } from '../../src/log/logger.js';
import { PostgresSubscriptionStore } from '../../src/store/postgres/subscriptions.js';
import { PostgresVenueHealth } from '../../src/store/postgres/venue-health.js';
import { SqliteSubscriptionStore } from '../../src/store/subscriptions.js';
import { chatDatabase } from '../chat/helpers.js';
import { usePostgres } from '../support/postgres.js';

const telegram = (id: string): ChatRef => ({ platform: 'telegram', id });
const discord = (id: string): ChatRef => ({ platform: 'discord', id });

async function eventually(check: () => boolean, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a subscription says, without its id (ids differ between stores by design). */
const content = ({ id: _id, ...rest }: Subscription) => rest;

describe('subscriptions and venue health on Postgres', () => {
  const postgres = usePostgres();
  const database = () => postgres.database();

  async function instance(url: string, instanceId: string, reloadEveryMs = 0, lines: string[] = []) {
    const pool = postgres.pool(url);
    const log = createLogger({ level: 'warn', format: 'json', write: (line) => lines.push(line) });
    const store = postgres.closeAfter(await PostgresSubscriptionStore.open({ pool, instanceId, reloadEveryMs, log }));
    return { pool, store };
  }

  it('gives the same subscriptions as the SQLite store for the same operations', async () => {
    const url = await database();
    const { store: postgres } = await instance(url, 'a');
    const sqlite = new SqliteSubscriptionStore(chatDatabase());
    const script = (store: SubscriptionStore): unknown[] => {
      const seen: unknown[] = [];
      store.upsert({
        chat: telegram('-1'),
        markets: ['BTC'],
        minLevel: 'warning',
        regimes: null,
        createdBy: '7',
        createdAt: 1,
      });
      store.upsert({
        chat: discord('9'),
        markets: null,
        minLevel: 'critical',
        regimes: ['unwinding'],
        createdBy: null,
        createdAt: 2,
      });
      store.upsert({
        chat: telegram('-2'),
        markets: null,
        minLevel: 'elevated',
        regimes: null,
        createdBy: null,
        createdAt: 3,
      });
      store.pause(telegram('-1'), 'blocked');
      seen.push(store.active().map(content), store.active('discord').map(content));
      // A second subscribe replaces the filters and resumes.
      seen.push(
        content(
          store.upsert({
            chat: telegram('-1'),
            markets: null,
            minLevel: 'critical',
            regimes: null,
            createdBy: '8',
            createdAt: 4,
          }),
        ),
      );
      // A group that became a supergroup; the new id already had a subscription, which gives way.
      store.moveChat(telegram('-2'), '-1');
      seen.push(store.forChat(telegram('-2')), content(store.forChat(telegram('-1')) as Subscription));
      seen.push(store.remove(discord('9')), store.remove(discord('9')), store.active().map(content));
      return seen;
    };
    const fromSqlite = script(sqlite);
    expect(script(postgres)).toEqual(fromSqlite);
    // And what Postgres holds is the same once written: a new instance reads it back.
    await postgres.flush();
    const { store: reopened } = await instance(url, 'b');
    expect(reopened.active().map(content)).toEqual(fromSqlite.at(-1));
  });

  it("shows one instance's subscribe on another within moments, and keeps the id it was given", async () => {
    const url = await database();
    const a = await instance(url, 'a');
    const b = await instance(url, 'b');
    const made = a.store.upsert({
      chat: telegram('-5'),
      markets: ['ETH'],
      minLevel: 'warning',
      regimes: null,
      createdBy: '1',
      createdAt: 10,
    });
    await eventually(() => b.store.forChat(telegram('-5')) !== undefined);
    expect(b.store.forChat(telegram('-5'))).toEqual(made);
    b.store.pause(telegram('-5'), 'kicked');
    await eventually(() => a.store.active().length === 0);
    expect(a.store.forChat(telegram('-5'))?.pausedReason).toBe('kicked');
  });

  it('listens again after its listening connection drops, and still hears the other instances', async () => {
    const url = await database();
    const lines: string[] = [];
    const a = await instance(url, 'a', 0, lines);
    const b = await instance(url, 'b');
    const admin = postgres.pool(postgres.server().url, 1);
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'`,
      [new URL(url).pathname.slice(1)],
    );
    await eventually(() => lines.some((line) => line.includes('listener dropped')));
    // Made while a listens again: the reload after listening brings it, later ones the notifications.
    b.store.upsert({
      chat: telegram('-11'),
      markets: null,
      minLevel: 'warning',
      regimes: null,
      createdBy: null,
      createdAt: 1,
    });
    await eventually(() => a.store.forChat(telegram('-11')) !== undefined, 10_000);
    b.store.upsert({
      chat: telegram('-12'),
      markets: null,
      minLevel: 'critical',
      regimes: null,
      createdBy: null,
      createdAt: 2,
    });
    await eventually(() => a.store.forChat(telegram('-12')) !== undefined, 3_000);
  }, 30_000);

  it('keeps changes made while Postgres refuses connections, and writes them in order once it is back', async () => {
    const url = await database();
    const lines: string[] = [];
    const a = await instance(url, 'a', 0, lines);
    const name = new URL(url).pathname.slice(1);
    const admin = postgres.pool(postgres.server().url, 1);
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    a.store.upsert({
      chat: telegram('-7'),
      markets: null,
      minLevel: 'warning',
      regimes: null,
      createdBy: null,
      createdAt: 1,
    });
    a.store.upsert({
      chat: telegram('-7'),
      markets: ['SOL'],
      minLevel: 'critical',
      regimes: null,
      createdBy: null,
      createdAt: 2,
    });
    a.store.moveChat(telegram('-7'), '-8');
    // The instance answers from what it was told meanwhile.
    expect(a.store.forChat(telegram('-8'))).toMatchObject({ markets: ['SOL'], minLevel: 'critical' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The writes were tried and refused meanwhile, and said so.
    expect(lines.some((line) => line.includes('did not reach Postgres'))).toBe(true);
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await a.store.flush();
    const check = postgres.pool(url, 1);
    const rows = await check.query(`SELECT chat_id, markets, min_level FROM chat_subscriptions`);
    expect(rows.rows).toEqual([{ chat_id: '-8', markets: ['SOL'], min_level: 'critical' }]);
  }, 30_000);

  it("shows the leader's venue health on another instance, and skips a row that no longer parses", async () => {
    const url = await database();
    const leaderPool = postgres.pool(url, 2);
    const followerPool = postgres.pool(url, 2);
    const health: VenueHealth = {
      exchange: 'okx',
      state: 'degraded',
      marketsWatched: 12,
      lastSuccessAt: 1_000,
      consecutiveFailures: 3,
      lastError: 'HTTP 503',
      liquidationStream: 'reconnecting',
      liquidationCoverage: 'sampled',
      lastLiquidationAt: null,
    };
    const leader = new PostgresVenueHealth(leaderPool);
    leader.save([health], 2_000);
    expect(leader.venueHealth()).toEqual([health]);
    await leader.flush();
    const follower = new PostgresVenueHealth(followerPool);
    expect(follower.venueHealth()).toEqual([]);
    await follower.refresh();
    expect(follower.venueHealth()).toEqual([health]);
    await leaderPool.query(
      `INSERT INTO venue_health (exchange, health, updated_at) VALUES ('bybit', '{"exchange":"bybit"}', 1)`,
    );
    await follower.refresh();
    expect(follower.venueHealth()).toEqual([health]);
  });
});
