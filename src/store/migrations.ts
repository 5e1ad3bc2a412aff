// Numbered schema migrations. MIGRATIONS[i] is version i + 1; `schema_migrations` records which ran.
//
// Rules for whoever adds one (subscriptions, the outbox, ...):
// - append a new string at the end; never edit or reorder a migration that has shipped;
// - each migration runs in its own transaction together with its row in `schema_migrations`, so it applies
//   completely or not at all; it must not change `PRAGMA foreign_keys` or `journal_mode` (no-ops inside a
//   transaction);
// - tables are STRICT; times are INTEGER epoch ms named `..._at`; money is REAL USD named `..._usd`;
//   a missing value is NULL, never 0.
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: markets, snapshots, liquidations, per-minute liquidation buckets.
  `
  -- One row per market ever seen. The MarketInfo columns are NULL (together) for a market known only from
  -- its data (a snapshot or liquidation arrived before saveMarkets); base is NULL until a snapshot or the info
  -- gives it.
  CREATE TABLE markets (
    id INTEGER PRIMARY KEY,
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    base TEXT,
    venue_id TEXT,
    quote TEXT,
    settle TEXT,
    contract_size REAL CHECK (contract_size > 0),
    first_seen_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (exchange, symbol),
    CHECK ((venue_id IS NULL) = (quote IS NULL)
       AND (quote IS NULL) = (settle IS NULL)
       AND (settle IS NULL) = (contract_size IS NULL)),
    CHECK (venue_id IS NULL OR base IS NOT NULL)
  ) STRICT;

  -- One row per market per poll. Clustered by time (at first) so each poll appends at the right edge of the
  -- b-tree, the window loads with one range scan and a prune deletes a contiguous range. Depth bands are the
  -- cumulative USD within 0.5/1/2/5 % of mid (DEPTH_BANDS_PERCENT); a band not measured is NULL on both sides.
  CREATE TABLE snapshots (
    at INTEGER NOT NULL,
    market_id INTEGER NOT NULL REFERENCES markets (id),
    mark_price REAL CHECK (mark_price > 0),
    index_price REAL CHECK (index_price > 0),
    last_price REAL CHECK (last_price > 0),
    funding_rate REAL,
    funding_interval_hours REAL CHECK (funding_interval_hours > 0),
    next_funding_at INTEGER,
    funding_rate_annualized REAL,
    open_interest_contracts REAL CHECK (open_interest_contracts >= 0),
    open_interest_usd REAL CHECK (open_interest_usd >= 0),
    volume_24h_usd REAL CHECK (volume_24h_usd >= 0),
    long_short_account_ratio REAL CHECK (long_short_account_ratio > 0),
    depth_bid_0_5_usd REAL CHECK (depth_bid_0_5_usd >= 0),
    depth_ask_0_5_usd REAL CHECK (depth_ask_0_5_usd >= 0),
    depth_bid_1_usd REAL CHECK (depth_bid_1_usd >= 0),
    depth_ask_1_usd REAL CHECK (depth_ask_1_usd >= 0),
    depth_bid_2_usd REAL CHECK (depth_bid_2_usd >= 0),
    depth_ask_2_usd REAL CHECK (depth_ask_2_usd >= 0),
    depth_bid_5_usd REAL CHECK (depth_bid_5_usd >= 0),
    depth_ask_5_usd REAL CHECK (depth_ask_5_usd >= 0),
    PRIMARY KEY (at, market_id),
    CHECK ((depth_bid_0_5_usd IS NULL) = (depth_ask_0_5_usd IS NULL)
       AND (depth_bid_1_usd IS NULL) = (depth_ask_1_usd IS NULL)
       AND (depth_bid_2_usd IS NULL) = (depth_ask_2_usd IS NULL)
       AND (depth_bid_5_usd IS NULL) = (depth_ask_5_usd IS NULL))
  ) STRICT, WITHOUT ROWID;

  -- Every liquidation seen once: the primary key is the deduplication key (exchange and symbol through
  -- market_id, at, side, price, size), so a backlog replayed after a reconnect inserts nothing new.
  CREATE TABLE liquidations (
    at INTEGER NOT NULL,
    market_id INTEGER NOT NULL REFERENCES markets (id),
    side TEXT NOT NULL CHECK (side IN ('long', 'short')),
    price REAL NOT NULL CHECK (price > 0),
    size_base REAL NOT NULL CHECK (size_base > 0),
    size_usd REAL NOT NULL CHECK (size_usd > 0),
    PRIMARY KEY (at, market_id, side, price, size_base)
  ) STRICT, WITHOUT ROWID;

  -- Liquidations per minute, market and side; updated in the transaction that inserts a new liquidation.
  CREATE TABLE liquidation_buckets (
    minute_at INTEGER NOT NULL CHECK (minute_at % 60000 = 0),
    market_id INTEGER NOT NULL REFERENCES markets (id),
    side TEXT NOT NULL CHECK (side IN ('long', 'short')),
    count INTEGER NOT NULL CHECK (count > 0),
    size_usd REAL NOT NULL CHECK (size_usd >= 0),
    PRIMARY KEY (minute_at, market_id, side)
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: chat alert subscriptions and the alert outbox (src/store/subscriptions.ts, src/store/outbox.ts).
  `
  -- One alert subscription per chat; NULL filters mean "all". paused_reason says why alerts stopped.
  CREATE TABLE chat_subscriptions (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL CHECK (platform IN ('discord', 'telegram', 'console', 'cli')),
    chat_id TEXT NOT NULL,
    markets TEXT,
    min_level TEXT NOT NULL CHECK (min_level IN ('calm', 'elevated', 'warning', 'critical')),
    regimes TEXT,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    paused_reason TEXT,
    UNIQUE (platform, chat_id)
  ) STRICT;

  -- Every alert for every destination, written before it is sent. idempotency_key = alert id + destination,
  -- so a cycle that runs twice enqueues nothing new. state: pending → attempting → sent | failed | unknown
  -- ('unknown' = in flight when the process died, resolved without resending; see outbox.ts).
  CREATE TABLE chat_outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    alert_id TEXT NOT NULL,
    platform TEXT NOT NULL CHECK (platform IN ('discord', 'telegram')),
    chat_id TEXT NOT NULL,
    reply TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'attempting', 'sent', 'failed', 'unknown')),
    attempts INTEGER NOT NULL DEFAULT 0,
    parts_sent INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    attempted_at INTEGER,
    done_at INTEGER,
    error TEXT
  ) STRICT;
  CREATE INDEX chat_outbox_open ON chat_outbox (state, id) WHERE state IN ('pending', 'attempting');

  -- The last alert each destination (platform:chat) got per market, for cooldowns and escalations; written in
  -- the transaction that enqueues the alert, so it agrees with the outbox.
  CREATE TABLE chat_last_alerts (
    destination TEXT NOT NULL,
    market TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('calm', 'elevated', 'warning', 'critical')),
    alerted_at INTEGER NOT NULL,
    PRIMARY KEY (destination, market)
  ) STRICT, WITHOUT ROWID;
  `,
  // 3: the last known health of each venue, so that `status` from the command line sees what the bot sees.
  `
  CREATE TABLE venue_health (
    exchange TEXT PRIMARY KEY,
    health_json TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;
  `,
  // 4: per-destination delivery lanes (src/chat/outbox-worker.ts): each chat's next pending row by index, and
  // when a request for a row may have arrived unconfirmed (a Discord row requeued after a crash, resent only
  // while its nonce still dedupes).
  `
  ALTER TABLE chat_outbox ADD COLUMN maybe_sent_at INTEGER;
  CREATE INDEX chat_outbox_lane ON chat_outbox (platform, chat_id, id) WHERE state = 'pending';
  `,
];

export interface MigrationResult {
  /** The schema version after migrating. */
  version: number;
  /** Versions applied by this call (empty when the database was up to date). */
  applied: readonly number[];
}

/**
 * Brings the database to the newest version, one transaction per migration. Safe to call on every open and
 * from two processes at once (each migration re-checks the version inside an immediate transaction).
 */
export function migrate(
  db: Database.Database,
  now: () => number,
  migrations: readonly string[] = MIGRATIONS,
): MigrationResult {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const currentVersion = db.prepare('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  const found = currentVersion.get() as number;
  if (found > migrations.length) {
    throw new Error(
      `The database is at schema version ${found}, newer than this build knows (${migrations.length}); refusing to open it with an older Spiralwatch.`,
    );
  }
  const applied: number[] = [];
  for (let version = found + 1; version <= migrations.length; version++) {
    const sql = migrations[version - 1] as string;
    const apply = db.transaction(() => {
      if ((currentVersion.get() as number) >= version) return; // another process got there first
      db.exec(sql);
      record.run(version, now());
      applied.push(version);
    });
    try {
      apply.immediate();
    } catch (error) {
      throw new Error(`Migration ${version} failed and was rolled back: ${(error as Error).message}`, { cause: error });
    }
  }
  return { version: currentVersion.get() as number, applied };
}
