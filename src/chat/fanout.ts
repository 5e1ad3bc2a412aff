// Turns decided alerts into outbox rows: one per alert and destination, keyed for idempotency.
import { lastAlertsAfter } from '../alerts/rules.js';
import type { Alert } from '../alerts/types.js';
import type { AlertMark, OutboxItem, OutboxPlatform } from '../domain/outbox.js';
import type { SqliteOutbox } from '../store/outbox.js';

export interface EnqueueOptions {
  /** The time of the risk pass that decided the alerts: the marks carry it. */
  now: number;
  /** When the rows are queued, on the clock delivery runs on (default `now`). */
  queuedAt?: number;
  /** How long an alert stays worth sending. */
  maxDelayMs: number;
}

/** The rows of decided alerts, for each destination on Discord or Telegram, and the marks the next pass reads. */
export function outboxEntriesOf(
  alerts: readonly Alert[],
  options: EnqueueOptions,
): { items: OutboxItem[]; marks: AlertMark[] } {
  const queuedAt = options.queuedAt ?? options.now;
  const items = alerts.flatMap((alert) =>
    alert.destinations.flatMap((s) =>
      s.chat.platform === 'discord' || s.chat.platform === 'telegram'
        ? [
            {
              alertId: alert.id,
              platform: s.chat.platform,
              chatId: s.chat.id,
              reply: alert.reply,
              createdAt: queuedAt,
              notAfter: queuedAt + options.maxDelayMs,
            },
          ]
        : [],
    ),
  );
  return { items, marks: alerts.flatMap((alert) => lastAlertsAfter(alert, options.now)) };
}

/**
 * Writes every (alert, destination) on Discord or Telegram to a SQLite outbox, and the last-alert marks the next
 * cycle's rules read (`outbox.lastAlerts()`), in one transaction; returns how many rows were new, per platform.
 */
export function enqueueAlerts(
  outbox: SqliteOutbox,
  alerts: readonly Alert[],
  options: EnqueueOptions,
): Record<OutboxPlatform, number> {
  const { items, marks } = outboxEntriesOf(alerts, options);
  // A re-run of the same cycle writes the same marks and no new rows.
  return outbox.enqueueByPlatform(items, marks);
}
