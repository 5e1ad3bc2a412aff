// One venue: its ccxt instances, its markets, what it has learned (open interest, volume, depth, long/short,
// leverage tiers), its three jobs and its health. Nothing here throws out of a job: a failure is counted, logged,
// and shown in the venue's status, and the next run starts afresh.
import type { Exchange } from 'ccxt';
import { leverageTierSchema } from '../domain/market.js';
import type { DepthBand, ExchangeId, LeverageTier, Snapshot, VenueHealthState } from '../domain/market.js';
import type { MarketDataSink } from '../domain/ports.js';
import type { Logger } from '../log/logger.js';
import { cycleTimeoutMsOf } from '../config/env.js';
import type { Config } from '../config/env.js';
import { createExchange, RequestSeam, VenuePausedError } from './client.js';
import type { RestTransport, RetryPolicy, SeamTimers } from './client.js';
import { LiquidationStreams } from './liquidations.js';
import type { StreamTuning } from './liquidations.js';
import { buildSnapshot, depthBands, mergeQuotes, openInterestUsd, rejectionOf } from './normalise.js';
import { planOpenInterest } from './openInterestPlan.js';
import { longShortPointSchema, orderBookSchema } from './schemas.js';
import { SerialJob } from './scheduler.js';
import { marketInfoOf, symbolFilter } from './symbols.js';
import type { JobKind, MarketEvents, Quote, Rejection, VenueCycleReport, VenueMarket, VenueStatus } from './types.js';
import { ImplausibleResponseError, InvalidItemError } from './venues/adapter.js';
import type { VenueAdapter, VenueContext } from './venues/adapter.js';

/** The settings the market module reads. */
export type MarketConfig = Pick<
  Config,
  | 'EXCHANGES'
  | 'SYMBOLS'
  | 'MIN_OPEN_INTEREST_USD'
  | 'DEPTH_TOP_N'
  | 'FAST_POLL_CRON'
  | 'DEPTH_POLL_CRON'
  | 'SLOW_POLL_CRON'
  | 'OPEN_INTEREST_REQUESTS_PER_CYCLE'
  | 'REQUEST_TIMEOUT_MS'
  | 'CYCLE_TIMEOUT_MS'
  | 'EXCHANGE_ORIGIN_OVERRIDES'
>;

export interface VenueTuning {
  retry: RetryPolicy;
  /** Failed fast cycles in a row before the venue shows as degraded. */
  degradedAfterFailures: number;
  /** Per-symbol open interest: every watched market is read at least once in this many cycles. */
  openInterestSpreadCycles: number;
  /** Per-symbol open interest: this many of the largest markets are read every cycle (default DEPTH_TOP_N). */
  openInterestTopCount: number | undefined;
  /** Long/short ratios and leverage tiers are read for this many of the largest markets (default DEPTH_TOP_N). */
  slowTopCount: number | undefined;
  /** Binance: prices and funding come from the mark-price stream while its last push is this recent. */
  markStreamFreshMs: number;
  /** Values from slower jobs go into snapshots while at most this old. */
  openInterestMaxAgeMs: number;
  volumeMaxAgeMs: number;
  depthMaxAgeMs: number;
  longShortMaxAgeMs: number;
  /** Start the liquidation (and mark-price) streams in start(). */
  streams: boolean;
  /** Use Binance's all-market mark-price stream instead of premiumIndex while it is fresh. */
  markPriceStream: boolean;
  stream: StreamTuning;
  /** Watchdog silence per venue, overriding stream.silenceMs. */
  silenceMsByVenue: Partial<Record<ExchangeId, number>>;
  /**
   * ccxt's own throttler (enableRateLimit). MOCK ONLY: replays against the local mock exchange turn it off so a
   * pass does not wait real seconds; it is ignored (stays on) for any venue without an origin override.
   */
  ccxtRateLimit: boolean;
  /**
   * ccxt's scan of every parsed answer for integers beyond 2^53 (quoteJsonNumbers), which it then re-reads as
   * strings. MOCK ONLY, like ccxtRateLimit: the mock exchange never sends such integers, so a replay can skip the
   * scan and parse exactly what it would parse with it; ignored (the scan stays on) for a real venue.
   */
  ccxtQuoteJsonNumbers: boolean;
  /**
   * ccxt's REST transport in place of HTTP. MOCK ONLY, like ccxtRateLimit: a replay carries each request to the
   * threaded mock exchange as a message; ignored (ccxt's own HTTP client) for a venue without an origin override.
   */
  ccxtTransport: RestTransport | undefined;
}

export const DEFAULT_VENUE_TUNING: Omit<VenueTuning, 'retry'> = {
  degradedAfterFailures: 3,
  openInterestSpreadCycles: 5,
  openInterestTopCount: undefined,
  slowTopCount: undefined,
  markStreamFreshMs: 5_000,
  openInterestMaxAgeMs: 10 * 60_000,
  volumeMaxAgeMs: 10 * 60_000,
  depthMaxAgeMs: 5 * 60_000,
  longShortMaxAgeMs: 45 * 60_000,
  streams: true,
  markPriceStream: true,
  stream: { silenceMs: 300_000, reconnectBaseMs: 500, reconnectMaxMs: 30_000, recentKeys: 20_000 },
  // Binance's mark-price stream pushes every second, so a minute of silence means a dead socket.
  silenceMsByVenue: { binanceusdm: 60_000 },
  ccxtRateLimit: true,
  ccxtQuoteJsonNumbers: true,
  ccxtTransport: undefined,
};

export interface VenueRunnerOptions {
  adapter: VenueAdapter;
  config: MarketConfig;
  sink: MarketDataSink;
  now: () => number;
  log: Logger;
  tuning: VenueTuning;
  timers: SeamTimers;
  /** Observers for metrics (requests, job runs); none by default. */
  events?: MarketEvents;
}

interface Aged<T> {
  value: T;
  at: number;
}

/** The run was given up (it overran CYCLE_TIMEOUT_MS, or the runner stopped): it may change nothing any more. */
export class CycleAbandonedError extends Error {
  constructor(readonly job: string) {
    super(`${job} was abandoned`);
    this.name = 'CycleAbandonedError';
  }
}

/**
 * One job run's claim on the runner. When the run is abandoned its requests stop waiting (they reject at once) and
 * every write and state change checks `check()` first, so an answer arriving after the run was reported changes
 * nothing: it could otherwise overwrite a newer snapshot, and a replay would depend on when answers arrive.
 */
class CycleRun {
  private readonly controller = new AbortController();

  constructor(readonly job: string) {}

  get abandoned(): boolean {
    return this.controller.signal.aborted;
  }

  abandon(): void {
    this.controller.abort();
  }

  /** Throws CycleAbandonedError once the run is abandoned: called before every write and state change. */
  check(): void {
    if (this.abandoned) throw new CycleAbandonedError(this.job);
  }

  /** Settles as `work` does, or rejects with CycleAbandonedError as soon as the run is abandoned. */
  race<T>(work: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) {
      work.catch(() => undefined);
      return Promise.reject(new CycleAbandonedError(this.job));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new CycleAbandonedError(this.job));
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }
}

/**
 * The depth and slow jobs may run this many cycle bounds: they send one request per large market through ccxt's
 * throttler (OKX's slow job: 20 long/short ratios at 440 ms and 20 tier tables at 220 ms, 13 s by itself).
 */
export const SLOWER_JOB_TIMEOUT_FACTOR = 4;

/** Reports of runs that overran their bound (a poll stops that venue's remaining jobs on one). */
const timedOutReports = new WeakSet<VenueCycleReport>();

export function isTimedOut(report: VenueCycleReport): boolean {
  return timedOutReports.has(report);
}

/**
 * Destroys the connection pool ccxt 4.5 keeps for REST (`fetchDispatcher`, an undici Agent): a request still
 * waiting on a venue that never answers fails at once instead of holding the process until its timeout. Later
 * requests of the instance, if any, go through undici's default pool.
 */
async function destroyConnections(exchange: Exchange | undefined): Promise<void> {
  const holder = exchange as unknown as { fetchDispatcher?: { destroy?: () => Promise<void> } } | undefined;
  const pool = holder?.fetchDispatcher;
  if (holder === undefined || typeof pool?.destroy !== 'function') return;
  holder.fetchDispatcher = undefined;
  await pool.destroy();
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 300);
  return String(error).slice(0, 300);
}

export class VenueRunner {
  readonly id: ExchangeId;
  readonly jobs: Record<JobKind, SerialJob<VenueCycleReport>>;
  private readonly adapter: VenueAdapter;
  private readonly log: Logger;
  private readonly origin: string | undefined;
  private rest: Exchange | undefined;
  private seam: RequestSeam | undefined;
  private streamExchange: Exchange | undefined;
  private streams: LiquidationStreams | undefined;

  private candidates = new Map<string, VenueMarket>();
  private byId = new Map<string, VenueMarket>();
  private watched = new Set<string>();
  private marketsLoadedAt: number | null = null;
  private fundingOverrides = new Map<string, number>();
  /** Last known mark price per market, to rank and filter by open interest in USD. */
  private readonly lastMark = new Map<string, number>();
  private readonly openInterest = new Map<string, Aged<number>>();
  private readonly openInterestReadCycle = new Map<string, number>();
  private readonly volumes = new Map<string, Aged<{ volume24hUsd: number | null; lastPrice: number | null }>>();
  private readonly depth = new Map<string, Aged<DepthBand[]>>();
  private readonly longShort = new Map<string, Aged<number>>();
  private readonly tiers = new Map<string, LeverageTier[]>();
  /** Binance's mark-price stream: the latest push per market, with when it arrived (service clock). */
  private readonly streamQuotes = new Map<string, Aged<Partial<Quote>>>();
  private cycle = 0;
  private openInterestRefreshCycles: number | null = null;

  private disabledReason: string | null = null;
  private missing: string[] = [];
  private hasPolled = false;
  private consecutiveFailures = 0;
  private lastSuccessAt: number | null = null;
  private lastError: string | null = null;
  private readonly loggedRejections = new Set<string>();
  private readonly filter: (market: VenueMarket) => boolean;
  /** Runs still going (within their bound); abandoned when the runner stops. */
  private readonly liveRuns = new Set<CycleRun>();
  private readonly cycleTimeoutMs: number;

  constructor(private readonly options: VenueRunnerOptions) {
    this.adapter = options.adapter;
    this.id = options.adapter.id;
    this.log = options.log.child({ exchange: this.id });
    this.origin = options.config.EXCHANGE_ORIGIN_OVERRIDES[this.id];
    this.filter = symbolFilter(options.config.SYMBOLS);
    this.cycleTimeoutMs = cycleTimeoutMsOf(options.config);
    const onSkip = (name: string): void => this.log.warn('job still running; this run is skipped', { job: name });
    this.jobs = {
      fast: new SerialJob(`${this.id}:fast`, () => this.observed('fast', (run) => this.fastCycle(run)), onSkip),
      depth: new SerialJob(`${this.id}:depth`, () => this.observed('depth', (run) => this.depthJob(run)), onSkip),
      slow: new SerialJob(`${this.id}:slow`, () => this.observed('slow', (run) => this.slowJob(run)), onSkip),
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Start and stop

  /** Builds the ccxt instance, reads `has`, loads markets. Never throws: a failure shows in the status. */
  async init(): Promise<void> {
    const exchange = this.exchange();
    const has = exchange.has;
    const supported = (key: string): boolean => has[key] === true || has[key] === 'emulated';
    const missingRequired = this.adapter.required.filter((key) => !supported(key));
    if (missingRequired.length > 0) {
      this.disabledReason = `ccxt ${this.id} lacks ${missingRequired.join(', ')}`;
      this.missing = missingRequired;
      this.log.error('venue disabled: a required capability is missing', { missing: missingRequired });
      return;
    }
    const optional: string[] = ['fetchOrderBook'];
    if (this.adapter.longShortPeriod !== undefined) optional.push('fetchLongShortRatioHistory');
    if (this.adapter.fetchLeverageTiers !== undefined) optional.push('fetchMarketLeverageTiers');
    if (this.adapter.fetchVolumes !== undefined) optional.push('fetchTickers');
    if (this.adapter.fetchFundingIntervals !== undefined) optional.push('fetchFundingIntervals');
    if (this.adapter.liquidations !== undefined) optional.push(this.adapter.liquidations.capability);
    else optional.push('watchLiquidations');
    if (this.adapter.markPrices !== undefined) optional.push(this.adapter.markPrices.capability);
    this.missing = optional.filter((key) => !supported(key));
    if (this.missing.length > 0) this.log.info('capabilities this venue does not offer', { missing: this.missing });
    // Bounded like a job, so that a venue that never answers does not hold start() for every retry.
    const run = new CycleRun(`${this.id}:init`);
    const outcome = await this.bounded(run, this.cycleTimeoutMs, async () => {
      await this.loadMarkets(run);
      return null;
    });
    if (outcome.ok) return;
    if (outcome.timedOut) {
      this.lastError = `loading markets timed out after ${seconds(this.cycleTimeoutMs)} s`;
      this.log.warn('could not load markets in time; retrying on the next cycle', { timeoutMs: this.cycleTimeoutMs });
    } else if (!(outcome.error instanceof CycleAbandonedError)) {
      this.lastError = describeError(outcome.error);
      this.log.warn('could not load markets; retrying on the next cycle', { error: outcome.error });
    }
  }

  /** Starts the liquidation stream (and Binance's mark-price stream) once markets are known. */
  startStreams(): void {
    if (!this.options.tuning.streams || this.streams !== undefined || this.disabledReason !== null) return;
    if (this.rest === undefined || this.marketsLoadedAt === null) return;
    const feed = this.adapter.liquidations;
    const markFeed =
      this.options.tuning.markPriceStream &&
      this.adapter.markPrices !== undefined &&
      this.has(this.adapter.markPrices.capability)
        ? this.adapter.markPrices
        : undefined;
    if (feed === undefined || !this.has(feed.capability)) return;
    const streamExchange = createExchange(this.adapter, {
      timeoutMs: this.options.config.REQUEST_TIMEOUT_MS,
      origin: this.origin,
      rateLimit: this.options.tuning.ccxtRateLimit,
      quoteJsonNumbers: this.options.tuning.ccxtQuoteJsonNumbers,
    });
    streamExchange.setMarketsFromExchange(this.rest);
    streamExchange.options['liquidationsLimit'] = 5_000;
    this.streamExchange = streamExchange;
    const tuning = this.options.tuning;
    this.streams = new LiquidationStreams({
      venue: this.id,
      exchange: streamExchange,
      feed,
      markPrices: markFeed,
      plainSockets: this.origin !== undefined && this.origin.startsWith('http://'),
      watchedSymbols: () => [...this.watched],
      marketById: (id) => this.byId.get(id),
      sink: this.options.sink,
      now: this.options.now,
      monotonic: this.options.timers.monotonic,
      random: this.options.timers.random,
      log: this.log.child({ stream: 'liquidations' }),
      tuning: { ...tuning.stream, silenceMs: tuning.silenceMsByVenue[this.id] ?? tuning.stream.silenceMs },
      onRejections: (rejections) => this.reportRejections(rejections),
      onMarkPrices: (quotes) => {
        const at = this.options.now();
        for (const [symbol, quote] of quotes) this.streamQuotes.set(symbol, { value: quote, at });
      },
    });
    this.streams.start();
  }

  async stop(): Promise<void> {
    await this.streams?.stop();
    await Promise.race([
      Promise.all(Object.values(this.jobs).map((job) => job.idle())),
      new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
    ]);
    // Whatever still runs answers into a closed store: it must change nothing.
    for (const run of this.liveRuns) run.abandon();
    await Promise.allSettled([this.rest?.close(), this.streamExchange?.close()]);
    // ccxt's close() ends only sockets; a REST request to a venue that never answers would keep the process alive
    // until its own timeout. Destroying the instance's connection pool fails such requests at once.
    await Promise.allSettled([destroyConnections(this.rest), destroyConnections(this.streamExchange)]);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reading

  status(): VenueStatus {
    const feed = this.adapter.liquidations;
    const streamed = feed !== undefined && this.has(feed.capability);
    let state: VenueHealthState;
    if (this.disabledReason !== null) state = 'disabled';
    else if (this.consecutiveFailures >= this.options.tuning.degradedAfterFailures) state = 'degraded';
    // A venue that never answered is not healthy, even before its failures count as degraded.
    else if (this.lastSuccessAt === null) state = 'not polled';
    else state = 'ok';
    const pausedMs = this.seam?.pauseRemainingMs() ?? 0;
    return {
      exchange: this.id,
      state,
      marketsWatched: this.watched.size,
      lastSuccessAt: this.lastSuccessAt,
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.disabledReason ?? this.lastError,
      liquidationStream: !streamed ? 'not streamed' : (this.streams?.state ?? 'stopped'),
      liquidationCoverage: streamed ? feed.coverage : 'not streamed',
      lastLiquidationAt: this.streams?.lastLiquidationAt ?? null,
      missingCapabilities: [...this.missing],
      skippedRuns: { fast: this.jobs.fast.skipped, depth: this.jobs.depth.skipped, slow: this.jobs.slow.skipped },
      requests: this.seam?.requests ?? 0,
      rateLimitedUntil: pausedMs > 0 ? this.options.now() + pausedMs : null,
      openInterestRefreshCycles: this.openInterestRefreshCycles,
    };
  }

  /** Counts a failed cycle that no fast cycle recorded (a poll whose slower job overran its bound). */
  failCycle(reason: string): void {
    this.recordCycle(new Error(reason));
  }

  /** Whether a fast cycle has run (successfully or not). */
  get polled(): boolean {
    return this.hasPolled;
  }

  leverageTiers(symbol: string): readonly LeverageTier[] {
    return this.tiers.get(symbol) ?? [];
  }

  /** Liquidations stored and dropped as duplicates by this venue's stream. */
  streamCounters(): { saved: number; duplicates: number; watchdogResets: number } {
    return {
      saved: this.streams?.saved ?? 0,
      duplicates: this.streams?.duplicates ?? 0,
      watchdogResets: this.streams?.watchdogResets ?? 0,
    };
  }

  watchedSymbols(): string[] {
    return [...this.watched];
  }

  // ---------------------------------------------------------------------------------------------------------
  // Jobs

  /**
   * Runs a job through `guard` within its bound (CYCLE_TIMEOUT_MS for the fast cycle, SLOWER_JOB_TIMEOUT_FACTOR times
   * that for the others) and hands its report to the job observer, if any. A run that overruns is abandoned and
   * reported as failed (a fast one counts as a failed cycle), and the job is free for its next tick.
   */
  private async observed(kind: JobKind, body: (run: CycleRun) => Promise<VenueCycleReport>): Promise<VenueCycleReport> {
    const run = new CycleRun(`${this.id}:${kind}`);
    const started = this.options.timers.monotonic();
    const requestsBefore = this.seam?.requests ?? 0;
    const timeoutMs = kind === 'fast' ? this.cycleTimeoutMs : this.cycleTimeoutMs * SLOWER_JOB_TIMEOUT_FACTOR;
    const outcome = await this.bounded(run, timeoutMs, () => this.guard(kind, run, body));
    let report: VenueCycleReport;
    if (outcome.ok) {
      report = outcome.value;
    } else if (outcome.timedOut) {
      const message = `timed out after ${seconds(timeoutMs)} s`;
      report = this.report(started, requestsBefore, 0, 1, kind === 'fast' ? message : `${kind} job ${message}`);
      timedOutReports.add(report);
      if (kind === 'fast') this.recordCycle(new Error(message));
      this.log.warn('job timed out; its late answers are dropped', { job: kind, timeoutMs });
    } else {
      throw outcome.error; // guard never rejects
    }
    try {
      this.options.events?.job?.(kind, report);
    } catch {
      // an observer never breaks a job
    }
    return report;
  }

  /** Runs `body` for `run`; settles when it does, or as soon as `timeoutMs` passes (then `run` is abandoned). */
  private async bounded<T>(
    run: CycleRun,
    timeoutMs: number,
    body: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; timedOut: boolean; error: unknown }> {
    this.liveRuns.add(run);
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<'overrun'>((resolve) => {
      timer = setTimeout(() => resolve('overrun'), timeoutMs);
    });
    const work = body().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, timedOut: false, error }),
    );
    try {
      const first = await Promise.race([work, overrun]);
      if (first !== 'overrun') return first;
      run.abandon();
      return { ok: false, timedOut: true, error: null };
    } finally {
      clearTimeout(timer);
      this.liveRuns.delete(run);
    }
  }

  /** Runs a job body; whatever it throws becomes a failed report, never an exception. */
  private async guard(
    kind: JobKind,
    run: CycleRun,
    body: (run: CycleRun) => Promise<VenueCycleReport>,
  ): Promise<VenueCycleReport> {
    const started = this.options.timers.monotonic();
    const requestsBefore = this.seam?.requests ?? 0;
    try {
      return await body(run);
    } catch (error) {
      // Abandoned: its report was made when the bound passed; nothing more to record.
      if (error instanceof CycleAbandonedError || run.abandoned) {
        return this.report(started, requestsBefore, 0, 0, 'abandoned');
      }
      this.log.error('job failed unexpectedly', { job: kind, error });
      if (kind === 'fast') this.recordCycle(error);
      return {
        exchange: this.id,
        marketsUpdated: 0,
        requests: (this.seam?.requests ?? 0) - requestsBefore,
        errors: 1,
        durationMs: Math.round(this.options.timers.monotonic() - started),
        ok: false,
        error: describeError(error),
      };
    }
  }

  /** Prices, funding and open interest of every market; writes one snapshot per watched market. */
  async fastCycle(run: CycleRun): Promise<VenueCycleReport> {
    const started = this.options.timers.monotonic();
    const requestsBefore = this.seam?.requests ?? 0;
    let errors = 0;
    let failure: unknown = null;
    let written = 0;
    if (this.disabledReason !== null) return this.report(started, requestsBefore, 0, 0, this.disabledReason);
    try {
      if (this.marketsLoadedAt === null) {
        await this.loadMarkets(run);
        this.startStreams();
      }
      if (this.candidates.size > 0) {
        this.cycle += 1;
        const at = this.options.now();
        const bulk = await this.readQuotes(run);
        run.check();
        errors += bulk.rejections.length + bulk.failures.length;
        this.reportRejections(bulk.rejections);
        for (const failed of bulk.failures) {
          this.reportFailureRejections(failed.error);
          this.log.warn('bulk request failed', { request: failed.label, error: failed.error });
          failure ??= failed.error;
        }
        const quotes = new Map<string, Quote>();
        for (const [symbol, part] of bulk.quotes) {
          const quote = mergeQuotes(part);
          quotes.set(symbol, quote);
          if (quote.markPrice !== null) this.lastMark.set(symbol, quote.markPrice);
          if (part.openInterestContracts !== null && part.openInterestContracts !== undefined) {
            this.openInterest.set(symbol, { value: part.openInterestContracts, at });
            this.openInterestReadCycle.set(symbol, this.cycle);
          }
        }
        if (this.adapter.fetchOpenInterest !== undefined) {
          const outcome = await this.readOpenInterest(at, run);
          run.check();
          errors += outcome.errors;
          if (outcome.allFailed) failure ??= outcome.firstError;
        }
        this.updateWatched();
        const snapshots: Snapshot[] = [];
        const rejections: Rejection[] = [];
        for (const symbol of this.watched) {
          const market = this.candidates.get(symbol);
          const quote = quotes.get(symbol);
          if (market === undefined || quote === undefined) continue;
          const built = buildSnapshot(this.snapshotParts(market, quote, at));
          if (built.ok) snapshots.push(built.snapshot);
          else rejections.push(built.rejection);
        }
        errors += rejections.length;
        this.reportRejections(rejections);
        if (snapshots.length > 0) {
          run.check();
          try {
            this.options.sink.saveSnapshots(snapshots);
            written = snapshots.length;
          } catch (error) {
            errors += 1;
            this.log.error('could not store snapshots', { count: snapshots.length, error });
          }
        }
      }
    } catch (error) {
      if (error instanceof CycleAbandonedError) throw error;
      this.reportFailureRejections(error);
      failure = error;
      errors += 1;
    }
    run.check();
    this.recordCycle(failure);
    if (failure !== null) this.log.warn('fast cycle failed', { error: failure });
    return this.report(started, requestsBefore, written, errors, failure === null ? null : describeError(failure));
  }

  /** Order books of the largest markets, and bulk 24 h volume where the fast answers lack it. */
  async depthJob(run: CycleRun): Promise<VenueCycleReport> {
    const started = this.options.timers.monotonic();
    const requestsBefore = this.seam?.requests ?? 0;
    if (this.disabledReason !== null || this.marketsLoadedAt === null) {
      return this.report(started, requestsBefore, 0, 0, this.disabledReason ?? 'markets not loaded');
    }
    let errors = 0;
    let measured = 0;
    const ctx = this.context(run);
    const tasks: Promise<void>[] = [];
    if (this.has('fetchOrderBook')) {
      for (const market of this.largest(this.options.config.DEPTH_TOP_N)) {
        tasks.push(
          (async () => {
            try {
              const book: unknown = await ctx.call('orderBook', () =>
                this.exchange().fetchOrderBook(market.symbol, this.adapter.orderBookLimit),
              );
              run.check();
              const parsed = orderBookSchema.safeParse(book);
              if (!parsed.success) {
                errors += 1;
                this.reportRejections([rejectionOf('orderBook', market.symbol, parsed.error)]);
                return;
              }
              const bands = depthBands(parsed.data, market.contractSize);
              if (bands === null) return;
              run.check();
              this.depth.set(market.symbol, { value: bands, at: this.options.now() });
              measured += 1;
            } catch (error) {
              errors += 1;
              this.noteRequestFailure('orderBook', error);
            }
          })(),
        );
      }
    }
    if (this.adapter.fetchVolumes !== undefined && this.has('fetchTickers')) {
      const fetchVolumes = this.adapter.fetchVolumes;
      tasks.push(
        (async () => {
          try {
            const result = await fetchVolumes(ctx);
            run.check();
            errors += result.rejections.length;
            this.reportRejections(result.rejections);
            const at = this.options.now();
            for (const [symbol, value] of result.values) this.volumes.set(symbol, { value, at });
          } catch (error) {
            errors += 1;
            this.noteRequestFailure('volumes', error);
          }
        })(),
      );
    }
    await Promise.all(tasks);
    return this.report(started, requestsBefore, measured, errors, null);
  }

  /** Market list refresh, funding intervals, long/short ratios, leverage tiers, and Binance's below-min recheck. */
  async slowJob(run: CycleRun): Promise<VenueCycleReport> {
    const started = this.options.timers.monotonic();
    const requestsBefore = this.seam?.requests ?? 0;
    if (this.disabledReason !== null) return this.report(started, requestsBefore, 0, 0, this.disabledReason);
    let errors = 0;
    let updated = 0;
    try {
      const loadedAgo = this.marketsLoadedAt === null ? Infinity : this.options.now() - this.marketsLoadedAt;
      if (loadedAgo > 60_000) await this.loadMarkets(run);
      this.startStreams();
    } catch (error) {
      if (error instanceof CycleAbandonedError) throw error;
      errors += 1;
      this.noteRequestFailure('loadMarkets', error);
      if (this.marketsLoadedAt === null) {
        return this.report(started, requestsBefore, 0, errors, describeError(error));
      }
    }
    const ctx = this.context(run);
    const top = this.largest(this.options.tuning.slowTopCount ?? this.options.config.DEPTH_TOP_N);
    const tasks: Promise<void>[] = [];
    const period = this.adapter.longShortPeriod;
    if (period !== undefined && this.has('fetchLongShortRatioHistory')) {
      for (const market of top) {
        tasks.push(
          (async () => {
            try {
              const points: unknown = await ctx.call('longShortRatio', () =>
                this.exchange().fetchLongShortRatioHistory(market.symbol, period, undefined, 1),
              );
              run.check();
              const latest = this.latestLongShort(points, market);
              if (latest !== null) {
                this.longShort.set(market.symbol, { value: latest, at: this.options.now() });
                updated += 1;
              }
            } catch (error) {
              errors += 1;
              this.noteRequestFailure('longShortRatio', error);
            }
          })(),
        );
      }
    }
    const fetchTiers = this.adapter.fetchLeverageTiers;
    if (fetchTiers !== undefined && this.has('fetchMarketLeverageTiers')) {
      for (const market of top) {
        tasks.push(
          (async () => {
            try {
              const result = await fetchTiers(ctx, market);
              run.check();
              const valid = result.tiers.filter((tier) => leverageTierSchema.safeParse(tier).success);
              errors += result.rejections.length + (result.tiers.length - valid.length);
              this.reportRejections(result.rejections);
              if (valid.length > 0) this.tiers.set(market.symbol, valid);
            } catch (error) {
              errors += 1;
              this.noteRequestFailure('leverageTiers', error);
            }
          })(),
        );
      }
    }
    if (this.adapter.fetchOpenInterest !== undefined)
      tasks.push(this.recheckUnwatched(run).then((e) => void (errors += e)));
    await Promise.all(tasks);
    run.check();
    return this.report(started, requestsBefore, updated, errors, null);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Parts

  private exchange(): Exchange {
    if (this.rest === undefined) {
      this.rest = createExchange(this.adapter, {
        timeoutMs: this.options.config.REQUEST_TIMEOUT_MS,
        origin: this.origin,
        rateLimit: this.options.tuning.ccxtRateLimit,
        quoteJsonNumbers: this.options.tuning.ccxtQuoteJsonNumbers,
        transport: this.options.tuning.ccxtTransport,
      });
      this.seam = new RequestSeam(
        this.rest,
        this.adapter,
        this.options.tuning.retry,
        this.options.timers,
        (label, kind, error, waitMs) => this.log.debug('retrying request', { request: label, kind, waitMs, error }),
        this.options.events?.request
          ? (sample) => this.options.events?.request?.({ exchange: this.id, ...sample })
          : undefined,
      );
    }
    return this.rest;
  }

  private has(capability: string): boolean {
    const value = this.exchange().has[capability];
    return value === true || value === 'emulated';
  }

  /** What adapters use for `run`: once it is abandoned, its calls reject at once and send no further attempt. */
  private context(run: CycleRun): VenueContext {
    const exchange = this.exchange();
    return {
      exchange,
      call: (label, fn) => this.call(run, label, fn),
      marketById: (id) => this.byId.get(id),
      expectedMarkets: this.candidates.size,
      now: this.options.now,
    };
  }

  /** One request through the seam for `run`: an attempt checks the run first, and abandonment stops the wait. */
  private call<T>(run: CycleRun, label: string, fn: () => Promise<T>): Promise<T> {
    this.exchange();
    const seam = this.seam as RequestSeam;
    return run.race(
      seam.call(label, () => {
        // Not a network error, so the seam neither retries nor backs off.
        run.check();
        return fn();
      }),
    );
  }

  /** (Re)loads the market list. A non-JSON 200 leaves ccxt with no markets: that is a failure, the old list stays. */
  private async loadMarkets(run: CycleRun): Promise<void> {
    const exchange = this.exchange();
    const rejections: Rejection[] = [];
    const markets = await this.call(run, 'loadMarkets', async () => {
      // reload = true: after a failed load ccxt would otherwise hand back the same rejected promise.
      const loaded = Object.values(await exchange.loadMarkets(true));
      const ours: VenueMarket[] = [];
      for (const market of loaded) {
        const mapped = market === undefined ? null : this.adapter.toMarket(market, (r) => rejections.push(r));
        if (mapped !== null && this.filter(mapped)) ours.push(mapped);
      }
      const previous = this.candidates.size;
      if (loaded.length === 0 || (previous >= 4 && ours.length < previous * 0.5)) {
        throw new ImplausibleResponseError(this.id, 'loadMarkets', ours.length, Math.max(previous, 1));
      }
      return ours;
    });
    run.check();
    this.reportRejections(rejections);
    if (this.adapter.fetchFundingIntervals !== undefined && this.has('fetchFundingIntervals')) {
      const byIdForIntervals = new Map(markets.map((m) => [m.venueId, m]));
      try {
        const result = await this.adapter.fetchFundingIntervals({
          ...this.context(run),
          marketById: (id) => byIdForIntervals.get(id),
        });
        run.check();
        this.reportRejections(result.rejections);
        this.fundingOverrides = result.intervals;
      } catch (error) {
        if (error instanceof CycleAbandonedError) throw error;
        this.noteRequestFailure('fundingIntervals', error);
      }
    }
    this.candidates = new Map(
      markets.map((m) => [
        m.symbol,
        { ...m, fundingIntervalHours: this.fundingOverrides.get(m.symbol) ?? m.fundingIntervalHours },
      ]),
    );
    this.byId = new Map([...this.candidates.values()].map((m) => [m.venueId, m]));
    this.marketsLoadedAt = this.options.now();
    for (const symbol of [...this.watched]) if (!this.candidates.has(symbol)) this.watched.delete(symbol);
    if (this.streamExchange !== undefined && this.rest !== undefined)
      this.streamExchange.setMarketsFromExchange(this.rest);
    this.log.info('markets loaded', { markets: this.candidates.size });
  }

  /** The bulk answers, or Binance's mark-price stream while it is fresh (then no request at all). */
  private async readQuotes(run: CycleRun): ReturnType<VenueAdapter['fetchQuotes']> {
    if (this.streamQuotes.size > 0) {
      const now = this.options.now();
      const quotes = new Map<string, Partial<Quote>>();
      for (const symbol of this.candidates.keys()) {
        const entry = this.streamQuotes.get(symbol);
        if (entry !== undefined && now - entry.at <= this.options.tuning.markStreamFreshMs)
          quotes.set(symbol, entry.value);
      }
      // Fresh for every market: no request this cycle. Otherwise the one REST answer covers everything.
      if (quotes.size === this.candidates.size) return { quotes, rejections: [], failures: [] };
    }
    return this.adapter.fetchQuotes(this.context(run));
  }

  /** Binance: per-symbol open interest on the tiered plan. */
  private async readOpenInterest(
    at: number,
    run: CycleRun,
  ): Promise<{ errors: number; allFailed: boolean; firstError: unknown }> {
    const fetchOpenInterest = this.adapter.fetchOpenInterest;
    if (fetchOpenInterest === undefined) return { errors: 0, allFailed: false, firstError: null };
    const unknown = [...this.candidates.keys()].filter((symbol) => !this.openInterest.has(symbol));
    const plan = planOpenInterest({
      watched: [...this.watched].map((symbol) => ({ symbol, openInterestUsd: this.openInterestUsdOf(symbol) })),
      unknown,
      lastReadCycle: this.openInterestReadCycle,
      topCount: this.options.tuning.openInterestTopCount ?? this.options.config.DEPTH_TOP_N,
      spreadCycles: this.options.tuning.openInterestSpreadCycles,
      budget: this.options.config.OPEN_INTEREST_REQUESTS_PER_CYCLE,
    });
    if (
      plan.refreshCycles !== this.openInterestRefreshCycles &&
      plan.refreshCycles > this.options.tuning.openInterestSpreadCycles
    ) {
      this.log.warn('open-interest budget too small for the wanted freshness', {
        watched: this.watched.size,
        budget: this.options.config.OPEN_INTEREST_REQUESTS_PER_CYCLE,
        refreshCycles: plan.refreshCycles,
      });
    }
    this.openInterestRefreshCycles = this.watched.size === 0 ? null : plan.refreshCycles;
    const ctx = this.context(run);
    let errors = 0;
    let firstError: unknown = null;
    await Promise.all(
      plan.symbols.map(async (symbol) => {
        const market = this.candidates.get(symbol);
        if (market === undefined) return;
        try {
          const contracts = await fetchOpenInterest(ctx, market);
          run.check();
          this.openInterest.set(symbol, { value: contracts, at });
          this.openInterestReadCycle.set(symbol, this.cycle);
        } catch (error) {
          errors += 1;
          firstError ??= error;
          this.noteRequestFailure('openInterest', error);
        }
      }),
    );
    return { errors, allFailed: plan.symbols.length > 0 && errors === plan.symbols.length, firstError };
  }

  /** Binance, slow job: reads the stalest markets below the threshold again, so a growing market gets watched. */
  private async recheckUnwatched(run: CycleRun): Promise<number> {
    const fetchOpenInterest = this.adapter.fetchOpenInterest;
    if (fetchOpenInterest === undefined) return 0;
    const ctx = this.context(run);
    const unwatched = [...this.candidates.values()]
      .filter((m) => !this.watched.has(m.symbol))
      .sort((a, b) => (this.openInterest.get(a.symbol)?.at ?? 0) - (this.openInterest.get(b.symbol)?.at ?? 0))
      .slice(0, this.options.config.OPEN_INTEREST_REQUESTS_PER_CYCLE);
    let errors = 0;
    await Promise.all(
      unwatched.map(async (market) => {
        try {
          const contracts = await fetchOpenInterest(ctx, market);
          run.check();
          this.openInterest.set(market.symbol, { value: contracts, at: this.options.now() });
        } catch (error) {
          errors += 1;
          this.noteRequestFailure('openInterest', error);
        }
      }),
    );
    run.check();
    this.updateWatched();
    return errors;
  }

  private openInterestUsdOf(symbol: string): number | null {
    const market = this.candidates.get(symbol);
    const contracts = this.openInterest.get(symbol)?.value ?? null;
    const mark = this.lastMark.get(symbol) ?? null;
    return market === undefined ? null : openInterestUsd(contracts, market.contractSize, mark);
  }

  /** Watched = candidates whose open interest (last known) is at least MIN_OPEN_INTEREST_USD. */
  private updateWatched(): void {
    const min = this.options.config.MIN_OPEN_INTEREST_USD;
    const next = new Set<string>();
    for (const symbol of this.candidates.keys()) {
      if (!this.lastMark.has(symbol)) continue;
      const usd = this.openInterestUsdOf(symbol);
      if (min <= 0 || (usd !== null && usd >= min)) next.add(symbol);
    }
    const changed = next.size !== this.watched.size || [...next].some((symbol) => !this.watched.has(symbol));
    this.watched = next;
    if (!changed) return;
    const infos = [...next].flatMap((symbol) => {
      const market = this.candidates.get(symbol);
      return market === undefined ? [] : [marketInfoOf(market)];
    });
    try {
      this.options.sink.saveMarkets(infos);
    } catch (error) {
      this.log.error('could not store markets', { error });
    }
    this.streams?.syncSymbols();
    this.log.info('watched markets changed', { watched: next.size, candidates: this.candidates.size });
  }

  /** The `count` largest watched markets by open interest in USD. */
  private largest(count: number): VenueMarket[] {
    return [...this.watched]
      .map((symbol) => ({ symbol, usd: this.openInterestUsdOf(symbol) ?? -1 }))
      .sort((a, b) => b.usd - a.usd || a.symbol.localeCompare(b.symbol))
      .slice(0, Math.max(0, count))
      .flatMap(({ symbol }) => {
        const market = this.candidates.get(symbol);
        return market === undefined ? [] : [market];
      });
  }

  private snapshotParts(market: VenueMarket, quote: Quote, at: number) {
    const tuning = this.options.tuning;
    const fresh = <T>(entry: Aged<T> | undefined, maxAgeMs: number): T | null =>
      entry !== undefined && at - entry.at <= maxAgeMs ? entry.value : null;
    const volume = fresh(this.volumes.get(market.symbol), tuning.volumeMaxAgeMs);
    const openInterest =
      quote.openInterestContracts ?? fresh(this.openInterest.get(market.symbol), tuning.openInterestMaxAgeMs);
    return {
      market,
      at,
      quote,
      openInterestContracts: openInterest,
      volume24hUsd: quote.volume24hUsd ?? volume?.volume24hUsd ?? null,
      lastPrice: quote.lastPrice ?? volume?.lastPrice ?? null,
      depthBands: fresh(this.depth.get(market.symbol), tuning.depthMaxAgeMs),
      longShortAccountRatio: fresh(this.longShort.get(market.symbol), tuning.longShortMaxAgeMs),
    };
  }

  private latestLongShort(points: unknown, market: VenueMarket): number | null {
    if (!Array.isArray(points)) return null;
    let best: { timestamp: number; ratio: number } | null = null;
    for (const point of points) {
      const parsed = longShortPointSchema.safeParse(point);
      if (!parsed.success) {
        this.reportRejections([rejectionOf('longShortRatio', market.symbol, parsed.error)]);
        continue;
      }
      if (best === null || parsed.data.timestamp > best.timestamp) {
        best = { timestamp: parsed.data.timestamp, ratio: parsed.data.longShortRatio };
      }
    }
    return best?.ratio ?? null;
  }

  private recordCycle(failure: unknown): void {
    this.hasPolled = true;
    if (failure === null) {
      if (this.consecutiveFailures >= this.options.tuning.degradedAfterFailures) {
        this.log.info('venue recovered', { after: this.consecutiveFailures });
      }
      this.consecutiveFailures = 0;
      this.lastSuccessAt = this.options.now();
      this.lastError = null;
      return;
    }
    this.consecutiveFailures += 1;
    this.lastError = describeError(failure);
    if (this.consecutiveFailures === this.options.tuning.degradedAfterFailures) {
      this.log.error('venue degraded', { failures: this.consecutiveFailures, error: this.lastError });
    }
  }

  /** An answer refused as implausible may hold rejected items: they are logged like any other rejection. */
  private reportFailureRejections(error: unknown): void {
    if (error instanceof ImplausibleResponseError) this.reportRejections(error.rejections);
  }

  private noteRequestFailure(request: string, error: unknown): void {
    this.reportFailureRejections(error);
    if (error instanceof InvalidItemError) {
      this.reportRejections([error.rejection]);
      return;
    }
    if (error instanceof VenuePausedError) return; // already logged when the pause began
    this.log.debug('request failed', { request, error });
  }

  /** Logs a rejected item once per venue, shape and field; later ones only count. */
  private reportRejections(rejections: readonly Rejection[]): void {
    for (const rejection of rejections) {
      const key = `${rejection.shape}:${rejection.field}`;
      if (this.loggedRejections.has(key)) continue;
      this.loggedRejections.add(key);
      this.log.warn('rejected an item from the venue (logged once per field)', { ...rejection });
    }
  }

  private report(
    started: number,
    requestsBefore: number,
    marketsUpdated: number,
    errors: number,
    error: string | null,
  ): VenueCycleReport {
    return {
      exchange: this.id,
      marketsUpdated,
      requests: (this.seam?.requests ?? 0) - requestsBefore,
      errors,
      durationMs: Math.round(this.options.timers.monotonic() - started),
      ok: error === null,
      error,
    };
  }
}
