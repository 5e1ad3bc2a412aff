// The ccxt side of a venue: building the ccxt.pro instance (lean market loading, timeout, origin override) and the
// one seam every REST request goes through. The seam counts requests, sorts failures once (slow down / try again /
// the venue refused), honours Retry-After for the whole venue, and retries 5xx and timeouts a bounded number of
// times with backoff. ccxt's own throttler (enableRateLimit) stays on underneath.
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import ccxt, { DDoSProtection, ExchangeError, NetworkError, RateLimitExceeded } from 'ccxt';
import type { Exchange } from 'ccxt';
import type { ExchangeId } from '../domain/market.js';
import { rewriteUrlTree } from './origin.js';
import { backoffDelay, parseRetryAfter, sleep } from './backoff.js';
import { ImplausibleResponseError } from './venues/adapter.js';
import type { VenueAdapter } from './venues/adapter.js';

export interface ExchangeOptions {
  timeoutMs: number;
  /** Origin to point every REST and socket URL at (the mock exchange), or undefined for the venue itself. */
  origin: string | undefined;
  /**
   * ccxt's throttler (enableRateLimit). Mock-only: `false` is honoured only with an origin override (replays and
   * tests against the local mock exchange); against a real venue the throttler always stays on.
   */
  rateLimit?: boolean;
  /** ccxt's quoteJsonNumbers; mock-only as `rateLimit`: `false` is honoured only with an origin override. */
  quoteJsonNumbers?: boolean;
}

/** A ccxt.pro instance for the venue, configured as the adapter says. */
export function createExchange(adapter: VenueAdapter, options: ExchangeOptions): Exchange {
  const Constructor = ccxt.pro[adapter.id];
  const exchange: Exchange = new Constructor({
    ...adapter.ccxtConfig,
    enableRateLimit: options.origin === undefined || options.rateLimit !== false,
    timeout: options.timeoutMs,
  });
  if (options.origin !== undefined) {
    exchange.urls['api'] = rewriteUrlTree(exchange.urls['api'], options.origin);
    if (options.quoteJsonNumbers === false) exchange.quoteJsonNumbers = false;
  }
  return exchange;
}

/** How a failed request is handled. */
export type FailureKind = 'rate-limit' | 'retryable' | 'refused';

/** The last HTTP answer seen inside one call (kept by the seam through AsyncLocalStorage). */
export interface ResponseNote {
  /** The label of the call the request belongs to (for request metrics). */
  label?: string;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Sorts a failure once: slow down, try again later, or the venue refused (no retry). */
export function classifyFailure(
  error: unknown,
  response: ResponseNote | undefined,
  venue: { rateLimitStatuses: readonly number[]; rateLimitBodyCodes: readonly string[] },
): FailureKind {
  if (error instanceof RateLimitExceeded || error instanceof DDoSProtection) return 'rate-limit';
  if (response?.status !== undefined && venue.rateLimitStatuses.includes(response.status)) return 'rate-limit';
  const bodyCode = bodyCodeOf(response?.body);
  if (bodyCode !== null && venue.rateLimitBodyCodes.includes(bodyCode)) return 'rate-limit';
  if (error instanceof NetworkError || error instanceof ImplausibleResponseError) return 'retryable';
  if (error instanceof ExchangeError) return 'refused';
  return 'refused';
}

/** `retCode` (Bybit), `code` (OKX, Binance) of a JSON error body, as a string. */
function bodyCodeOf(body: string | undefined): string | null {
  if (body === undefined || body.length === 0 || body.length > 4096) return null;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed === null || typeof parsed !== 'object') return null;
    const record = parsed as Record<string, unknown>;
    const code = record['retCode'] ?? record['ret_code'] ?? record['code'];
    return typeof code === 'string' || typeof code === 'number' ? String(code) : null;
  } catch {
    return null;
  }
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export interface RetryPolicy {
  /** Retries after the first attempt, for 5xx, timeouts, network errors, implausible answers and rate limits. */
  maxRetries: number;
  /** First backoff delay; doubles per retry, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Wait for a Retry-After up to this long inside a call; longer ones fail the call (the venue stays paused). */
  maxRetryAfterWaitMs: number;
  /** Pause after a rate limit without Retry-After (doubles per retry). */
  defaultRateLimitPauseMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterWaitMs: 15_000,
  defaultRateLimitPauseMs: 2_000,
};

/** The venue asked us to pause (Retry-After) for longer than a call may wait. */
export class VenuePausedError extends Error {
  constructor(
    readonly venue: ExchangeId,
    readonly remainingMs: number,
  ) {
    super(`${venue} asked to pause requests (Retry-After); ${Math.ceil(remainingMs / 1000)} s left`);
    this.name = 'VenuePausedError';
  }
}

export interface SeamTimers {
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Monotonic milliseconds for Retry-After windows (wall time, whatever the service clock says). */
  monotonic: () => number;
}

export const REAL_TIMERS: SeamTimers = {
  sleep: (ms) => sleep(ms),
  random: Math.random,
  monotonic: () => performance.now(),
};

/**
 * The one seam of a venue's REST requests. Installs two hooks on the ccxt instance: `fetch` (every HTTP request,
 * after ccxt's throttler) to count requests, and `onRestResponse` (every answer, before ccxt raises its error) to
 * note the status, headers and error body of the call in progress, so that Retry-After and body codes can be read
 * for exactly the request that failed even when calls run concurrently.
 */
export class RequestSeam {
  /** REST requests sent since start (every attempt counts). */
  requests = 0;
  private pausedUntil = 0;
  private readonly notes = new AsyncLocalStorage<ResponseNote>();

  constructor(
    readonly exchange: Exchange,
    private readonly adapter: VenueAdapter,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly timers: SeamTimers = REAL_TIMERS,
    private readonly onRetry?: (label: string, kind: FailureKind, error: unknown, waitMs: number) => void,
    /** Sees every request (endpoint = the call's label, wall latency, success); for metrics. */
    private readonly onRequest?: (sample: { endpoint: string; durationMs: number; ok: boolean }) => void,
  ) {
    const originalFetch = exchange.fetch.bind(exchange);
    exchange.fetch = (url: unknown, method?: string, headers?: unknown, body?: unknown): Promise<unknown> => {
      this.requests += 1;
      const observe = this.onRequest;
      if (observe === undefined) return originalFetch(url, method, headers, body);
      const endpoint = this.notes.getStore()?.label ?? 'other';
      const started = performance.now();
      const report = (ok: boolean): void => {
        try {
          observe({ endpoint, durationMs: performance.now() - started, ok });
        } catch {
          // an observer never breaks a request
        }
      };
      return originalFetch(url, method, headers, body).then(
        (result: unknown) => {
          report(true);
          return result;
        },
        (error: unknown) => {
          report(false);
          throw error;
        },
      );
    };
    const originalOnRestResponse = exchange.onRestResponse.bind(exchange);
    exchange.onRestResponse = (
      status: unknown,
      statusText: unknown,
      url: unknown,
      method: unknown,
      responseHeaders: unknown,
      responseBody: unknown,
      requestHeaders: unknown,
      requestBody: unknown,
    ): unknown => {
      const note = this.notes.getStore();
      // Keep the first failed answer of the call: a later success of a sibling request must not hide it.
      if (note !== undefined && typeof status === 'number' && !(note.status !== undefined && note.status >= 400)) {
        note.status = status;
        note.headers = (responseHeaders ?? {}) as Record<string, string>;
        // Error bodies, and short 200s (Bybit says "rate limited" with retCode 10006 in a 200), for body codes.
        note.body =
          typeof responseBody === 'string' && (status >= 400 || responseBody.length < 4096)
            ? responseBody.slice(0, 4096)
            : undefined;
      }
      return originalOnRestResponse(
        status,
        statusText,
        url,
        method,
        responseHeaders,
        responseBody,
        requestHeaders,
        requestBody,
      );
    };
  }

  /** Milliseconds the venue still asks us to wait (Retry-After), 0 when none. */
  pauseRemainingMs(): number {
    return Math.max(0, this.pausedUntil - this.timers.monotonic());
  }

  /** Runs `fn` (one or more ccxt calls) with retries by kind of failure. Throws the last failure. */
  async call<T>(label: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const paused = this.pauseRemainingMs();
      if (paused > 0) {
        if (paused > this.policy.maxRetryAfterWaitMs) throw new VenuePausedError(this.adapter.id, paused);
        await this.timers.sleep(paused);
      }
      const note: ResponseNote = { label };
      try {
        return await this.notes.run(note, fn);
      } catch (error) {
        const kind = classifyFailure(error, note, this.adapter);
        if (kind === 'refused' || attempt >= this.policy.maxRetries) {
          if (kind === 'rate-limit') this.pauseFor(this.rateLimitWaitMs(note, attempt));
          throw error;
        }
        let waitMs: number;
        if (kind === 'rate-limit') {
          waitMs = this.rateLimitWaitMs(note, attempt);
          this.pauseFor(waitMs);
          if (waitMs > this.policy.maxRetryAfterWaitMs) throw error;
        } else {
          waitMs = backoffDelay(attempt, this.policy.baseDelayMs, this.policy.maxDelayMs, this.timers.random);
          await this.timers.sleep(waitMs);
        }
        this.onRetry?.(label, kind, error, waitMs);
      }
    }
  }

  private rateLimitWaitMs(note: ResponseNote, attempt: number): number {
    const retryAfter = parseRetryAfter(headerValue(note.headers, 'Retry-After'));
    if (retryAfter !== null) return retryAfter;
    const venueWait = this.adapter.rateLimitWaitMs?.(note.headers ?? {}, note.body) ?? null;
    return venueWait ?? this.policy.defaultRateLimitPauseMs * 2 ** attempt;
  }

  private pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.timers.monotonic() + ms);
  }
}
