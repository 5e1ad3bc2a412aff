// The ccxt side of a venue: building the ccxt.pro instance (lean market loading, timeout, origin override) and the
// one seam every REST request goes through. The seam counts requests, sorts failures once (slow down / try again /
// the venue refused), honours Retry-After for the whole venue, and retries 5xx and timeouts a bounded number of
// times with backoff. ccxt's own throttler (enableRateLimit) stays on underneath.
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
  /** ccxt's REST transport in place of HTTP; mock-only as `rateLimit`: honoured only with an origin override. */
  transport?: RestTransport | undefined;
}

/**
 * A REST transport ccxt calls in place of its HTTP client (its fetchImplementation), answering with the surface of
 * a fetch response ccxt reads: status, statusText, headers, text().
 */
export type RestTransport = (
  url: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal },
) => Promise<unknown>;

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
    if (options.transport !== undefined) exchange.fetchImplementation = options.transport;
  }
  return exchange;
}

/** How a failed request is handled. */
export type FailureKind = 'rate-limit' | 'retryable' | 'refused';

/** The HTTP answer a failed call was raised for (pinned by the seam to ccxt's error). */
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

/** What classifying a failure reads of an answer: error bodies, and short 200s (Bybit says "rate limited" with
 * retCode 10006 in a 200) for body codes. */
function noteOf(status: number, headers: unknown, body: unknown): ResponseNote {
  return {
    status,
    headers: (headers ?? {}) as Record<string, string>,
    body: typeof body === 'string' && (status >= 400 || body.length < 4096) ? body.slice(0, 4096) : undefined,
  };
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

/** Where the seam pins the answer a ccxt error was raised for (see RequestSeam). */
const ANSWER = Symbol('spiralwatch.answer');

/** The answer the error was raised for, when ccxt raised it on an HTTP answer. */
export function answerOf(error: unknown): ResponseNote | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  return (error as { [ANSWER]?: ResponseNote })[ANSWER];
}

function pinAnswer(error: unknown, answer: ResponseNote | null): unknown {
  if (answer !== null && error !== null && typeof error === 'object' && !(ANSWER in error)) {
    Object.defineProperty(error, ANSWER, { value: answer, enumerable: false });
  }
  return error;
}

/**
 * A request's endpoint for metrics: the URL's path (no origin, no query), and for a POST whose JSON body names a
 * `type` (Hyperliquid's /info) that type too, e.g. `/fapi/v1/premiumIndex`, `/info:metaAndAssetCtxs`.
 */
export function endpointOf(url: unknown, body: unknown): string {
  if (typeof url !== 'string') return 'other';
  const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0] ?? '';
  if (typeof body === 'string' && body.startsWith('{')) {
    const type = /"type"\s*:\s*"([A-Za-z0-9]+)"/.exec(body)?.[1];
    if (type !== undefined) return `${path}:${type}`;
  }
  return path === '' ? '/' : path;
}

/**
 * The one seam of a venue's REST requests. Installs three hooks on the ccxt instance: `fetch` (every HTTP request,
 * after ccxt's throttler) to count and time requests, and `handleErrors` and `handleHttpStatusCode` (where ccxt
 * raises its error for an answer) to pin the answer's status, headers and error body to the error raised, so that
 * Retry-After and body codes are read for exactly the request that failed even when calls run concurrently.
 * ccxt calls both right after reading the answer's body, in one synchronous step, so the answer they judge is the
 * one they pin. No AsyncLocalStorage: on Node 20 it turns on promise hooks for every promise of the process.
 */
export class RequestSeam {
  /** REST requests sent since start (every attempt counts). */
  requests = 0;
  private pausedUntil = 0;

  constructor(
    readonly exchange: Exchange,
    private readonly adapter: VenueAdapter,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly timers: SeamTimers = REAL_TIMERS,
    private readonly onRetry?: (label: string, kind: FailureKind, error: unknown, waitMs: number) => void,
    /** Sees every request (endpoint = endpointOf the request, wall latency, success); for metrics. */
    private readonly onRequest?: (sample: { endpoint: string; durationMs: number; ok: boolean }) => void,
  ) {
    const originalFetch = exchange.fetch.bind(exchange);
    exchange.fetch = (url: unknown, method?: string, headers?: unknown, body?: unknown): Promise<unknown> => {
      this.requests += 1;
      const observe = this.onRequest;
      if (observe === undefined) return originalFetch(url, method, headers, body);
      const endpoint = endpointOf(url, body);
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
    // The answer being judged: set by handleErrors, read by handleHttpStatusCode, which ccxt calls right after it
    // for the same answer (and only then) when handleErrors raised nothing.
    let judged: ResponseNote | null = null;
    const originalHandleErrors = exchange.handleErrors.bind(exchange);
    exchange.handleErrors = (...args: Parameters<Exchange['handleErrors']>) => {
      const [status, , , , responseHeaders, responseBody] = args;
      judged = typeof status === 'number' ? noteOf(status, responseHeaders, responseBody) : null;
      try {
        return originalHandleErrors(...args);
      } catch (error) {
        throw pinAnswer(error, judged);
      }
    };
    const originalStatusCode = exchange.handleHttpStatusCode.bind(exchange);
    exchange.handleHttpStatusCode = (...args: Parameters<Exchange['handleHttpStatusCode']>) => {
      try {
        return originalStatusCode(...args);
      } catch (error) {
        throw pinAnswer(error, judged?.status === args[0] ? judged : null);
      } finally {
        judged = null;
      }
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
      try {
        return await fn();
      } catch (error) {
        const note: ResponseNote = { label, ...answerOf(error) };
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
