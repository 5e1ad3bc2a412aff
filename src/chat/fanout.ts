// Turns decided alerts into outbox rows: one per alert and destination, keyed for idempotency.
import { lastAlertsAfter } from '../alerts/rules.js';
import type { Alert } from '../alerts/types.js';
import type { OutboxPlatform, SqliteOutbox } from '../store/outbox.js';

export interface EnqueueOptions {
  now: number;
  /** How long an alert stays worth sending. */
  maxDelayMs: number;
}

/**
 * Writes every (alert, destination) on Discord or Telegram to the outbox, and the last-alert marks the next
 * cycle's rules read (`outbox.lastAlerts()`), in one transaction; returns how many rows were new, per platform.
 */
export function enqueueAlerts(
  outbox: SqliteOutbox,
  alerts: readonly Alert[],
  options: EnqueueOptions,
): Record<OutboxPlatform, number> {
  const items = alerts.flatMap((alert) =>
    alert.destinations.flatMap((s) =>
      s.chat.platform === 'discord' || s.chat.platform === 'telegram'
        ? [
            {
              alertId: alert.id,
              platform: s.chat.platform,
              chatId: s.chat.id,
              reply: alert.reply,
              createdAt: options.now,
              notAfter: options.now + options.maxDelayMs,
            },
          ]
        : [],
    ),
  );
  // A re-run of the same cycle writes the same marks and no new rows.
  return outbox.enqueueByPlatform(
    items,
    alerts.flatMap((alert) => lastAlertsAfter(alert, options.now)),
  );
}
