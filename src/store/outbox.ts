// The alert outbox: each alert for each destination is written BEFORE it is sent, under an idempotency key
// (alert id + destination), and marked sent only after the platform accepted it.
//
// A row is `attempting` only while a request for it is on the wire: the worker marks it after every wait (rate
// limits, flood waits) and puts it back to `pending` when a request certainly did not arrive or one part of a
// split message was accepted. So a process killed at any moment leaves each row pending (not sent, or sent up
// to `parts_sent`: resumed after restart), sent, failed, unknown, or attempting: in flight, at most one per
// destination (the worker sends each destination's rows one at a time, in order). `recoverInFlight` resolves
// the attempting rows at start-up under the one policy for "may have been sent", at most once:
// - Telegram: the Bot API has no idempotency key, so a resend could duplicate: `unknown`, not resent.
// - Discord: channel messages carry a nonce derived from the key with enforce_nonce, and Discord drops a repeat
//   for a few minutes: back to pending (with `maybe_sent_at`) while within RESEND_WINDOW_MS, else `unknown`.
import type Database from 'better-sqlite3';
import type { Reply } from '../commands/reply.js';
import type {
  AlertMark,
  ChatStore,
  OutboxItem,
  OutboxPlatform,
  OutboxQueue,
  OutboxRow,
  OutboxState,
} from '../domain/outbox.js';
import { SqliteSubscriptionStore } from './subscriptions.js';

// The shared types live in the domain; re-exported so that every import from here keeps working.
export type { AlertMark, OutboxItem, OutboxPlatform, OutboxQueue, OutboxRow, OutboxState } from '../domain/outbox.js';

/**
 * How long (ms) after a request that may have arrived a resend is still dropped by the platform as a repeat:
 * Telegram never (no idempotency key); Discord for its nonce's window, which Discord describes as "the past few
 * minutes": we trust one minute.
 */
export const RESEND_WINDOW_MS: Readonly<Record<OutboxPlatform, number>> = { discord: 60_000, telegram: 0 };

export function idempotencyKey(alertId: string, platform: OutboxPlatform, chatId: string): string {
  return `${alertId}|${platform}:${chatId}`;
}

/** A row of the outbox table as read (the same columns in SQLite and Postgres). */
export interface OutboxTableRow {
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
  maybe_sent_at: number | null;
}

export function toRow(row: OutboxTableRow): OutboxRow {
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
    maybeSentAt: row.maybe_sent_at,
    createdAt: row.created_at,
    notAfter: row.not_after,
  };
}

/** A reply as stored (SQLite and Postgres alike): JSON, with the chart's PNG bytes as base64. */
export function storable(reply: Reply): string {
  const image = reply.image
    ? {
        filename: reply.image.filename,
        alt: reply.image.alt,
        pngBase64: Buffer.from(reply.image.png).toString('base64'),
      }
    : undefined;
  return JSON.stringify({ ...reply, image });
}

/** The reply `storable` stored. */
export function revive(text: string): Reply {
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
      destinations: db.prepare(
        `SELECT chat_id FROM chat_outbox WHERE state = 'pending' AND platform = ? GROUP BY chat_id ORDER BY MIN(id)`,
      ),
      nextPending: db.prepare(
        `SELECT * FROM chat_outbox WHERE state = 'pending' AND platform = ? AND chat_id = ? ORDER BY id LIMIT 1`,
      ),
      attempting: db.prepare(
        `UPDATE chat_outbox SET state = 'attempting', attempts = attempts + 1, attempted_at = ? WHERE id = ? AND state = 'pending'`,
      ),
      reattempting: db.prepare(
        `UPDATE chat_outbox SET attempts = attempts + 1, attempted_at = ? WHERE id = ? AND state = 'attempting'`,
      ),
      notSent: db.prepare(`UPDATE chat_outbox SET state = 'pending' WHERE id = ? AND state = 'attempting'`),
      maybeSent: db.prepare(`UPDATE chat_outbox SET maybe_sent_at = COALESCE(maybe_sent_at, ?) WHERE id = ?`),
      partSent: db.prepare(
        `UPDATE chat_outbox SET parts_sent = ?, maybe_sent_at = NULL,
          state = CASE state WHEN 'attempting' THEN 'pending' ELSE state END WHERE id = ?`,
      ),
      sent: db.prepare(
        `UPDATE chat_outbox SET state = 'sent', done_at = ?, error = NULL, maybe_sent_at = NULL WHERE id = ?`,
      ),
      failed: db.prepare(`UPDATE chat_outbox SET state = 'failed', done_at = ?, error = ? WHERE id = ?`),
      unknown: db.prepare(`UPDATE chat_outbox SET state = 'unknown', done_at = ?, error = ? WHERE id = ?`),
      dropChat: db.prepare(
        `UPDATE chat_outbox SET state = 'failed', done_at = ?, error = ?
          WHERE platform = ? AND chat_id = ? AND state = 'pending' RETURNING *`,
      ),
      moveChat: db.prepare(
        `UPDATE chat_outbox SET chat_id = ? WHERE platform = ? AND chat_id = ? AND state = 'pending'`,
      ),
      recoverRequeue: db.prepare(
        `UPDATE chat_outbox SET state = 'pending', maybe_sent_at = COALESCE(maybe_sent_at, attempted_at)
          WHERE state = 'attempting' AND platform = ? AND COALESCE(maybe_sent_at, attempted_at) >= ?`,
      ),
      recoverUnknown: db.prepare(
        `UPDATE chat_outbox SET state = 'unknown', done_at = ?, error = 'in flight at shutdown' WHERE state = 'attempting' AND platform = ?`,
      ),
      byId: db.prepare(`SELECT * FROM chat_outbox WHERE id = ?`),
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
    return (this.s.pending.all(platform, limit) as OutboxTableRow[]).map(toRow);
  }

  /** The chats with rows waiting on a platform, the one waiting longest first. */
  pendingDestinations(platform: OutboxPlatform): string[] {
    return (this.s.destinations.all(platform) as { chat_id: string }[]).map((r) => r.chat_id);
  }

  /** The oldest pending row of one destination: its rows go out in the order they were queued. */
  nextPending(platform: OutboxPlatform, chatId: string): OutboxRow | undefined {
    const row = this.s.nextPending.get(platform, chatId) as OutboxTableRow | undefined;
    return row ? toRow(row) : undefined;
  }

  row(id: number): OutboxRow | undefined {
    const row = this.s.byId.get(id) as OutboxTableRow | undefined;
    return row ? toRow(row) : undefined;
  }

  /**
   * Records that a request is about to go on the wire (committed before it does); false if the row is no longer
   * pending (dropped, or another worker took it). `retry: true` for a resend of a row already attempting.
   */
  markAttempting(id: number, at: number, options: { retry?: boolean } = {}): boolean {
    return (options.retry === true ? this.s.reattempting : this.s.attempting).run(at, id).changes === 1;
  }

  /** The request certainly did not reach the platform (429, connection refused): the row waits as pending. */
  markNotSent(id: number): void {
    this.s.notSent.run(id);
  }

  /** A request may have arrived and the row will be resent (the platform drops a repeat for a while). */
  markMaybeSent(id: number, firstAt: number): void {
    this.s.maybeSent.run(firstAt, id);
  }

  /** A part of a split message was accepted: the row waits as pending for its next part. */
  markPartSent(id: number, partsSent: number): void {
    this.s.partSent.run(partsSent, id);
  }

  markSent(id: number, at: number): void {
    this.s.sent.run(at, id);
  }

  markFailed(id: number, at: number, error: string): void {
    this.s.failed.run(at, error, id);
  }

  /** The request may have reached the platform and will not be resent (at most once). */
  markUnknown(id: number, at: number, error: string): void {
    this.s.unknown.run(at, error, id);
  }

  /** The chat can no longer be written to: its waiting rows are given up with `error`. Returns them. */
  dropChat(platform: OutboxPlatform, chatId: string, at: number, error: string): OutboxRow[] {
    return (this.s.dropChat.all(at, error, platform, chatId) as OutboxTableRow[]).map(toRow);
  }

  /** Pending rows of a chat that got a new id follow it. */
  moveChat(platform: OutboxPlatform, fromChatId: string, toChatId: string): void {
    this.s.moveChat.run(toChatId, platform, fromChatId);
  }

  /**
   * Run once at start-up, before any worker: resolves rows left in flight by a process that died, at most once
   * (see the top of this file). `resendWindowMs` defaults to RESEND_WINDOW_MS.
   */
  recoverInFlight(options: { now: number; resendWindowMs?: Partial<Record<OutboxPlatform, number>> }): RecoveryResult {
    const windowMs = { ...RESEND_WINDOW_MS, ...options.resendWindowMs };
    const run = this.db.transaction(() => {
      let requeued = 0;
      let unknown = 0;
      for (const platform of ['discord', 'telegram'] as const) {
        if (windowMs[platform] > 0) {
          requeued += this.s.recoverRequeue.run(platform, options.now - windowMs[platform]).changes;
        }
        unknown += this.s.recoverUnknown.run(options.now, platform).changes;
      }
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
    return (this.s.byState.all(state) as OutboxTableRow[]).map(toRow);
  }
}

/** Runs synchronous store work inside a promise, so that a throw becomes a rejection. */
const run = <T>(work: () => T): Promise<T> => new Promise((resolve) => resolve(work()));

/**
 * The SQLite outbox as the worker's port: one instance serves every destination, so `destinations` is the list of
 * chats with pending rows and `release` has nothing to give back. The wire marks stay synchronous.
 */
export function sqliteOutboxQueue(outbox: SqliteOutbox): OutboxQueue {
  return {
    destinations: (platform, limit) => run(() => outbox.pendingDestinations(platform).slice(0, limit)),
    release: () => Promise.resolve(),
    nextPending: (platform, chatId) => run(() => outbox.nextPending(platform, chatId)),
    markAttempting: (id, at, options) => run(() => outbox.markAttempting(id, at, options)),
    markNotSent: (id) => run(() => outbox.markNotSent(id)),
    markMaybeSent: (id, firstAt) => run(() => outbox.markMaybeSent(id, firstAt)),
    markPartSent: (id, partsSent) => run(() => outbox.markPartSent(id, partsSent)),
    markSent: (id, at) => run(() => outbox.markSent(id, at)),
    markFailed: (id, at, error) => run(() => outbox.markFailed(id, at, error)),
    markUnknown: (id, at, error) => run(() => outbox.markUnknown(id, at, error)),
    wire: {
      markAttempting: (id, at, options) => outbox.markAttempting(id, at, options),
      markNotSent: (id) => outbox.markNotSent(id),
      markMaybeSent: (id, firstAt) => outbox.markMaybeSent(id, firstAt),
      markPartSent: (id, partsSent) => outbox.markPartSent(id, partsSent),
    },
  };
}

/**
 * The chat store of one instance, in its SQLite database: everything is written synchronously, so an alert's rows
 * and marks are committed before the risk pass that decided it ends. Resolves the rows a previous process left in
 * flight first (`recoverInFlight`), before any worker starts.
 */
export function sqliteChatStore(
  db: Database.Database,
  options: { now?: () => number; onRecovered?: (recovered: RecoveryResult) => void } = {},
): ChatStore & { outbox: SqliteOutbox } {
  const outbox = new SqliteOutbox(db);
  const recovered = outbox.recoverInFlight({ now: (options.now ?? Date.now)() });
  if (recovered.requeued + recovered.unknown > 0) options.onRecovered?.(recovered);
  return {
    outbox,
    subscriptions: new SqliteSubscriptionStore(db),
    queue: sqliteOutboxQueue(outbox),
    // Thrown, not rejected: the risk pass then fails and decides the same alerts again on the next one.
    enqueue: (items, marks) => Promise.resolve(outbox.enqueueByPlatform(items, marks)),
    lastAlerts: () => outbox.lastAlerts(),
    dropChat: (platform, chatId, at, error) => run(() => outbox.dropChat(platform, chatId, at, error)),
    moveChat: (platform, fromChatId, toChatId) => run(() => outbox.moveChat(platform, fromChatId, toChatId)),
    oldestPendingAt: () => outbox.oldestPendingAt(),
    close: () => Promise.resolve(),
  };
}
