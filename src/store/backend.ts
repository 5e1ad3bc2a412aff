// Where an instance of the bot keeps everything: one SQLite file (the default, one instance), or a Postgres that
// several instances share (DATABASE_URL; src/store/postgres/backend.ts). The bot talks to either through this.
import type { Config } from '../config/env.js';
import type { VenueHealth } from '../domain/market.js';
import type { ChatStore } from '../domain/outbox.js';
import type { MarketStore, VenueHealthReader } from '../domain/ports.js';
import type { Logger } from '../log/logger.js';
import { openStore, type SqliteMarketStore, type StoreOptions } from './index.js';
import { sqliteChatStore } from './outbox.js';
import { SqliteVenueHealth } from './venue-health.js';

/** The last known health of the venues, as the leader saved it; what other instances show in `status`. */
export interface SavedVenueHealth extends VenueHealthReader {
  save(venues: readonly VenueHealth[], now: number): void;
}

export interface StoreBackend {
  /** For the start-up log: the file, or the database with its password masked. */
  readonly where: Readonly<Record<string, string>>;
  readonly market: MarketStore;
  readonly savedHealth: SavedVenueHealth;
  /** Opens the chat side's store (once; later calls return the same one). */
  openChat(): Promise<ChatStore>;
  /** The hourly upkeep the leader runs: rows past retention go, old snapshots are thinned. Never rejects. */
  maintain(): Promise<void>;
  /** Until the returned stop is called, keeps this instance's copy current with what the leader writes. */
  follow(): () => void;
  /** Catches up on what the previous leader wrote, before this instance writes itself. */
  lead(): Promise<void>;
  /** Resolves when the writes queued so far have landed. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** How the bot opens its SQLite store (the command line too). */
export function sqliteStoreOptions(
  config: Pick<Config, 'DATA_DIR' | 'RETENTION_DAYS'>,
  log: Logger,
  now: () => number,
  expectedPollMs: number,
): StoreOptions {
  return {
    dataDir: config.DATA_DIR,
    retentionDays: config.RETENTION_DAYS,
    now,
    expectedPollMs,
    onRejected: (error) => log.warn('store refused rows', { error: error.message }),
  };
}

/**
 * Prunes past RETENTION_DAYS, then thins what the window let go of one 30-minute bucket at a time, yielding between
 * buckets: the first run after an upgrade may have days to thin, and polls, scores and sends go on meanwhile.
 */
async function maintainSqlite(store: SqliteMarketStore, log: Logger): Promise<void> {
  try {
    const pruned = store.pruneExpired({ compactBuckets: 1 });
    let compacted = pruned.compactedSnapshots;
    let done = pruned.compactionDone;
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      const step = store.compact(1);
      compacted += step.snapshots;
      done = step.done;
    }
    log.info('pruned old rows', { ...pruned, compactedSnapshots: compacted });
  } catch (error) {
    // A stop closes the store under a run in progress; the next run starts from the oldest row again.
    log.warn('store maintenance stopped', { error });
  }
}

/** One instance on one SQLite file: it always leads, and every write is synchronous. */
export function openSqliteBackend(options: StoreOptions, log: Logger): StoreBackend {
  const store = openStore(options);
  let chat: ChatStore | undefined;
  return {
    where: { path: store.path },
    market: store,
    savedHealth: new SqliteVenueHealth(store.db),
    openChat: () => {
      chat ??= sqliteChatStore(store.db, {
        onRecovered: (recovered) => log.warn('outbox rows were in flight at the last shutdown', { ...recovered }),
      });
      return Promise.resolve(chat);
    },
    maintain: () => maintainSqlite(store, log),
    follow: () => () => undefined,
    lead: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    close: () => {
      store.close();
      return Promise.resolve();
    },
  };
}
