// Keeps Telegram long polling alive. telegraf gives up for good on a 409 Conflict (another instance polls with
// the same token, as when two deploys overlap) and retries network errors and 5xx every 5 s without telling
// anyone. This guard wraps each getUpdates call instead: it retries with exponential backoff, waits out a 429's
// retry_after, and reports the state, so /healthz shows polling as down while it is. A 409 is retried for a
// bounded time only (an overlap ends within seconds); then the error goes back to telegraf, polling stops and
// the adapter reports it as fatal, so the process exits non-zero and its supervisor restarts it.
import { TelegramError } from 'telegraf';
import { backoffDelay, sleep as abortableSleep } from '../market/backoff.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { classifyTelegram, describeError } from './errors.js';

export type PollingState = 'starting' | 'ok' | 'retrying' | 'failed' | 'stopped';

export interface PollingStatus {
  state: PollingState;
  /** Why polling is down: the last getUpdates error; null while it works. */
  reason: string | null;
  /** Epoch ms since which polling is in this state. */
  since: number;
  /** getUpdates calls failed in a row. */
  failures: number;
}

export interface PollingRetryOptions {
  /** How long (ms) getUpdates may keep answering 409 Conflict before polling gives up. Default 60 000. */
  conflictGiveUpMs: number;
  /** First backoff after a failure, ms; doubled after each further one. Default 1000. */
  baseDelayMs: number;
  /** The longest backoff, ms. Default 30 000. */
  maxDelayMs: number;
}

export const DEFAULT_POLLING_RETRY: PollingRetryOptions = {
  conflictGiveUpMs: 60_000,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
};

export interface PollingGuardOptions {
  retry?: Partial<PollingRetryOptions>;
  now?: () => number;
  /** Waits between retries; must return early when `signal` aborts (telegraf aborts it on stop). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  log?: Logger;
}

/**
 * Thrown when polling gives up on a 409: still telegraf's TelegramError (so telegraf skips its offset sync, one
 * more getUpdates that would conflict too), with a message that says what to do.
 */
export class PollingConflictError extends TelegramError {
  override readonly name = 'PollingConflictError';
  constructor(
    readonly lastedMs: number,
    conflict: TelegramError,
  ) {
    super(conflict.response, conflict.on);
    this.message =
      `Telegram getUpdates answered 409 Conflict for ${Math.round(lastedMs / 1000)} s: another instance is polling ` +
      `with the same bot token (${describeError(conflict)})`;
  }
}

// A function, so that TypeScript does not keep the narrowing from before an await.
const aborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

function abortError(): Error {
  const error = new Error('polling stopped');
  error.name = 'AbortError';
  return error;
}

export class PollingGuard {
  private readonly retry: PollingRetryOptions;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly log: Logger;
  private current: PollingStatus;
  private conflictSince: number | undefined;

  constructor(options: PollingGuardOptions = {}) {
    this.retry = { ...DEFAULT_POLLING_RETRY, ...options.retry };
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? silentLogger;
    this.current = { state: 'starting', reason: null, since: this.now(), failures: 0 };
  }

  status(): PollingStatus {
    return { ...this.current };
  }

  /** Polling ended for good: by a stop, or (with `error`) because it could not recover. */
  finish(error?: unknown): void {
    if (error === undefined) this.set('stopped', null, 0);
    else this.set('failed', describeError(error), this.current.failures);
  }

  /** Runs one getUpdates call, retrying failures that may pass; throws what cannot (or a 409 past its budget). */
  async call<T>(getUpdates: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (;;) {
      try {
        const updates = await getUpdates();
        if (this.current.state !== 'ok') {
          if (this.current.failures > 0) this.log.info('telegram polling recovered', { after: this.current.failures });
          this.set('ok', null, 0);
        }
        this.conflictSince = undefined;
        return updates;
      } catch (error) {
        if (aborted(signal) || (error instanceof Error && error.name === 'AbortError')) throw error;
        const waitMs = this.retryDelay(error);
        const failures = this.current.failures + 1;
        if (waitMs === null) {
          this.set('failed', describeError(error), failures);
          throw error;
        }
        const lastedMs = this.conflictSince === undefined ? 0 : this.now() - this.conflictSince;
        if (this.conflictSince !== undefined && lastedMs >= this.retry.conflictGiveUpMs) {
          const conflict = error instanceof TelegramError ? new PollingConflictError(lastedMs, error) : error;
          this.set('failed', describeError(conflict), failures);
          throw conflict;
        }
        this.set('retrying', describeError(error), failures);
        this.log.warn('telegram polling failed; retrying', {
          error: describeError(error),
          failures,
          retryInMs: waitMs,
        });
        await this.sleep(waitMs, signal);
        if (aborted(signal)) throw abortError();
      }
    }
  }

  /** How long to wait before the next try, or null when the error will not pass by waiting. */
  private retryDelay(error: unknown): number | null {
    const failure = classifyTelegram(error);
    const backoff = backoffDelay(this.current.failures, this.retry.baseDelayMs, this.retry.maxDelayMs, this.random);
    if (failure.kind === 'rateLimited') return failure.retryAfterMs;
    if (failure.kind === 'transient') return backoff;
    if (failure.kind === 'rejected' && failure.status === 409) {
      this.conflictSince ??= this.now();
      // Try once more right at the end of the budget rather than sleeping past it.
      const left = this.retry.conflictGiveUpMs - (this.now() - this.conflictSince);
      return Math.max(0, Math.min(backoff, left));
    }
    // 401 (token revoked), 404 and other refusals: retrying will not help.
    return null;
  }

  private set(state: PollingState, reason: string | null, failures: number): void {
    // Giving up after retries continues the same spell of being down: keep when it began.
    const continues = state === this.current.state || (state === 'failed' && this.current.state === 'retrying');
    const since = continues ? this.current.since : this.now();
    this.current = { state, reason, since, failures };
  }
}
