// The lane discipline of the Postgres outbox on its own, for its tests: claim a lane, send its rows one at a time
// in order under the lease, release it. The bot drains through the outbox worker (src/chat/outbox-worker.ts) and
// src/store/postgres/outbox-queue.ts instead.
import type { OutboxPlatform, OutboxRow } from '../../src/domain/outbox.js';
import type { PostgresOutbox } from '../../src/store/postgres/outbox.js';

export interface DrainLanesOptions {
  outbox: PostgresOutbox;
  platform: OutboxPlatform;
  instanceId: string;
  leaseMs: number;
  /** Sends one row; resolves when the platform accepted it. A throw marks the row unknown (never resent). */
  send: (row: OutboxRow) => Promise<void>;
  /** Lanes this instance works at once (default 1). */
  slots?: number;
  now?: () => number;
}

/**
 * Drains lanes as one instance: claim a lane, send its rows one at a time in order (each marked attempting under
 * the lease, which is renewed per row), release it, claim the next; returns when no lane is left to claim.
 */
export async function drainLanes(options: DrainLanesOptions): Promise<{ sent: number; lanes: number }> {
  const { outbox, platform, instanceId, leaseMs, send } = options;
  const now = options.now ?? Date.now;
  const totals = { sent: 0, lanes: 0 };
  const slot = async (): Promise<void> => {
    for (;;) {
      const lane = await outbox.claimLane(platform, instanceId, leaseMs, now());
      if (!lane) return;
      totals.lanes++;
      try {
        for (;;) {
          const row = await outbox.nextPending(platform, lane.chatId);
          if (!row) break;
          if (!(await outbox.renewLane(platform, lane.chatId, instanceId, leaseMs, now()))) break;
          if (!(await outbox.markAttempting(row.id, now(), { holder: instanceId }))) break;
          try {
            await send(row);
          } catch (error) {
            await outbox.markUnknown(row.id, now(), error instanceof Error ? error.message : String(error));
            continue;
          }
          await outbox.markSent(row.id, now());
          totals.sent++;
        }
      } finally {
        await outbox.releaseLane(platform, lane.chatId, instanceId);
      }
    }
  };
  await Promise.all(Array.from({ length: options.slots ?? 1 }, slot));
  return totals;
}
