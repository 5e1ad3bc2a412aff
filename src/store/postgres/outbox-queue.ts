// The Postgres outbox as the outbox worker drains it (the OutboxQueue port): `destinations` claims lanes for this
// instance, a timer renews the leases of the lanes it holds, `release` gives a lane back, and `markAttempting` holds
// only while the lane is still this instance's. An instance takes a few lanes at a time, so that several instances
// share the destinations instead of the first one to look taking them all.
import type { OutboxPlatform, OutboxQueue } from '../../domain/outbox.js';
import type { PostgresOutbox } from './outbox.js';

export interface PostgresOutboxQueueOptions {
  instanceId: string;
  /** How long a claimed lane stays this instance's without renewal (default 30 s; renewed every third of it). */
  leaseMs?: number;
  /** Lanes held at once at most (default 32). */
  maxLanes?: number;
  now?: () => number;
  /** A renewal failed (the database away): the lease then lapses and another instance may take the lane. */
  onRenewalError?: (error: unknown) => void;
}

export interface PostgresOutboxQueue extends OutboxQueue {
  /** The lanes this instance holds now, as `platform:chatId`. */
  held(): string[];
  /** Stops renewing and gives every held lane back (a graceful stop hands them over at once). */
  close(): Promise<void>;
}

export function postgresOutboxQueue(outbox: PostgresOutbox, options: PostgresOutboxQueueOptions): PostgresOutboxQueue {
  const leaseMs = options.leaseMs ?? 30_000;
  const maxLanes = options.maxLanes ?? 32;
  const now = options.now ?? Date.now;
  const { instanceId } = options;
  const held = new Map<string, { platform: OutboxPlatform; chatId: string }>();
  const keyOf = (platform: OutboxPlatform, chatId: string) => `${platform}:${chatId}`;

  const renewAll = async (): Promise<void> => {
    for (const [key, lane] of [...held]) {
      try {
        // Taken over meanwhile (this instance was too slow to renew): the lane is no longer ours.
        if (!(await outbox.renewLane(lane.platform, lane.chatId, instanceId, leaseMs, now()))) held.delete(key);
      } catch (error) {
        options.onRenewalError?.(error);
      }
    }
  };
  const timer = setInterval(() => void renewAll(), Math.max(1, Math.floor(leaseMs / 3)));
  timer.unref();

  return {
    async destinations(platform, limit) {
      const mine = [...held.values()].filter((lane) => lane.platform === platform).map((lane) => lane.chatId);
      const room = Math.min(limit, maxLanes) - held.size;
      for (let i = 0; i < room; i++) {
        const lane = await outbox.claimLane(platform, instanceId, leaseMs, now());
        if (lane === undefined) break;
        held.set(keyOf(platform, lane.chatId), { platform, chatId: lane.chatId });
        mine.push(lane.chatId);
      }
      return mine;
    },
    async release(platform, chatId) {
      held.delete(keyOf(platform, chatId));
      await outbox.releaseLane(platform, chatId, instanceId);
    },
    nextPending: (platform, chatId) => outbox.nextPending(platform, chatId),
    markAttempting: (id, at, markOptions) => outbox.markAttempting(id, at, { ...markOptions, holder: instanceId }),
    markNotSent: (id) => outbox.markNotSent(id),
    markMaybeSent: (id, firstAt) => outbox.markMaybeSent(id, firstAt),
    markPartSent: (id, partsSent) => outbox.markPartSent(id, partsSent),
    markSent: (id, at) => outbox.markSent(id, at),
    markFailed: (id, at, error) => outbox.markFailed(id, at, error),
    markUnknown: (id, at, error) => outbox.markUnknown(id, at, error),
    held: () => [...held.keys()],
    async close() {
      clearInterval(timer);
      const lanes = [...held.values()];
      held.clear();
      await Promise.all(lanes.map((lane) => outbox.releaseLane(lane.platform, lane.chatId, instanceId)));
    },
  };
}
