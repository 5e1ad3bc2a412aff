// The market-data service the app wires: one VenueRunner per configured venue, each with its own fast, depth and
// slow jobs on node-cron and its own liquidation stream. Venues are independent: their jobs are separate tasks and
// their failures stay inside their own status.
import { performance } from 'node:perf_hooks';
import type { ExchangeId, LeverageTier } from '../domain/market.js';
import type { MarketDataSink, VenueHealthReader } from '../domain/ports.js';
import type { Logger } from '../log/logger.js';
import { sleep } from './backoff.js';
import { DEFAULT_RETRY_POLICY } from './client.js';
import type { RetryPolicy, SeamTimers } from './client.js';
import type { StreamTuning } from './liquidations.js';
import { cronLoggerFor, cronSchedule, validCron } from './scheduler.js';
import type { CronTask, ScheduleFn } from './scheduler.js';
import type { JobKind, MarketEvents, VenueCycleReport, VenueStatus } from './types.js';
import { DEFAULT_VENUE_TUNING, isTimedOut, VenueRunner } from './venue.js';
import type { MarketConfig, VenueTuning } from './venue.js';
import { VENUE_ADAPTERS } from './venues/index.js';

export type { MarketConfig, VenueTuning } from './venue.js';
export type { MarketEvents, RequestSample, VenueCycleReport, VenueStatus } from './types.js';

export type MarketTuning = Partial<Omit<VenueTuning, 'retry' | 'stream'>> & {
  retry?: Partial<RetryPolicy>;
  stream?: Partial<StreamTuning>;
};

export interface MarketServiceOptions {
  config: MarketConfig;
  sink: MarketDataSink;
  /** The clock of every timestamp written (snapshots, health); a replay passes its simulated clock. */
  now?: () => number;
  log: Logger;
  /** Retry, staleness, watchdog and stream settings; every field has a default (see DEFAULT_VENUE_TUNING). */
  tuning?: MarketTuning;
  /** node-cron's schedule by default; tests pass their own to fire ticks by hand. */
  schedule?: ScheduleFn;
  /** Sleep, randomness and the monotonic clock for retries and reconnects (real ones by default). */
  timers?: Partial<SeamTimers>;
  /** Observers of requests and job runs (metrics); none by default. */
  events?: MarketEvents;
}

export interface PollOptions {
  /**
   * Also run these jobs first (slow, then depth), so the fast cycle's snapshots carry their values. A venue never
   * polled gets a fast cycle before them, since they work on the largest markets the fast cycle finds.
   */
  include?: readonly Exclude<JobKind, 'fast'>[];
  /** Poll only these venues (default every configured one). */
  venues?: readonly ExchangeId[];
}

export interface MarketService extends VenueHealthReader {
  /** Loads markets, schedules the jobs and starts the streams. Resolves even when some venues failed to load. */
  start(): Promise<void>;
  /**
   * One fast cycle for every venue, concurrently; one report per venue. A venue whose run overruns its bound
   * (CYCLE_TIMEOUT_MS) is reported as timed out at once and its remaining jobs of this poll are skipped.
   */
  pollOnce(options?: PollOptions): Promise<VenueCycleReport[]>;
  venueHealth(): VenueStatus[];
  /** Public leverage tiers of one market, as last read by the slow job (empty when unknown). */
  leverageTiers(exchange: ExchangeId, symbol: string): readonly LeverageTier[];
  /** Markets each venue currently watches (open interest above the minimum, SYMBOLS). */
  watchedSymbols(exchange: ExchangeId): string[];
  /** Liquidation stream counters per venue, for status and tests. */
  streamCounters(exchange: ExchangeId): { saved: number; duplicates: number; watchdogResets: number };
  /** Stops the jobs and streams and closes every ccxt instance (they keep the process alive otherwise). */
  stop(): Promise<void>;
}

export function createMarketService(options: MarketServiceOptions): MarketService {
  const now = options.now ?? Date.now;
  const log = options.log.child({ module: 'market' });
  const timers: SeamTimers = {
    sleep: options.timers?.sleep ?? ((ms) => sleep(ms)),
    random: options.timers?.random ?? Math.random,
    monotonic: options.timers?.monotonic ?? (() => performance.now()),
  };
  const tuning: VenueTuning = {
    ...DEFAULT_VENUE_TUNING,
    ...options.tuning,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.tuning?.retry },
    stream: { ...DEFAULT_VENUE_TUNING.stream, ...options.tuning?.stream },
    silenceMsByVenue: { ...DEFAULT_VENUE_TUNING.silenceMsByVenue, ...options.tuning?.silenceMsByVenue },
  };
  const venues = [...new Set(options.config.EXCHANGES)];
  const runners = venues.map(
    (id) =>
      new VenueRunner({
        adapter: VENUE_ADAPTERS[id],
        config: options.config,
        sink: options.sink,
        now,
        log,
        tuning,
        timers,
        ...(options.events ? { events: options.events } : {}),
      }),
  );
  const runnerOf = (exchange: ExchangeId): VenueRunner | undefined => runners.find((r) => r.id === exchange);
  const schedule = options.schedule ?? cronSchedule;
  const tasks: CronTask[] = [];
  let started = false;

  const cronLogger = cronLoggerFor(log);

  const cronOf: Record<JobKind, string> = {
    fast: options.config.FAST_POLL_CRON,
    depth: options.config.DEPTH_POLL_CRON,
    slow: options.config.SLOW_POLL_CRON,
  };

  async function runNow(runner: VenueRunner, kind: JobKind): Promise<VenueCycleReport> {
    const job = runner.jobs[kind];
    await job.idle();
    const outcome = await job.trigger();
    if (outcome.ran) return outcome.result;
    return {
      exchange: runner.id,
      marketsUpdated: 0,
      requests: 0,
      errors: 0,
      durationMs: 0,
      ok: true,
      error: null,
      skipped: true,
    };
  }

  return {
    async start() {
      if (started) return;
      const invalid = (Object.entries(cronOf) as [JobKind, string][]).filter(([, expr]) => !validCron(expr));
      if (invalid.length > 0) {
        throw new Error(`invalid cron expression(s): ${invalid.map(([kind, expr]) => `${kind} "${expr}"`).join(', ')}`);
      }
      started = true;
      await Promise.all(runners.map((runner) => runner.init()));
      for (const runner of runners) {
        runner.startStreams();
        for (const kind of ['fast', 'depth', 'slow'] as const) {
          const job = runner.jobs[kind];
          tasks.push(
            schedule(
              cronOf[kind],
              async () => {
                try {
                  await job.trigger();
                } catch (error) {
                  log.error('scheduled job threw', { job: job.name, error });
                }
              },
              { name: job.name, logger: cronLogger },
            ),
          );
        }
      }
      log.info('market data started', { venues, jobs: tasks.length });
    },

    async pollOnce(pollOptions) {
      const include = pollOptions?.include ?? [];
      const only = pollOptions?.venues;
      const selected = only === undefined ? runners : runners.filter((runner) => only.includes(runner.id));
      return Promise.all(
        selected.map(async (runner) => {
          const before: JobKind[] = [];
          // The slower jobs pick the largest markets, which the first fast cycle finds.
          if (include.length > 0 && !runner.polled) before.push('fast');
          if (include.includes('slow')) before.push('slow');
          if (include.includes('depth')) before.push('depth');
          for (const kind of before) {
            const report = await runNow(runner, kind);
            // A run that overran its bound means the venue does not answer: its next jobs would only wait as long.
            if (isTimedOut(report)) {
              if (kind !== 'fast') runner.failCycle(report.error ?? 'timed out');
              return report;
            }
          }
          return runNow(runner, 'fast');
        }),
      );
    },

    venueHealth: () => runners.map((runner) => runner.status()),

    leverageTiers: (exchange, symbol) => runnerOf(exchange)?.leverageTiers(symbol) ?? [],

    watchedSymbols: (exchange) => runnerOf(exchange)?.watchedSymbols() ?? [],

    streamCounters: (exchange) =>
      runnerOf(exchange)?.streamCounters() ?? { saved: 0, duplicates: 0, watchdogResets: 0 },

    async stop() {
      const stopping = tasks.splice(0);
      await Promise.allSettled(
        stopping.map(async (task) => {
          await task.stop();
          await task.destroy();
        }),
      );
      await Promise.allSettled(runners.map((runner) => runner.stop()));
      started = false;
    },
  };
}
