// What /healthz answers: healthy when every enabled venue polled successfully within a few fast cycles, the
// outbox is draining (no alert waiting longer than a bound) and Telegram long polling works (when the bot polls).
// Each failed rule gives one reason in words.
import type { VenueHealth } from '../domain/market.js';

export interface HealthRules {
  /** Milliseconds between two fast cycles (from FAST_POLL_CRON). */
  cycleMs: number;
  /** A venue whose last success is older than this many cycles is stale. Default 3. */
  staleCycles?: number;
  /** An outbox row pending longer than this (ms) means the outbox is not draining. Default 5 minutes. */
  outboxMaxAgeMs?: number;
}

export interface HealthSources {
  /** Live venue health (the market service). */
  venues: () => readonly VenueHealth[];
  /** When the oldest pending outbox row was queued; absent when no chat is configured. */
  oldestPendingAt?: () => number | null;
  now: () => number;
  /** When the bot started (same clock as `now`): a venue not polled yet is judged from here, a grace period. */
  startedAt: number;
  /** Telegram long polling (src/chat/polling.ts); absent or undefined when the bot does not poll. */
  telegramPolling?: () => TelegramPollingHealth | undefined;
  /** Which instance answers and the role it holds now (read at each request: a role can change). */
  instance?: () => InstanceHealth;
}

/** Who answers /healthz: an operator of several instances reads which one, and what it does. */
export interface InstanceHealth {
  id: string;
  /** `single` for one process that polls, scores, alerts and answers commands. */
  role: string;
  /** The Discord gateway shards this instance runs; null without Discord. */
  discordShards: { ids: readonly number[]; count: number } | null;
}

/** The part of the polling status health reads. */
export interface TelegramPollingHealth {
  state: 'starting' | 'ok' | 'retrying' | 'failed' | 'stopped';
  reason: string | null;
  since: number;
}

export interface VenueVerdict {
  exchange: string;
  state: string;
  /** Seconds since the last successful poll, null when never polled. */
  lastSuccessAgeSec: number | null;
  ok: boolean;
}

export interface HealthReport {
  ok: boolean;
  /** One sentence per failed rule; empty when healthy. */
  reasons: string[];
  venues: VenueVerdict[];
  outbox: { oldestPendingAgeSec: number | null; ok: boolean } | null;
  /** null when the bot does not poll Telegram. */
  telegramPolling: { state: TelegramPollingHealth['state']; downForSec: number | null; ok: boolean } | null;
  /** The bound a venue's last success is held to, seconds. */
  staleAfterSec: number;
  /** null when the caller names no instance. */
  instance: InstanceHealth | null;
}

export const DEFAULT_STALE_CYCLES = 3;
export const DEFAULT_OUTBOX_MAX_AGE_MS = 5 * 60_000;

const seconds = (ms: number): number => Math.round(ms / 100) / 10;

export function checkHealth(sources: HealthSources, rules: HealthRules): HealthReport {
  const now = sources.now();
  const staleAfterMs = rules.cycleMs * (rules.staleCycles ?? DEFAULT_STALE_CYCLES);
  const reasons: string[] = [];
  const venues: VenueVerdict[] = [];
  for (const venue of sources.venues()) {
    if (venue.state === 'disabled') {
      venues.push({ exchange: venue.exchange, state: venue.state, lastSuccessAgeSec: null, ok: true });
      continue;
    }
    const since = venue.lastSuccessAt ?? sources.startedAt;
    const ageMs = Math.max(0, now - since);
    const ok = ageMs <= staleAfterMs;
    venues.push({
      exchange: venue.exchange,
      state: venue.state,
      lastSuccessAgeSec: venue.lastSuccessAt === null ? null : seconds(ageMs),
      ok,
    });
    if (!ok) {
      const what =
        venue.lastSuccessAt === null
          ? `has not polled successfully since start ${seconds(ageMs)} s ago`
          : `last polled successfully ${seconds(ageMs)} s ago`;
      reasons.push(
        `${venue.exchange} ${what} (limit ${seconds(staleAfterMs)} s; state ${venue.state}` +
          `${venue.lastError ? `; last error: ${venue.lastError}` : ''})`,
      );
    }
  }
  let outbox: HealthReport['outbox'] = null;
  if (sources.oldestPendingAt) {
    const maxAgeMs = rules.outboxMaxAgeMs ?? DEFAULT_OUTBOX_MAX_AGE_MS;
    const oldest = sources.oldestPendingAt();
    const ageMs = oldest === null ? null : Math.max(0, now - oldest);
    const ok = ageMs === null || ageMs <= maxAgeMs;
    outbox = { oldestPendingAgeSec: ageMs === null ? null : seconds(ageMs), ok };
    if (!ok && ageMs !== null) {
      reasons.push(
        `outbox not draining: the oldest pending alert was queued ${seconds(ageMs)} s ago (limit ${seconds(maxAgeMs)} s)`,
      );
    }
  }
  let telegramPolling: HealthReport['telegramPolling'] = null;
  const polling = sources.telegramPolling?.();
  if (polling) {
    const down = polling.state === 'retrying' || polling.state === 'failed';
    const downForSec = down ? seconds(Math.max(0, now - polling.since)) : null;
    telegramPolling = { state: polling.state, downForSec, ok: !down };
    if (down) {
      reasons.push(
        `telegram polling ${polling.state === 'failed' ? 'stopped' : 'failing'} for ${downForSec} s` +
          `${polling.reason ? `: ${polling.reason}` : ''}`,
      );
    }
  }
  return {
    ok: reasons.length === 0,
    reasons,
    venues,
    outbox,
    telegramPolling,
    staleAfterSec: seconds(staleAfterMs),
    instance: sources.instance?.() ?? null,
  };
}
