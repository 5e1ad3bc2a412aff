// The alert outbox: each alert for each destination is written BEFORE it is sent, under an idempotency key
// (alert id + destination), and marked sent only after the platform accepted it.
//
// A process killed at any moment leaves each row pending (never tried: sent after restart), sent (done) or
// attempting (the call was in flight). `recoverInFlight` resolves the attempting rows at start-up:
// - Discord: back to pending. Channel messages carry a nonce derived from the key with enforce_nonce, so
//   Discord drops the repeat if the first call did arrive: exactly once.
// - Telegram: the Bot API has no idempotency key, so a resend could duplicate. We mark them `unknown` and do
//   not resend (at most once for the one message per chat that was in flight; every other alert exactly once).
//   `telegramInFlight: 'resend'` chooses at least once instead.
import type Database from 'better-sqlite3';
import type { Reply } from '../commands/reply.js';

export type OutboxPlatform = 'discord' | 'telegram';
export type OutboxState = 'pending' | 'attempting' | 'sent' | 'failed' | 'unknown';

export interface OutboxItem {
  alertId: string;
  platform: OutboxPlatform;
  chatId: string;
  reply: Reply;
  createdAt: number;
  /** Epoch ms after which the alert is given up as too late. */
  notAfter: number;
}

export interface OutboxRow extends OutboxItem {
  id: number;
  key: string;
  state: OutboxState;
  attempts: number;
  /** Messages of a split reply already accepted (Telegram splits long alerts). */
  partsSent: number;
}

export function idempotencyKey(alertId: string, platform: OutboxPlatform, chatId: string): string {
  return `${alertId}|${platform}:${chatId}`;
}

interface Row {
  id: number;
  idempotency_key: string;
  alert_id: string;
  platform: OutboxPlatform;
  chat_id: string;
  reply: string;
  state: OutboxState;
  attempts: number;
  parts_sent: number;
  created_at: number;
  not_after: number;
}

function toRow(row: Row): OutboxRow {
  return {
    id: row.id,
    key: row.idempotency_key,
    alertId: row.alert_id,
    platform: row.platform,
    chatId: row.chat_id,
    reply: revive(row.reply),
    state: row.state,
    attempts: row.attempts,
    partsSent: row.parts_sent,
    createdAt: row.created_at,
    notAfter: row.not_after,
  };
}

/** A reply as stored: JSON, with the chart's PNG bytes as base64. */
function storable(reply: Reply): string {
  const image = reply.image
    ? {
        filename: reply.image.filename,
        alt: reply.image.alt,
        pngBase64: Buffer.from(reply.image.png).toString('base64'),
      }
    : undefined;
  return JSON.stringify({ ...reply, image });
}

function revive(text: string): Reply {
  const stored = JSON.parse(text) as Omit<Reply, 'image'> & {
    image?: { filename: string; alt: string; pngBase64: string };
  };
  const { image, ...rest } = stored;
  return image
    ? {
        ...rest,
        image: {
          filename: image.filename,
          alt: image.alt,
          png: new Uint8Array(Buffer.from(image.pngBase64, 'base64')),
        },
      }
    : rest;
}

/** The last alert a destination (`platform:chatId`) got for a market. */
export interface AlertMark {
  destination: string;
  market: string;
  level: 'calm' | 'elevated' | 'warning' | 'critical';
  at: number;
}

export interface RecoveryResult {
  requeued: number;
  unknown: number;
}

export class SqliteOutbox {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      insert: db.prepare(`INSERT OR IGNORE INTO chat_outbox
        (idempotency_key, alert_id, platform, chat_id, reply, state, created_at, not_after)
        VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`),
      pending: db.prepare(`SELECT * FROM chat_outbox WHERE state = 'pending' AND platform = ? ORDER BY id LIMIT ?`),
      attempting: db.prepare(
        `UPDATE chat_outbox SET state = 'attempting', attempts = attempts + 1, attempted_at = ? WHERE id = ? AND state = 'pending'`,
      ),
      partSent: db.prepare(`UPDATE chat_outbox SET parts_sent = ? WHERE id = ?`),
      sent: db.prepare(`UPDATE chat_outbox SET state = 'sent', done_at = ?, error = NULL WHERE id = ?`),
      failed: db.prepare(`UPDATE chat_outbox SET state = 'failed', done_at = ?, error = ? WHERE id = ?`),
      retryLater: db.prepare(`UPDATE chat_outbox SET state = 'pending' WHERE id = ? AND state = 'attempting'`),
      moveChat: db.prepare(
        `UPDATE chat_outbox SET chat_id = ? WHERE platform = ? AND chat_id = ? AND state = 'pending'`,
      ),
      recoverRequeue: db.prepare(
        `UPDATE chat_outbox SET state = 'pending' WHERE state = 'attempting' AND platform = ?`,
      ),
      recoverUnknown: db.prepare(
        `UPDATE chat_outbox SET state = 'unknown', done_at = ?, error = 'in flight at shutdown' WHERE state = 'attempting' AND platform = ?`,
      ),
      counts: db.prepare(`SELECT state, COUNT(*) AS n FROM chat_outbox GROUP BY state`),
      oldestPending: db.prepare(`SELECT MIN(created_at) AS at FROM chat_outbox WHERE state = 'pending'`),
      byState: db.prepare(`SELECT * FROM chat_outbox WHERE state = ? ORDER BY id`),
      mark: db.prepare(`INSERT INTO chat_last_alerts (destination, market, level, alerted_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (destination, market) DO UPDATE SET level = excluded.level, alerted_at = excluded.alerted_at`),
      marks: db.prepare(
        `SELECT destination, market, level, alerted_at AS at FROM chat_last_alerts WHERE alerted_at >= ?`,
      ),
    };
  }

  /**
   * Writes the items in one transaction, with the last-alert marks they leave (for the next cycle's
   * cooldowns); items whose key exists are skipped. Returns how many were new.
   */
  enqueue(items: readonly OutboxItem[], marks: readonly AlertMark[] = []): number {
    const added = this.enqueueByPlatform(items, marks);
    return added.discord + added.telegram;
  }

  /** As `enqueue`, counting the new rows per platform (a re-run of the same items adds none). */
  enqueueByPlatform(items: readonly OutboxItem[], marks: readonly AlertMark[] = []): Record<OutboxPlatform, number> {
    const run = this.db.transaction((all: readonly OutboxItem[]) => {
      for (const m of marks) this.s.mark.run(m.destination, m.market, m.level, m.at);
      const added: Record<OutboxPlatform, number> = { discord: 0, telegram: 0 };
      for (const item of all) {
        const key = idempotencyKey(item.alertId, item.platform, item.chatId);
        added[item.platform] += this.s.insert.run(
          key,
          item.alertId,
          item.platform,
          item.chatId,
          storable(item.reply),
          item.createdAt,
          item.notAfter,
        ).changes;
      }
      return added;
    });
    return run(items);
  }

  pending(platform: OutboxPlatform, limit: number): OutboxRow[] {
    return (this.s.pending.all(platform, limit) as Row[]).map(toRow);
  }

  /** Records that the call is about to be made; false if another worker took the row. Committed before the call. */
  markAttempting(id: number, at: number): boolean {
    return this.s.attempting.run(at, id).changes === 1;
  }

  markPartSent(id: number, partsSent: number): void {
    this.s.partSent.run(partsSent, id);
  }

  markSent(id: number, at: number): void {
    this.s.sent.run(at, id);
  }

  markFailed(id: number, at: number, error: string): void {
    this.s.failed.run(at, error, id);
  }

  /** Pending rows of a chat that got a new id follow it. */
  moveChat(platform: OutboxPlatform, fromChatId: string, toChatId: string): void {
    this.s.moveChat.run(toChatId, platform, fromChatId);
  }

  /** Run once at start-up, before any worker: resolves rows left in flight by a process that died. */
  recoverInFlight(options: { telegramInFlight?: 'unknown' | 'resend'; now: number }): RecoveryResult {
    const run = this.db.transaction(() => {
      let requeued = this.s.recoverRequeue.run('discord').changes;
      let unknown = 0;
      if (options.telegramInFlight === 'resend') requeued += this.s.recoverRequeue.run('telegram').changes;
      else unknown = this.s.recoverUnknown.run(options.now, 'telegram').changes;
      return { requeued, unknown };
    });
    return run();
  }

  /** The last alert per destination and market, of those sent since `sinceAt`. */
  lastAlerts(sinceAt = 0): AlertMark[] {
    return this.s.marks.all(sinceAt) as AlertMark[];
  }

  counts(): Record<OutboxState, number> {
    const out: Record<OutboxState, number> = { pending: 0, attempting: 0, sent: 0, failed: 0, unknown: 0 };
    for (const row of this.s.counts.all() as { state: OutboxState; n: number }[]) out[row.state] = row.n;
    return out;
  }

  /** When the oldest row still waiting to be sent was queued (epoch ms), or null when none waits. */
  oldestPendingAt(): number | null {
    const row = this.s.oldestPending.get() as { at: number | null } | undefined;
    return row?.at ?? null;
  }

  rows(state: OutboxState): OutboxRow[] {
    return (this.s.byState.all(state) as Row[]).map(toRow);
  }
}
