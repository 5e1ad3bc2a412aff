// Opens what the command line needs: the glossary, the SQLite store and (for `poll`) the market service. The bot
// itself (src/bot.ts) opens its store through src/store/backend.ts, SQLite or Postgres.
import type { Services } from './commands/command.js';
import type { Config } from './config/env.js';
import { loadGlossary } from './glossary/load.js';
import type { Glossary } from './glossary/types.js';
import type { Logger } from './log/logger.js';
import { createMarketService, type MarketEvents, type MarketService } from './market/service.js';
import { sqliteStoreOptions } from './store/backend.js';
import { openStore, type SqliteMarketStore } from './store/index.js';
import { SqliteVenueHealth } from './store/venue-health.js';

export interface App {
  glossary: Glossary;
  store: SqliteMarketStore;
  /** The last known venue health, as the bot saved it. */
  savedHealth: SqliteVenueHealth;
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

export function openApp(config: Config, log: Logger, options: OpenAppOptions): App {
  const now = options.now ?? Date.now;
  const glossary = loadGlossary();
  const store = openStore(sqliteStoreOptions(config, log, now, pollIntervalMs(config.FAST_POLL_CRON)));
  const savedHealth = new SqliteVenueHealth(store.db);
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
      store.close();
    },
  };
}
