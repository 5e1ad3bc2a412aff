// Migration 4: chat subscriptions and venue health (src/store/postgres/subscriptions.ts, venue-health.ts).
export const CHAT_MIGRATION = `
  -- Ids are handed out in blocks of 100 (one nextval per block), so an instance can name a new subscription at
  -- once from its cache and write it behind.
  CREATE SEQUENCE chat_subscription_ids INCREMENT BY 100;

  -- One subscription per chat; null filters mean all.
  CREATE TABLE chat_subscriptions (
    id bigint PRIMARY KEY,
    platform text NOT NULL CHECK (platform IN ('discord', 'telegram', 'console', 'cli')),
    chat_id text NOT NULL,
    markets jsonb,
    min_level text NOT NULL CHECK (min_level IN ('calm', 'elevated', 'warning', 'critical')),
    regimes jsonb,
    created_by text,
    created_at bigint NOT NULL,
    paused boolean NOT NULL DEFAULT false,
    paused_reason text,
    UNIQUE (platform, chat_id)
  );

  -- The leader's last word on each venue, for status on every instance.
  CREATE TABLE venue_health (
    exchange text PRIMARY KEY,
    health jsonb NOT NULL,
    updated_at bigint NOT NULL
  );
`;
