// Several instances on one Postgres (DATABASE_URL): the market store, venue health and the chat store, all read from
// memory and written behind. The leader writes; a follower refreshes its copy from what the leader wrote.
import { maskedDatabaseUrl } from '../../config/env.js';
import type { Logger } from '../../log/logger.js';
import type { StoreBackend } from '../backend.js';
import { PostgresChatStore } from './chat-store.js';
import { openPostgresStore } from './market-store.js';
import { openPool } from './pool.js';
import { pruneTelegramUpdates } from './telegram-updates.js';
import { PostgresVenueHealth } from './venue-health.js';

export interface PostgresBackendOptions {
  url: string;
  instanceId: string;
  retentionDays: number;
  /** The clock market data is stamped with. */
  now: () => number;
  expectedPollMs: number;
  log: Logger;
  /** How often a follower reads what the leader wrote (default 2 s). */
  followEveryMs?: number;
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function openPostgresBackend(options: PostgresBackendOptions): Promise<StoreBackend> {
  const { log } = options;
  const pool = openPool(options.url, { applicationName: options.instanceId });
  try {
    // Migrates the database first (every table below, the chat's included).
    const market = await openPostgresStore({
      pool,
      retentionDays: options.retentionDays,
      now: options.now,
      expectedPollMs: options.expectedPollMs,
      onRejected: (error) => log.warn('store refused rows', { error: error.message }),
      onFlushError: (error) =>
        log.warn('market data not written to Postgres yet; retrying', { error: describe(error) }),
      onDropped: (dropped) => log.error('the Postgres write queue was full: rows dropped from disk', { ...dropped }),
    });
    const savedHealth = new PostgresVenueHealth(pool, log);
    await savedHealth.refresh();
    let chat: Promise<PostgresChatStore> | undefined;
    const followEveryMs = options.followEveryMs ?? 2_000;
    return {
      where: { database: maskedDatabaseUrl(options.url) },
      market,
      savedHealth,
      openChat: () => (chat ??= PostgresChatStore.open({ pool, instanceId: options.instanceId, log })),
      async maintain() {
        try {
          const pruned = await market.maintain();
          const telegramUpdates = await pruneTelegramUpdates(pool, Date.now());
          log.info('pruned old rows', { ...pruned, telegramUpdates });
        } catch (error) {
          log.warn('store maintenance stopped', { error: describe(error) });
        }
      },
      follow() {
        const stopMarket = market.startRefreshing(followEveryMs);
        const timer = setInterval(
          () => void savedHealth.refresh().catch((error: unknown) => log.warn('venue health not read', { error })),
          followEveryMs,
        );
        timer.unref();
        return () => {
          stopMarket();
          clearInterval(timer);
        };
      },
      async lead() {
        await market.refresh();
        await (await chat)?.reloadMarks();
      },
      async flush() {
        await market.flush();
        await savedHealth.flush();
      },
      async close() {
        await (await chat)?.close();
        await market.end();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`Postgres at ${maskedDatabaseUrl(options.url)} could not be opened: ${describe(error)}`, {
      cause: error,
    });
  }
}
