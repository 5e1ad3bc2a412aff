// Migration 3: markets, snapshots, liquidations and their buckets (src/store/postgres/market-store.ts).
// The layout follows SQLite's (src/store/migrations.ts) column for column. What Postgres adds:
// - `change_id` on every table a follower reads (from one sequence, set again when a row changes): a follower
//   pulls `change_id > its last` into its window. Only the leader writes, one flush at a time, so ids commit in order.
// - snapshots stay keyed by (at, market_id): a poll appends at the right edge, the window loads and a prune or a
//   compaction deletes by one range of `at`.
// Retention keeps 24 h at full resolution and then one snapshot per market per 30 minutes (as SQLite's).
export const MARKET_MIGRATION = `
CREATE SEQUENCE market_change_seq;

CREATE TABLE markets (
  id serial PRIMARY KEY,
  exchange text NOT NULL,
  symbol text NOT NULL,
  base text,
  venue_id text,
  quote text,
  settle text,
  contract_size double precision CHECK (contract_size > 0),
  first_seen_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  change_id bigint NOT NULL DEFAULT nextval('market_change_seq'),
  UNIQUE (exchange, symbol),
  CHECK ((venue_id IS NULL) = (quote IS NULL)
     AND (quote IS NULL) = (settle IS NULL)
     AND (settle IS NULL) = (contract_size IS NULL)),
  CHECK (venue_id IS NULL OR base IS NOT NULL)
);
CREATE INDEX markets_change ON markets (change_id);

CREATE TABLE snapshots (
  at bigint NOT NULL,
  market_id integer NOT NULL REFERENCES markets (id),
  change_id bigint NOT NULL DEFAULT nextval('market_change_seq'),
  mark_price double precision CHECK (mark_price > 0),
  index_price double precision CHECK (index_price > 0),
  last_price double precision CHECK (last_price > 0),
  funding_rate double precision,
  funding_interval_hours double precision CHECK (funding_interval_hours > 0),
  next_funding_at bigint,
  funding_rate_annualized double precision,
  open_interest_contracts double precision CHECK (open_interest_contracts >= 0),
  open_interest_usd double precision CHECK (open_interest_usd >= 0),
  volume_24h_usd double precision CHECK (volume_24h_usd >= 0),
  long_short_account_ratio double precision CHECK (long_short_account_ratio > 0),
  depth_bid_0_5_usd double precision CHECK (depth_bid_0_5_usd >= 0),
  depth_ask_0_5_usd double precision CHECK (depth_ask_0_5_usd >= 0),
  depth_bid_1_usd double precision CHECK (depth_bid_1_usd >= 0),
  depth_ask_1_usd double precision CHECK (depth_ask_1_usd >= 0),
  depth_bid_2_usd double precision CHECK (depth_bid_2_usd >= 0),
  depth_ask_2_usd double precision CHECK (depth_ask_2_usd >= 0),
  depth_bid_5_usd double precision CHECK (depth_bid_5_usd >= 0),
  depth_ask_5_usd double precision CHECK (depth_ask_5_usd >= 0),
  PRIMARY KEY (at, market_id),
  CHECK ((depth_bid_0_5_usd IS NULL) = (depth_ask_0_5_usd IS NULL)
     AND (depth_bid_1_usd IS NULL) = (depth_ask_1_usd IS NULL)
     AND (depth_bid_2_usd IS NULL) = (depth_ask_2_usd IS NULL)
     AND (depth_bid_5_usd IS NULL) = (depth_ask_5_usd IS NULL))
);
CREATE INDEX snapshots_change ON snapshots (change_id);

CREATE TABLE liquidations (
  at bigint NOT NULL,
  market_id integer NOT NULL REFERENCES markets (id),
  side text NOT NULL CHECK (side IN ('long', 'short')),
  price double precision NOT NULL CHECK (price > 0),
  size_base double precision NOT NULL CHECK (size_base > 0),
  size_usd double precision NOT NULL CHECK (size_usd > 0),
  change_id bigint NOT NULL DEFAULT nextval('market_change_seq'),
  PRIMARY KEY (at, market_id, side, price, size_base)
);
CREATE INDEX liquidations_change ON liquidations (change_id);

CREATE TABLE liquidation_buckets (
  minute_at bigint NOT NULL CHECK (minute_at % 60000 = 0),
  market_id integer NOT NULL REFERENCES markets (id),
  side text NOT NULL CHECK (side IN ('long', 'short')),
  count integer NOT NULL CHECK (count > 0),
  size_usd double precision NOT NULL CHECK (size_usd >= 0),
  PRIMARY KEY (minute_at, market_id, side)
);
`;
