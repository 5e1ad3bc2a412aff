// Opens what the command line needs: the glossary, the store the bot keeps (SQLite in DATA_DIR, or the Postgres of
// DATABASE_URL) and, for `poll`, the market service. The bot itself (src/bot.ts) opens the same store backend.
import type { Services } from './commands/command.js';
import type { Config } from './config/env.js';
import type { MarketStore } from './domain/ports.js';
import { loadGlossary } from './glossary/load.js';
import type { Glossary } from './glossary/types.js';
import type { Logger } from './log/logger.js';
import { createMarketService, type MarketEvents, type MarketService } from './market/service.js';
import { openSqliteBackend, sqliteStoreOptions, type SavedVenueHealth, type StoreBackend } from './store/backend.js';
import { openPostgresBackend } from './store/postgres/backend.js';

export interface App {
  glossary: Glossary;
  store: MarketStore;
  /** The last known venue health, as the bot saved it. */
  savedHealth: SavedVenueHealth;
  /** Present when opened with `market: true`. */
  market: MarketService | undefined;
  /** The services commands read: live market health when the service runs, the saved one otherwise. */
  services(): Services;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  /** Create the market service (not started). */
  market: boolean;
  now?: () => number;
  /** Observers of the market service's requests and jobs (metrics). */
  marketEvents?: MarketEvents;
}

/** Milliseconds between two runs of a cron expression with a seconds field like `*\/30 * * * * *` (30 s fallback). */
export function pollIntervalMs(expression: string): number {
  const every = /^\*\/(\d+)\s/.exec(expression);
  return every ? Number(every[1]) * 1000 : 30_000;
}

/** The bot's store: SQLite in DATA_DIR, or the Postgres of DATABASE_URL shared by several instances. */
export function openBackend(config: Config, log: Logger, now: () => number): StoreBackend | Promise<StoreBackend> {
  const expectedPollMs = pollIntervalMs(config.FAST_POLL_CRON);
  if (config.DATABASE_URL === undefined) {
    return openSqliteBackend(sqliteStoreOptions(config, log, now, expectedPollMs), log);
  }
  return openPostgresBackend({
    url: config.DATABASE_URL,
    instanceId: config.INSTANCE_ID,
    retentionDays: config.RETENTION_DAYS,
    now,
    expectedPollMs,
    log,
  });
}

export async function openApp(config: Config, log: Logger, options: OpenAppOptions): Promise<App> {
  const now = options.now ?? Date.now;
  const glossary = loadGlossary();
  const backend = await openBackend(config, log, now);
  const store = backend.market;
  const savedHealth = backend.savedHealth;
  const market = options.market
    ? createMarketService({
        config,
        sink: store,
        now,
        log,
        ...(options.marketEvents ? { events: options.marketEvents } : {}),
      })
    : undefined;
  return {
    glossary,
    store,
    savedHealth,
    market,
    services: () => ({
      glossary,
      market: store,
      health: market ?? savedHealth,
      ...(market ? { leverageTiers: (exchange, symbol) => market.leverageTiers(exchange, symbol) } : {}),
    }),
    async close() {
      await market?.stop();
      await backend.close();
    },
  };
}
