// Numbered Postgres migrations, as the SQLite store's: POSTGRES_MIGRATIONS[i] is version i + 1 and
// `schema_migrations` records which ran. Append only; never edit one that has shipped. Each runs in its own
// transaction with its record, and the whole run holds an advisory lock, so instances that start together apply
// each migration once and none reads a half-made schema.
import type pg from 'pg';
import { LEADER_MIGRATION } from './migrations/001-leader.js';
import { OUTBOX_MIGRATION } from './migrations/002-outbox.js';
import { MARKET_MIGRATION } from './migrations/003-market.js';
import { CHAT_MIGRATION } from './migrations/004-chat.js';
import { TELEGRAM_MIGRATION } from './migrations/005-telegram.js';

export const POSTGRES_MIGRATIONS: readonly string[] = [
  LEADER_MIGRATION,
  OUTBOX_MIGRATION,
  MARKET_MIGRATION,
  CHAT_MIGRATION,
  TELEGRAM_MIGRATION,
];

/** Any fixed int8 shared by every instance: the key of the migration lock. */
const MIGRATION_LOCK_KEY = 0x5_b1ab_0001;

/** Applies the migrations not yet applied; returns the schema version. */
export async function migrate(pool: pg.Pool, now: () => number = Date.now): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)',
      );
      const applied = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(applied.rows.map((row) => row.version));
      for (const [index, sql] of POSTGRES_MIGRATIONS.entries()) {
        const version = index + 1;
        if (done.has(version)) continue;
        await client.query('BEGIN');
        try {
          if (sql.trim() !== '') await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, now()]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`Postgres migration ${version} failed: ${error instanceof Error ? error.message : error}`, {
            cause: error,
          });
        }
      }
      return POSTGRES_MIGRATIONS.length;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
