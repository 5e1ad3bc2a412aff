// The alert outbox on Postgres, drained by several instances at once. Rows, states, idempotency key, alert marks
// and the at-most-once policy for "may have been sent" are those of the SQLite outbox (src/store/outbox.ts).
//
// What is new is the lane: one row of outbox_lanes per destination. An instance claims a lane (a lease, renewed
// while it works), sends that lane's rows one at a time in the order queued, and releases it when none is left.
// Claiming locks the lane row with FOR UPDATE SKIP LOCKED, so two instances never hold one lane and never wait on
// each other. A row is `attempting` only under a live lease of its lane's holder (markAttempting with `holder`
// checks it), so when a holder dies its lane has at most one attempting row, and the instance that claims the
// lane next resolves it in the claiming transaction, under the recoverInFlight policy: Telegram unknown (never
// resent), Discord back to pending with maybe_sent_at while within the resend window, else unknown.
import type pg from 'pg';
import { inTransaction } from './pool.js';
import {
  idempotencyKey,
  RESEND_WINDOW_MS,
  storable,
  toRow,
  type AlertMark,
  type OutboxItem,
  type OutboxPlatform,
  type OutboxRow,
  type OutboxState,
  type OutboxTableRow,
  type RecoveryResult,
} from '../outbox.js';

type Row = OutboxTableRow;

const ROW_COLUMNS = `id, idempotency_key, alert_id, platform, chat_id, reply, state, attempts, parts_sent,
  created_at, not_after, maybe_sent_at`;

/** A lane an instance holds: one destination, until `leaseUntil` (epoch ms) unless renewed. */
export interface ClaimedLane {
  platform: OutboxPlatform;
  chatId: string;
  leaseUntil: number;
  /** What claiming did with a row the previous holder left attempting (at most one). */
  recovered: RecoveryResult;
}

export interface PostgresOutboxOptions {
  /** Overrides RESEND_WINDOW_MS per platform (tests). */
  resendWindowMs?: Partial<Record<OutboxPlatform, number>>;
}

/** Rows waiting or left in flight: a lane with any of them has work. */
const OPEN = `state IN ('pending', 'attempting')`;

export class PostgresOutbox {
  private readonly resendWindowMs: Record<OutboxPlatform, number>;

  constructor(
    private readonly pool: pg.Pool,
    options: PostgresOutboxOptions = {},
  ) {
    this.resendWindowMs = { ...RESEND_WINDOW_MS, ...options.resendWindowMs };
  }

  /**
   * Writes the items in one transaction, with the last-alert marks they leave; items whose key exists are
   * skipped. Returns how many were new.
   */
  async enqueue(items: readonly OutboxItem[], marks: readonly AlertMark[] = []): Promise<number> {
    const added = await this.enqueueByPlatform(items, marks);
    return added.discord + added.telegram;
  }

  /** As `enqueue`, counting the new rows per platform (a re-run of the same items adds none). */
  async enqueueByPlatform(
    items: readonly OutboxItem[],
    marks: readonly AlertMark[] = [],
  ): Promise<Record<OutboxPlatform, number>> {
    const added: Record<OutboxPlatform, number> = { discord: 0, telegram: 0 };
    if (items.length === 0 && marks.length === 0) return added;
    await this.transaction(async (client) => {
      if (marks.length > 0) await upsertMarks(client, marks);
      if (items.length === 0) return;
      const lanes = [...new Map(items.map((i) => [`${i.platform}:${i.chatId}`, i])).values()].sort((a, b) =>
        a.platform === b.platform ? (a.chatId < b.chatId ? -1 : 1) : a.platform < b.platform ? -1 : 1,
      );
      const lanePlatforms = lanes.map((i) => i.platform);
      const laneChats = lanes.map((i) => i.chatId);
      await client.query(
        `INSERT INTO outbox_lanes (platform, chat_id) SELECT * FROM unnest($1::text[], $2::text[])
          ON CONFLICT (platform, chat_id) DO NOTHING`,
        [lanePlatforms, laneChats],
      );
      // Two enqueuers to one destination take its ids in commit order (so its rows go out in the order queued);
      // sorted, so they cannot deadlock.
      await client.query(
        `SELECT 1 FROM outbox_lanes l JOIN unnest($1::text[], $2::text[]) AS u (platform, chat_id)
          ON l.platform = u.platform AND l.chat_id = u.chat_id ORDER BY l.platform, l.chat_id FOR UPDATE OF l`,
        [lanePlatforms, laneChats],
      );
      const inserted = await client.query<{ platform: OutboxPlatform; n: number }>(
        `WITH added AS (
          INSERT INTO chat_outbox (idempotency_key, alert_id, platform, chat_id, reply, state, created_at, not_after)
          SELECT key, alert_id, platform, chat_id, reply, 'pending', created_at, not_after
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[])
              WITH ORDINALITY AS u (key, alert_id, platform, chat_id, reply, created_at, not_after, ord)
            ORDER BY ord
          ON CONFLICT (idempotency_key) DO NOTHING
          RETURNING platform)
        SELECT platform, count(*)::int AS n FROM added GROUP BY platform`,
        [
          items.map((i) => idempotencyKey(i.alertId, i.platform, i.chatId)),
          items.map((i) => i.alertId),
          items.map((i) => i.platform),
          items.map((i) => i.chatId),
          items.map((i) => storable(i.reply)),
          items.map((i) => i.createdAt),
          items.map((i) => i.notAfter),
        ],
      );
      for (const row of inserted.rows) added[row.platform] = row.n;
    });
    return added;
  }

  /** The oldest pending row of one destination: its rows go out in the order they were queued. */
  async nextPending(platform: OutboxPlatform, chatId: string): Promise<OutboxRow | undefined> {
    const result = await this.pool.query<Row>(
      `SELECT ${ROW_COLUMNS} FROM chat_outbox WHERE state = 'pending' AND platform = $1 AND chat_id = $2
        ORDER BY id LIMIT 1`,
      [platform, chatId],
    );
    const row = result.rows[0];
    return row ? toRow(row) : undefined;
  }

  async row(id: number): Promise<OutboxRow | undefined> {
    const result = await this.pool.query<Row>(`SELECT ${ROW_COLUMNS} FROM chat_outbox WHERE id = $1`, [id]);
    const row = result.rows[0];
    return row ? toRow(row) : undefined;
  }

  /**
   * Records that a request is about to go on the wire (committed before it does); false if the row is no longer
   * pending. `retry: true` for a resend of a row already attempting. With `holder`, also false unless that
   * instance holds the row's lane with a lease live at `at`: a holder that lost its lane sends nothing more.
   */
  async markAttempting(id: number, at: number, options: { retry?: boolean; holder?: string } = {}): Promise<boolean> {
    const from: OutboxState = options.retry === true ? 'attempting' : 'pending';
    // FOR SHARE: a claim of the lane (FOR UPDATE) either waits for this mark and then resolves the row, or this
    // mark waits for the claim and then sees the new holder.
    const result = await this.pool.query(
      `WITH lane AS (
        SELECT 1 FROM outbox_lanes l JOIN chat_outbox o ON o.platform = l.platform AND o.chat_id = l.chat_id
          WHERE o.id = $2 AND l.holder = $4 AND l.lease_until >= $1 FOR SHARE OF l)
      UPDATE chat_outbox SET state = 'attempting', attempts = attempts + 1, attempted_at = $1
        WHERE id = $2 AND state = $3 AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM lane))`,
      [at, id, from, options.holder ?? null],
    );
    return result.rowCount === 1;
  }

  /** The request certainly did not reach the platform (429, connection refused): the row waits as pending. */
  async markNotSent(id: number): Promise<void> {
    await this.pool.query(`UPDATE chat_outbox SET state = 'pending' WHERE id = $1 AND state = 'attempting'`, [id]);
  }

  /** A request may have arrived and the row will be resent (the platform drops a repeat for a while). */
  async markMaybeSent(id: number, firstAt: number): Promise<void> {
    await this.pool.query(`UPDATE chat_outbox SET maybe_sent_at = COALESCE(maybe_sent_at, $1) WHERE id = $2`, [
      firstAt,
      id,
    ]);
  }

  /** A part of a split message was accepted: the row waits as pending for its next part. */
  async markPartSent(id: number, partsSent: number): Promise<void> {
    await this.pool.query(
      `UPDATE chat_outbox SET parts_sent = $1, maybe_sent_at = NULL,
        state = CASE state WHEN 'attempting' THEN 'pending' ELSE state END WHERE id = $2`,
      [partsSent, id],
    );
  }

  async markSent(id: number, at: number): Promise<void> {
    await this.pool.query(
      `UPDATE chat_outbox SET state = 'sent', done_at = $1, error = NULL, maybe_sent_at = NULL WHERE id = $2`,
      [at, id],
    );
  }

  async markFailed(id: number, at: number, error: string): Promise<void> {
    await this.pool.query(`UPDATE chat_outbox SET state = 'failed', done_at = $1, error = $2 WHERE id = $3`, [
      at,
      error,
      id,
    ]);
  }

  /** The request may have reached the platform and will not be resent (at most once). */
  async markUnknown(id: number, at: number, error: string): Promise<void> {
    await this.pool.query(`UPDATE chat_outbox SET state = 'unknown', done_at = $1, error = $2 WHERE id = $3`, [
      at,
      error,
      id,
    ]);
  }

  /** The chat can no longer be written to: its waiting rows are given up with `error`. Returns them. */
  async dropChat(platform: OutboxPlatform, chatId: string, at: number, error: string): Promise<OutboxRow[]> {
    const result = await this.pool.query<Row>(
      `UPDATE chat_outbox SET state = 'failed', done_at = $1, error = $2
        WHERE platform = $3 AND chat_id = $4 AND state = 'pending' RETURNING ${ROW_COLUMNS}`,
      [at, error, platform, chatId],
    );
    return result.rows.map(toRow).sort((a, b) => a.id - b.id);
  }

  /** Pending rows of a chat that got a new id follow it (into the new id's lane). */
  async moveChat(platform: OutboxPlatform, fromChatId: string, toChatId: string): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO outbox_lanes (platform, chat_id) VALUES ($1, $2) ON CONFLICT (platform, chat_id) DO NOTHING`,
        [platform, toChatId],
      );
      await client.query(
        `UPDATE chat_outbox SET chat_id = $1 WHERE platform = $2 AND chat_id = $3 AND state = 'pending'`,
        [toChatId, platform, fromChatId],
      );
    });
  }

  /** The last alert per destination and market, of those sent since `sinceAt`. */
  async lastAlerts(sinceAt = 0): Promise<AlertMark[]> {
    const result = await this.pool.query<AlertMark>(
      `SELECT destination, market, level, alerted_at AS at FROM chat_last_alerts WHERE alerted_at >= $1`,
      [sinceAt],
    );
    return result.rows;
  }

  async counts(): Promise<Record<OutboxState, number>> {
    const out: Record<OutboxState, number> = { pending: 0, attempting: 0, sent: 0, failed: 0, unknown: 0 };
    const result = await this.pool.query<{ state: OutboxState; n: number }>(
      `SELECT state, count(*)::int AS n FROM chat_outbox GROUP BY state`,
    );
    for (const row of result.rows) out[row.state] = row.n;
    return out;
  }

  /** When the oldest row still waiting to be sent was queued (epoch ms), or null when none waits. */
  async oldestPendingAt(): Promise<number | null> {
    const result = await this.pool.query<{ at: number | null }>(
      `SELECT min(created_at) AS at FROM chat_outbox WHERE state = 'pending'`,
    );
    return result.rows[0]?.at ?? null;
  }

  async rows(state: OutboxState): Promise<OutboxRow[]> {
    const result = await this.pool.query<Row>(`SELECT ${ROW_COLUMNS} FROM chat_outbox WHERE state = $1 ORDER BY id`, [
      state,
    ]);
    return result.rows.map(toRow);
  }

  /**
   * Claims one destination of `platform` with work and no live holder, the one whose oldest row waits longest,
   * for `leaseMs` from `now`; undefined when there is none. A lane another instance is claiming or marking at this
   * moment is skipped, not waited for. A row the previous holder left attempting is resolved in the same
   * transaction (see the top of this file).
   */
  async claimLane(
    platform: OutboxPlatform,
    instanceId: string,
    leaseMs: number,
    now: number = Date.now(),
  ): Promise<ClaimedLane | undefined> {
    // A lane drained and released while this claim looked for one still looks busy to the claim's snapshot: such
    // an empty lane is let go and the next one tried.
    for (let tries = 0; tries < 8; tries++) {
      const outcome = await this.transaction((client) => this.claimOnce(client, platform, instanceId, leaseMs, now));
      if (outcome !== 'empty') return outcome;
    }
    return undefined;
  }

  private async claimOnce(
    client: pg.PoolClient,
    platform: OutboxPlatform,
    instanceId: string,
    leaseMs: number,
    now: number,
  ): Promise<ClaimedLane | undefined | 'empty'> {
    // LATERAL ... LIMIT 1: one index probe per lane for its oldest open row (a semi-join here gets planned as a
    // scan of every open row per lane before the tables are analysed).
    const claimed = await client.query<{ chat_id: string; lease_until: number }>(
      `WITH candidate AS (
        SELECT l.platform, l.chat_id FROM outbox_lanes l
          CROSS JOIN LATERAL (SELECT o.id FROM chat_outbox o
            WHERE o.platform = l.platform AND o.chat_id = l.chat_id AND o.${OPEN} ORDER BY o.id LIMIT 1) AS oldest
          WHERE l.platform = $1 AND (l.holder IS NULL OR l.lease_until < $3)
          ORDER BY oldest.id
          LIMIT 1
          FOR UPDATE OF l SKIP LOCKED)
      UPDATE outbox_lanes l SET holder = $2, lease_until = $3::int8 + $4::int8 FROM candidate c
        WHERE l.platform = c.platform AND l.chat_id = c.chat_id
        RETURNING l.chat_id, l.lease_until`,
      [platform, instanceId, now, leaseMs],
    );
    const lane = claimed.rows[0];
    if (!lane) return undefined;
    const recovered = await this.resolveInFlight(client, platform, lane.chat_id, now);
    if (recovered.requeued + recovered.unknown === 0) {
      // A new statement, a new snapshot: does the lane still have work?
      const open = await client.query<{ open: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM chat_outbox WHERE platform = $1 AND chat_id = $2 AND ${OPEN}) AS open`,
        [platform, lane.chat_id],
      );
      if (open.rows[0]?.open !== true) {
        await client.query(
          `UPDATE outbox_lanes SET holder = NULL, lease_until = NULL WHERE platform = $1 AND chat_id = $2`,
          [platform, lane.chat_id],
        );
        return 'empty';
      }
    }
    return { platform, chatId: lane.chat_id, leaseUntil: lane.lease_until, recovered };
  }

  /** Extends a lane's lease to `now + leaseMs`; false if `instanceId` no longer holds it (it was taken over). */
  async renewLane(
    platform: OutboxPlatform,
    chatId: string,
    instanceId: string,
    leaseMs: number,
    now: number = Date.now(),
  ): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE outbox_lanes SET lease_until = $4::int8 + $5::int8
        WHERE platform = $1 AND chat_id = $2 AND holder = $3`,
      [platform, chatId, instanceId, now, leaseMs],
    );
    return result.rowCount === 1;
  }

  /** Gives a lane up (its rows are done, or the instance stops); a no-op if `instanceId` does not hold it. */
  async releaseLane(platform: OutboxPlatform, chatId: string, instanceId: string): Promise<void> {
    await this.pool.query(
      `UPDATE outbox_lanes SET holder = NULL, lease_until = NULL
        WHERE platform = $1 AND chat_id = $2 AND holder = $3`,
      [platform, chatId, instanceId],
    );
  }

  /** The recoverInFlight policy, for the one lane just claimed. */
  private async resolveInFlight(
    client: pg.PoolClient,
    platform: OutboxPlatform,
    chatId: string,
    now: number,
  ): Promise<RecoveryResult> {
    const windowMs = this.resendWindowMs[platform];
    let requeued = 0;
    if (windowMs > 0) {
      const result = await client.query(
        `UPDATE chat_outbox SET state = 'pending', maybe_sent_at = COALESCE(maybe_sent_at, attempted_at)
          WHERE platform = $1 AND chat_id = $2 AND state = 'attempting'
            AND COALESCE(maybe_sent_at, attempted_at) >= $3`,
        [platform, chatId, now - windowMs],
      );
      requeued = result.rowCount ?? 0;
    }
    const result = await client.query(
      `UPDATE chat_outbox SET state = 'unknown', done_at = $3, error = 'in flight when its lane holder stopped'
        WHERE platform = $1 AND chat_id = $2 AND state = 'attempting'`,
      [platform, chatId, now],
    );
    return { requeued, unknown: result.rowCount ?? 0 };
  }

  private transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }
}

/** Marks in one statement; of two for the same destination and market, the later wins (as in SQLite). */
async function upsertMarks(client: pg.PoolClient, marks: readonly AlertMark[]): Promise<void> {
  const last = [...new Map(marks.map((m) => [`${m.destination}\n${m.market}`, m])).values()];
  await client.query(
    `INSERT INTO chat_last_alerts (destination, market, level, alerted_at)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[])
      ON CONFLICT (destination, market) DO UPDATE SET level = excluded.level, alerted_at = excluded.alerted_at`,
    [last.map((m) => m.destination), last.map((m) => m.market), last.map((m) => m.level), last.map((m) => m.at)],
  );
}
