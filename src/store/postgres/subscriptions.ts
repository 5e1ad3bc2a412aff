// The SubscriptionStore port on Postgres, for several instances. The port is synchronous (a command answers from
// it, the risk loop fans out from it), so each instance keeps every subscription in memory (a few thousand rows at
// most) and writes behind: a change applies to the cache at once and goes to Postgres on one ordered chain,
// retried until it lands (never dropped, never reordered). Each write NOTIFYs the other instances, which reload
// the table, and every instance reloads on a timer too, in case it missed a notification while disconnected.
import type pg from 'pg';
import type {
  AlertLevel,
  ChatRef,
  MarketRegime,
  Subscription,
  SubscriptionInput,
  SubscriptionStore,
} from '../../domain/ports.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { inTransaction } from './pool.js';

const CHANNEL = 'spiralwatch_subscriptions';
/** Ids per nextval (the sequence's INCREMENT BY in migration 4). */
const ID_BLOCK = 100;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;

interface Row {
  id: number;
  platform: ChatRef['platform'];
  chat_id: string;
  markets: string[] | null;
  min_level: AlertLevel;
  regimes: MarketRegime[] | null;
  created_by: string | null;
  created_at: number;
  paused: boolean;
  paused_reason: string | null;
}

function toSubscription(row: Row): Subscription {
  return {
    id: row.id,
    chat: { platform: row.platform, id: row.chat_id },
    markets: row.markets,
    minLevel: row.min_level,
    regimes: row.regimes,
    createdBy: row.created_by,
    createdAt: row.created_at,
    paused: row.paused,
    pausedReason: row.paused_reason,
  };
}

const keyOf = (chat: ChatRef): string => `${chat.platform}:${chat.id}`;

/** One change, as the cache applied it and as Postgres will. */
type Change = (client: pg.PoolClient) => Promise<void>;

export interface PostgresSubscriptionOptions {
  pool: pg.Pool;
  /** Names this instance's notifications, so it does not reload on its own. */
  instanceId: string;
  /** Reload from Postgres this often even without a notification (default 30 s; 0: never). */
  reloadEveryMs?: number;
  log?: Logger;
}

export class PostgresSubscriptionStore implements SubscriptionStore {
  private readonly pool: pg.Pool;
  private readonly log: Logger;
  private readonly cache = new Map<string, Subscription>();
  /** Changes not yet committed, oldest first: re-applied over a reload so the cache never loses its own news. */
  private readonly unwritten: { apply: () => void; write: Change }[] = [];
  private writing: Promise<void> = Promise.resolve();
  private readonly ids: number[] = [];
  private idsComing: Promise<void> | undefined;
  private listener: pg.PoolClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly options: PostgresSubscriptionOptions) {
    this.pool = options.pool;
    this.log = (options.log ?? silentLogger).child({ component: 'subscriptions' });
  }

  /** Loads every subscription, reserves ids and starts listening for the other instances' changes. */
  static async open(options: PostgresSubscriptionOptions): Promise<PostgresSubscriptionStore> {
    const store = new PostgresSubscriptionStore(options);
    await store.reload();
    await store.reserveIds();
    await store.listen();
    const every = options.reloadEveryMs ?? 30_000;
    if (every > 0) {
      store.timer = setInterval(() => void store.reload().catch((error) => store.warn('reload failed', error)), every);
      store.timer.unref();
    }
    return store;
  }

  upsert(input: SubscriptionInput): Subscription {
    const key = keyOf(input.chat);
    const existing = this.cache.get(key);
    const id = existing?.id ?? this.takeId();
    const apply = () => {
      const kept = this.cache.get(key);
      this.cache.set(key, {
        id: kept?.id ?? id,
        chat: { ...input.chat },
        markets: input.markets === null ? null : [...input.markets],
        minLevel: input.minLevel,
        regimes: input.regimes === null ? null : [...input.regimes],
        createdBy: input.createdBy,
        createdAt: input.createdAt,
        paused: false,
        pausedReason: null,
      });
    };
    this.change(apply, async (client) => {
      await client.query(
        `INSERT INTO chat_subscriptions (id, platform, chat_id, markets, min_level, regimes, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (platform, chat_id) DO UPDATE SET
           markets = excluded.markets, min_level = excluded.min_level, regimes = excluded.regimes,
           created_by = excluded.created_by, created_at = excluded.created_at, paused = false, paused_reason = NULL`,
        [
          id,
          input.chat.platform,
          input.chat.id,
          input.markets === null ? null : JSON.stringify(input.markets),
          input.minLevel,
          input.regimes === null ? null : JSON.stringify(input.regimes),
          input.createdBy,
          input.createdAt,
        ],
      );
    });
    return this.copy(this.cache.get(key) as Subscription);
  }

  remove(chat: ChatRef): boolean {
    const key = keyOf(chat);
    if (!this.cache.has(key)) return false;
    this.change(
      () => this.cache.delete(key),
      async (client) => {
        await client.query('DELETE FROM chat_subscriptions WHERE platform = $1 AND chat_id = $2', [
          chat.platform,
          chat.id,
        ]);
      },
    );
    return true;
  }

  forChat(chat: ChatRef): Subscription | undefined {
    const found = this.cache.get(keyOf(chat));
    return found === undefined ? undefined : this.copy(found);
  }

  active(platform?: ChatRef['platform']): readonly Subscription[] {
    return [...this.cache.values()]
      .filter((s) => !s.paused && (platform === undefined || s.chat.platform === platform))
      .sort((a, b) => a.id - b.id)
      .map((s) => this.copy(s));
  }

  pause(chat: ChatRef, reason: string): void {
    const key = keyOf(chat);
    this.change(
      () => {
        const found = this.cache.get(key);
        if (found !== undefined) this.cache.set(key, { ...found, paused: true, pausedReason: reason });
      },
      async (client) => {
        await client.query(
          'UPDATE chat_subscriptions SET paused = true, paused_reason = $1 WHERE platform = $2 AND chat_id = $3',
          [reason, chat.platform, chat.id],
        );
      },
    );
  }

  moveChat(chat: ChatRef, toId: string): void {
    const from = keyOf(chat);
    const to = keyOf({ platform: chat.platform, id: toId });
    this.change(
      () => {
        const found = this.cache.get(from);
        if (found === undefined) return;
        this.cache.delete(from);
        this.cache.set(to, { ...found, chat: { platform: chat.platform, id: toId } });
      },
      async (client) => {
        // As SQLite's UPDATE OR REPLACE: a subscription already under the new id gives way to the moved one.
        const moved = await client.query('SELECT 1 FROM chat_subscriptions WHERE platform = $1 AND chat_id = $2', [
          chat.platform,
          chat.id,
        ]);
        if (moved.rowCount === 0) return;
        await client.query('DELETE FROM chat_subscriptions WHERE platform = $1 AND chat_id = $2', [
          chat.platform,
          toId,
        ]);
        await client.query('UPDATE chat_subscriptions SET chat_id = $1 WHERE platform = $2 AND chat_id = $3', [
          toId,
          chat.platform,
          chat.id,
        ]);
      },
    );
  }

  /** Resolves when every change made so far is committed. */
  flush(): Promise<void> {
    return this.writing;
  }

  /** Reads the whole table again (the other instances' changes), keeping this instance's unwritten ones on top. */
  async reload(): Promise<void> {
    // A change that commits while the read is under way may or may not be in it: those are applied again too.
    const unwrittenAtStart = [...this.unwritten];
    const result = await this.pool.query<Row>('SELECT * FROM chat_subscriptions');
    this.cache.clear();
    for (const row of result.rows)
      this.cache.set(keyOf({ platform: row.platform, id: row.chat_id }), toSubscription(row));
    const stillUnwritten = new Set(this.unwritten);
    for (const change of unwrittenAtStart) if (!stillUnwritten.has(change)) change.apply();
    for (const change of this.unwritten) change.apply();
  }

  /** Writes what is queued, stops listening and reloading. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.writing;
    const listener = this.listener;
    this.listener = undefined;
    if (listener !== undefined) {
      await listener.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
      listener.release();
    }
  }

  private copy(s: Subscription): Subscription {
    return {
      ...s,
      chat: { ...s.chat },
      markets: s.markets === null ? null : [...s.markets],
      regimes: s.regimes === null ? null : [...s.regimes],
    };
  }

  private change(apply: () => void, write: Change): void {
    apply();
    const entry = { apply, write };
    this.unwritten.push(entry);
    this.writing = this.writing.then(() => this.commit(entry));
  }

  /** Commits one change with its notification, retrying with backoff until it lands (or the store is closed). */
  private async commit(entry: { apply: () => void; write: Change }): Promise<void> {
    let waitMs = RETRY_FIRST_MS;
    for (;;) {
      try {
        await inTransaction(this.pool, async (client) => {
          await entry.write(client);
          await client.query('SELECT pg_notify($1, $2)', [CHANNEL, this.options.instanceId]);
        });
        this.unwritten.splice(this.unwritten.indexOf(entry), 1);
        return;
      } catch (error) {
        if (this.closed) {
          // Stopping with the database away: say what is lost rather than hold the exit forever.
          this.log.error('subscription changes not written at close', { unwritten: this.unwritten.length });
          return;
        }
        this.warn(`a subscription change did not reach Postgres; retrying in ${waitMs} ms`, error);
        await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
        waitMs = Math.min(RETRY_MAX_MS, waitMs * 2);
      }
    }
  }

  private takeId(): number {
    const id = this.ids.shift();
    if (this.ids.length < ID_BLOCK) void this.reserveIds().catch((error) => this.warn('id reservation failed', error));
    if (id === undefined) throw new Error('no subscription id is reserved yet (Postgres unreachable?): try again');
    return id;
  }

  /** Keeps two blocks of ids in hand. */
  private reserveIds(): Promise<void> {
    this.idsComing ??= (async () => {
      try {
        while (this.ids.length < 2 * ID_BLOCK) {
          const result = await this.pool.query<{ start: number }>(
            "SELECT nextval('chat_subscription_ids')::bigint AS start",
          );
          const start = Number(result.rows[0]?.start);
          for (let i = 0; i < ID_BLOCK; i++) this.ids.push(start + i);
        }
      } finally {
        this.idsComing = undefined;
      }
    })();
    return this.idsComing;
  }

  private async listen(): Promise<void> {
    const client = await this.pool.connect();
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || message.payload === this.options.instanceId || this.closed) return;
      void this.reload().catch((error) => this.warn('reload failed', error));
    });
    client.on('error', (error) => {
      if (client !== this.listener) return;
      this.warn('the subscription listener dropped; listening again', error);
      this.listener = undefined;
      client.release(error);
      void this.listenAgain();
    });
    try {
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    this.listener = client;
  }

  /** After a dropped listener: listens again (every few seconds until it can), then reloads what it missed. */
  private async listenAgain(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1_000 * 2 ** attempt)).unref());
      if (this.closed) return;
      try {
        await this.listen();
        if (this.closed) {
          await this.close();
          return;
        }
        await this.reload();
        return;
      } catch (error) {
        this.warn('could not listen for subscription changes yet', error);
      }
    }
  }

  private warn(message: string, error: unknown): void {
    this.log.warn(message, { error: error instanceof Error ? error.message : String(error) });
  }
}
