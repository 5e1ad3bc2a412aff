// Migration 2: the alert outbox and its lanes (src/store/postgres/outbox.ts).
// The same columns as the SQLite chat_outbox (times are epoch ms in int8), plus one row per destination in
// outbox_lanes: which instance holds it and until when, so that several instances drain one outbox and each
// destination's rows still go out one at a time, in order.
export const OUTBOX_MIGRATION = `
CREATE TABLE chat_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  alert_id text NOT NULL,
  platform text NOT NULL CHECK (platform IN ('discord', 'telegram')),
  chat_id text NOT NULL,
  reply text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'attempting', 'sent', 'failed', 'unknown')),
  attempts integer NOT NULL DEFAULT 0,
  parts_sent integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  not_after bigint NOT NULL,
  attempted_at bigint,
  done_at bigint,
  error text,
  maybe_sent_at bigint
);
-- A lane's next row, and whether a lane has work (pending, or attempting left by a holder that died).
CREATE INDEX chat_outbox_lane ON chat_outbox (platform, chat_id, id) WHERE state IN ('pending', 'attempting');
CREATE INDEX chat_outbox_state ON chat_outbox (state, id);
CREATE INDEX chat_outbox_pending_created ON chat_outbox (created_at) WHERE state = 'pending';

-- The last alert each destination (platform:chat) got per market; written in the enqueuing transaction.
CREATE TABLE chat_last_alerts (
  destination text NOT NULL,
  market text NOT NULL,
  level text NOT NULL CHECK (level IN ('calm', 'elevated', 'warning', 'critical')),
  alerted_at bigint NOT NULL,
  PRIMARY KEY (destination, market)
);

-- One row per destination ever queued to. holder is the instance id draining it, until lease_until (epoch ms);
-- a lane with no holder, or whose lease ran out, may be claimed.
CREATE TABLE outbox_lanes (
  platform text NOT NULL CHECK (platform IN ('discord', 'telegram')),
  chat_id text NOT NULL,
  holder text,
  lease_until bigint,
  PRIMARY KEY (platform, chat_id),
  CHECK ((holder IS NULL) = (lease_until IS NULL))
);
`;
