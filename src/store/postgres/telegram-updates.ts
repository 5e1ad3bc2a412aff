// Which instance answers a Telegram update, when several sit behind one webhook: the first to record its
// update_id. Telegram keeps an undelivered update for 24 hours, so a record older than that can go.
import type pg from 'pg';

export const TELEGRAM_UPDATE_KEEP_MS = 24 * 3_600_000;

/** A claimUpdate for the Telegram adapter: true when this instance recorded the update first. */
export function telegramUpdateClaim(
  pool: pg.Pool,
  instanceId: string,
  now: () => number = Date.now,
): (updateId: number) => Promise<boolean> {
  return async (updateId) => {
    const result = await pool.query(
      `INSERT INTO telegram_updates (update_id, taken_by, taken_at) VALUES ($1, $2, $3)
       ON CONFLICT (update_id) DO NOTHING`,
      [updateId, instanceId, now()],
    );
    return result.rowCount === 1;
  };
}

/** Deletes the records past Telegram's 24 hours; returns how many. */
export async function pruneTelegramUpdates(pool: pg.Pool, now: number): Promise<number> {
  const result = await pool.query('DELETE FROM telegram_updates WHERE taken_at < $1', [now - TELEGRAM_UPDATE_KEEP_MS]);
  return result.rowCount ?? 0;
}
