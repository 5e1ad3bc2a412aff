// Migration 5: the Telegram updates some instance has taken (src/store/postgres/telegram-updates.ts).
export const TELEGRAM_MIGRATION = `
  CREATE TABLE telegram_updates (
    update_id bigint PRIMARY KEY,
    taken_by text NOT NULL,
    taken_at bigint NOT NULL
  );
  CREATE INDEX telegram_updates_by_time ON telegram_updates (taken_at);
`;
