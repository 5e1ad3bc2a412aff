// Replays a scenario through the real pipeline on a simulated clock: the mock exchange on 127.0.0.1 (on a worker
// thread of its own), real ccxt clients with their liquidation streams, the SQLite store (in a temporary directory,
// a pass's writes in one transaction), the risk loop and the alert rules, delivering to a console-style sink.
// Scenario time only moves when the replay moves it (a manual clock), the streams are settled before every pass,
// every pass is one fixed step and the venues' markets enter the store in a fixed order: the same scenario gives the
// same timeline on every run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { destinationOf } from '../alerts/rules.js';
import { MARKET_WIDE, type Alert, type AlertMarket, type LastAlert, type MarketReading } from '../alerts/types.js';
import type { Reply } from '../commands/reply.js';
import { loadConfig } from '../config/env.js';
import type { ExchangeId } from '../domain/market.js';
import type { AlertLevel, Subscription } from '../domain/ports.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { createMarketService, type MarketTuning } from '../market/service.js';
import { LiquidationFeed } from '../mock-exchange/liquidations.js';
import { buildModel, type ScenarioModel } from '../mock-exchange/model.js';
import { loadScenario, parseScenario, scenarioVenues, type Scenario } from '../mock-exchange/scenario.js';
import type { ScenarioInput } from '../mock-exchange/server.js';
import { startMockExchangeThread } from '../mock-exchange/thread.js';
import type { LiquidationSampling } from '../mock-exchange/venue.js';
import { binance } from '../mock-exchange/venues/binance.js';
import { bybit } from '../mock-exchange/venues/bybit.js';
import { hyperliquid } from '../mock-exchange/venues/hyperliquid.js';
import { okx } from '../mock-exchange/venues/okx.js';
import { createRiskLoop, consoleAlertSink, type AlertSink } from '../pipeline/riskLoop.js';
import { forgetKeptColumns } from '../risk/columns.js';
import type { RiskLevel } from '../risk/levels.js';
import type { RiskParameters } from '../risk/parameters.js';
import { openStore } from '../store/index.js';
import { DEFAULT_STEP_SEC } from './cadence.js';
import { HeldSink } from './held-sink.js';

export { LEVEL_RANK, largestLiquidationMinute, largestLiquidationMinutes } from './expect.js';

/** Default stream sampling per venue, as the mock pushes it (to know how many stream items a step brings). */
const SAMPLING: Record<ExchangeId, LiquidationSampling | undefined> = {
  binanceusdm: binance.liquidationSampling,
  bybit: bybit.liquidationSampling,
  okx: okx.liquidationSampling,
  hyperliquid: hyperliquid.liquidationSampling,
};

/**
 * The order of the venues' first polls, so of their markets in the store: the order in which the first cycles
 * used to complete when they ran at once against an in-process mock (the venues whose cycle takes one request first,
 * Binance, which reads open interest per symbol after its quotes, last), kept so that replays sum and rank their
 * markets as before.
 */
const FIRST_POLL_ORDER: readonly ExchangeId[] = ['bybit', 'hyperliquid', 'okx', 'binanceusdm'];

/** Short retries and reconnects, the streams on, ccxt's throttler off (mock only), no mark-price stream. */
export const REPLAY_TUNING: MarketTuning = {
  streams: true,
  // Binance's mark-price stream pushes on wall time: whether a pass read it or premiumIndex would depend on timing.
  markPriceStream: false,
  ccxtRateLimit: false,
  // The mock sends no integer beyond 2^53: ccxt's scan for them would find nothing.
  ccxtQuoteJsonNumbers: false,
  retry: { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterWaitMs: 5_000, defaultRateLimitPauseMs: 200 },
  stream: { reconnectBaseMs: 50, reconnectMaxMs: 500 },
};

export interface ReplayProgress {
  offsetSec: number;
  /** The scenario's intended length (or `untilSec`). */
  untilSec: number;
  passes: number;
  alerts: number;
  /** Real milliseconds since the replay started. */
  wallMs: number;
}

/** One alert of the timeline, as the sink received it. */
export interface TimelineAlert {
  /** Scenario epoch ms and ISO time of the pass. */
  at: number;
  time: string;
  offsetSec: number;
  kind: Alert['kind'];
  /** A market key (`binanceusdm:BTC/USDT:USDT`) or `market-wide` for a digest. */
  market: AlertMarket;
  level: AlertLevel;
  regime: MarketReading['regime'] | null;
  score: number | null;
  reasons: readonly string[];
  /** The markets it covers (one, or several for a digest). */
  markets: readonly { market: AlertMarket; level: AlertLevel }[];
  /** What a console would print. */
  reply: Reply;
}

export interface ReplayPass {
  offsetSec: number;
  at: number;
  levels: Map<string, RiskLevel>;
  marketWide: RiskLevel;
}

export interface ReplayOptions {
  /** A scenario file, or the scenario itself (one of the two). */
  file?: string;
  scenario?: ScenarioInput | Scenario;
  /** Pacing in simulated seconds per real second; unset: as fast as the pipeline goes. */
  speed?: number;
  /**
   * Seconds of scenario time per pass, the same from the first pass to the last (default: the cadence of the
   * default RISK_CRON, 30 s). Nothing about the scenario's outcome may choose it.
   */
  stepSec?: number;
  /** Last offset replayed (default the scenario's durationSec). */
  untilSec?: number;
  /** Venues replayed (default every venue of the scenario). */
  venues?: readonly ExchangeId[];
  /** Keep the scenario's scripted faults (default false: they shape wall-time retries, not risk). */
  faults?: boolean;
  /** Lowest level the sink's implicit subscription gets (default warning, as the console). */
  minLevel?: AlertLevel;
  /** Order books every this many scenario seconds (default 300), leverage tiers and ratios (default 900). */
  depthEverySec?: number;
  slowEverySec?: number;
  onAlert?: (alert: TimelineAlert) => void;
  onProgress?: (progress: ReplayProgress) => void;
  /** The risk engine's parameters (default: the documented defaults), e.g. an override set under test. */
  params?: RiskParameters;
  /** Directory of the store; a temporary one (removed afterwards) by default. */
  dataDir?: string;
  log?: Logger;
}

export interface ReplayResult {
  scenario: Scenario;
  model: ScenarioModel;
  venues: ExchangeId[];
  stepSec: number;
  passes: ReplayPass[];
  alerts: TimelineAlert[];
  /** Real milliseconds the replay took, and the scenario seconds it covered. */
  wallMs: number;
  simulatedSec: number;
  /** Steps whose streams did not deliver everything expected within the settle limit. */
  unsettledSteps: number;
}

const SETTLE_LIMIT_MS = 2_000;
const START_LIMIT_MS = 5_000;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function readScenario(options: ReplayOptions): Promise<Scenario> {
  if (options.scenario !== undefined) return parseScenario(options.scenario);
  if (options.file !== undefined) return loadScenario(options.file);
  throw new Error('replayScenario needs a file or a scenario');
}

/** A console-style sink that also records each alert (regime, score and reasons are added after the pass). */
function recordingConsoleSink(
  minLevel: AlertLevel,
  onDeliver: (alerts: readonly Alert[], now: number) => void,
): AlertSink {
  const inner = consoleAlertSink(() => undefined);
  const subscriptions: Subscription[] = inner.subscriptions().map((s) => ({ ...s, minLevel }));
  const last = new Map<string, LastAlert>();
  return {
    subscriptions: () => subscriptions,
    lastAlerts: () => [...last.values()],
    deliver(alerts, now) {
      onDeliver(alerts, now);
      for (const alert of alerts) {
        for (const { market, level } of alert.markets) {
          const subscription = subscriptions[0];
          if (subscription !== undefined)
            last.set(market, { destination: destinationOf(subscription), market, level, at: now });
        }
      }
    },
  };
}

/** Stream items each venue's mock feed will have pushed by scenario time `atMs` (a shadow of the mock's feeds). */
class ExpectedStream {
  private readonly feeds = new Map<ExchangeId, { feed: LiquidationFeed; keep: LiquidationSampling['keep'] }>();
  readonly counts = new Map<ExchangeId, number>();

  constructor(model: ScenarioModel, scenario: Scenario, venues: readonly ExchangeId[]) {
    for (const venue of venues) {
      const sampling = scenario.venues[venue]?.liquidationSampling ?? SAMPLING[venue];
      const events = model.venues.get(venue)?.liquidations ?? [];
      if (sampling === undefined || events.length === 0) continue;
      this.feeds.set(venue, { feed: new LiquidationFeed(events, sampling), keep: sampling.keep });
      this.counts.set(venue, 0);
    }
  }

  venues(): ExchangeId[] {
    return [...this.feeds.keys()];
  }

  advance(atMs: number): void {
    for (const [venue, { feed, keep }] of this.feeds) {
      const batches = feed.advance(atMs);
      const items = batches.reduce((sum, b) => sum + (keep === 'latest' ? 1 : b.events.length), 0);
      this.counts.set(venue, (this.counts.get(venue) ?? 0) + items);
    }
  }
}

/** Runs `scenario` through the pipeline and returns its alert timeline and every pass's levels. */
export async function replayScenario(options: ReplayOptions): Promise<ReplayResult> {
  const loaded = await readScenario(options);
  // Already validated, and no check of a scenario reads its faults: dropping them needs no second parse.
  const scenario: Scenario = options.faults === true ? loaded : { ...loaded, faults: [] };
  const model = buildModel(scenario);
  const venues = (options.venues ?? scenarioVenues(scenario)).filter((v) => scenario.venues[v] !== undefined);
  const stepSec = options.stepSec ?? DEFAULT_STEP_SEC;
  const untilSec = options.untilSec ?? scenario.durationSec;
  const depthEverySec = options.depthEverySec ?? 300;
  const slowEverySec = options.slowEverySec ?? 900;
  const minLevel = options.minLevel ?? 'warning';
  const log = options.log ?? silentLogger;
  if (!(stepSec > 0)) throw new RangeError('the step must be positive');

  // The mock runs on its own thread (its JSON and sockets beside the pipeline), on a clock only the replay moves:
  // scenario time is the scenario's start plus the wall milliseconds given, as the in-process server computes it.
  // Two clocks: the pipeline's (the store and the risk loop) and the venues' (the market service and the mock), one
  // pass ahead of it while a pass scores and the next pass's requests are out.
  let wallMs = 0;
  let venueWallMs = 0;
  const mock = await startMockExchangeThread(scenario, wallMs);
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'spiralwatch-replay-'));
  const now = () => model.startMs + Math.round(wallMs);
  const venueNow = () => model.startMs + Math.round(venueWallMs);
  // A replay watches a few markets at a dense cadence: keeping built snapshots costs little memory there.
  const store = openStore({ dataDir, retentionDays: 7, now, onRejected: () => undefined, cacheHistory: true });
  const config = loadConfig({
    EXCHANGE_ORIGIN_OVERRIDES: JSON.stringify(mock.overrides()),
    EXCHANGES: venues.join(','),
    MIN_OPEN_INTEREST_USD: '0',
    REQUEST_TIMEOUT_MS: '3000',
  });
  const sink = new HeldSink(store, log);
  const market = createMarketService({
    config,
    sink,
    now: venueNow,
    log,
    // REST requests go to the mock's thread as messages (its sockets stay real): loopback HTTP cost a sixth of a pass.
    tuning: { ...REPLAY_TUNING, ccxtTransport: mock.transport },
    // The replay runs every job itself: nothing may fire on the wall clock.
    schedule: () => ({ stop: () => undefined, destroy: () => undefined }),
  });
  const delivered: { alert: Alert; at: number }[] = [];
  const alertSink = recordingConsoleSink(minLevel, (alerts, at) => {
    for (const alert of alerts) delivered.push({ alert, at });
  });
  const loop = createRiskLoop({
    market: store,
    health: market,
    leverageTiers: (exchange, symbol) => market.leverageTiers(exchange, symbol),
    sinks: [alertSink],
    now,
    log,
    ...(options.params !== undefined ? { params: options.params } : {}),
  });
  const expected = new ExpectedStream(model, scenario, venues);
  const passes: ReplayPass[] = [];
  const alerts: TimelineAlert[] = [];
  let unsettledSteps = 0;
  const started = performance.now();

  const received = (venue: ExchangeId): number => {
    const counters = market.streamCounters(venue);
    return counters.saved + counters.duplicates;
  };

  /** Waits until each stream stored what the mock pushed (or stops making progress). */
  async function settle(): Promise<void> {
    const streaming = expected.venues();
    const done = () => streaming.every((v) => received(v) >= (expected.counts.get(v) ?? 0));
    const deadline = performance.now() + SETTLE_LIMIT_MS;
    while (!done()) {
      if (performance.now() > deadline) {
        unsettledSteps += 1;
        return;
      }
      // One turn of the event loop at a time: the sockets are on loopback in this process, so what was pushed
      // arrives within a few turns, where a timer would idle a millisecond or two on every pass.
      await nextTurn();
    }
  }

  /** Waits until every streaming venue has its sockets up and subscribed. */
  async function streamsUp(): Promise<void> {
    const streaming = expected.venues();
    const deadline = performance.now() + START_LIMIT_MS;
    const connected = async () => {
      const upgraded = await mock.upgradedVenues();
      return streaming.every((v) => upgraded.includes(v));
    };
    while (!(await connected()) && performance.now() < deadline) await wait(10);
    // The subscriptions follow the upgrade by a message each way.
    await wait(200);
  }

  try {
    await market.start();
    // Per-symbol streams (Bybit) subscribe once the first fast cycle has found the markets: poll at offset 0,
    // then wait for every stream before any liquidation falls due. One venue at a time, in a fixed order: a venue's
    // first cycle registers its markets in the store, and that order is the order the engine reads them in (and
    // sums the stress grid in), so it must not depend on which answer arrives first.
    const firstPolls = [...FIRST_POLL_ORDER, ...venues.filter((venue) => !FIRST_POLL_ORDER.includes(venue))];
    for (const venue of firstPolls) if (venues.includes(venue)) await market.pollOnce({ venues: [venue] });
    await streamsUp();
    let offsetSec = 0;
    let lastDepth = -Infinity;
    let lastSlow = -Infinity;
    /** The jobs due at `atSec` besides the fast cycle (order books and slow jobs on their own cadence). */
    const jobsAt = (atSec: number): ('slow' | 'depth')[] => {
      const include: ('slow' | 'depth')[] = [];
      if (atSec - lastSlow >= slowEverySec) include.push('slow');
      if (atSec - lastDepth >= depthEverySec) include.push('depth');
      return include;
    };
    const pollAt = (atSec: number, include: readonly ('slow' | 'depth')[]): Promise<unknown> => {
      if (include.includes('slow')) lastSlow = atSec;
      if (include.includes('depth')) lastDepth = atSec;
      return market.pollOnce({ include: [...include] });
    };
    // The next pass's clock move and requests, started while this pass scores (see below).
    let advanced: Promise<void> | null = null;
    let polled: Promise<unknown> | null = null;
    while (offsetSec <= untilSec) {
      wallMs = offsetSec * 1000;
      venueWallMs = wallMs;
      // The pass's writes (the streams' liquidations, every venue's snapshots) commit once, before scoring; those
      // held back while the previous pass scored come first.
      store.beginBatch();
      sink.release();
      // The mock's clock moves and what fell due is pushed before anything of the pass reads it.
      await (advanced ?? mock.advance(wallMs));
      expected.advance(now());
      await settle();
      await (polled ?? pollAt(offsetSec, jobsAt(offsetSec)));
      store.endBatch();
      // Every request of the pass has its answer, so the venues move on to the next pass: the mock's clock moves
      // (it pushes the next liquidations) and the next fast cycle's requests go out, and the mock answers them
      // while this pass scores. Whatever they write is held until the pass is done. A pass with the slow jobs
      // starts after the scoring, as the leverage tiers the scoring reads come from them.
      const nextSec = offsetSec + stepSec;
      advanced = null;
      polled = null;
      if (nextSec <= untilSec) {
        venueWallMs = nextSec * 1000;
        advanced = mock.advance(venueWallMs);
        const include = jobsAt(nextSec);
        if (!include.includes('slow')) {
          sink.hold();
          polled = pollAt(nextSec, include);
          // One turn of the event loop sends the requests (ccxt awaits before it writes to the socket).
          await nextTurn();
        }
      }
      const firstNew = delivered.length;
      const pass = loop.runOnce();
      if (pass !== undefined) {
        passes.push({
          offsetSec,
          at: pass.cycle.at,
          levels: new Map(pass.cycle.markets.map((m) => [m.market, m.level])),
          marketWide: pass.cycle.marketWide.level,
        });
        const readings = new Map(pass.readings.map((r) => [r.market, r]));
        for (const { alert, at } of delivered.slice(firstNew)) {
          const reading =
            readings.get(alert.market) ?? (alert.kind === 'digest' ? readings.get(MARKET_WIDE) : undefined);
          const entry: TimelineAlert = {
            at,
            time: new Date(at).toISOString(),
            offsetSec,
            kind: alert.kind,
            market: alert.market,
            level: alert.level,
            regime: reading?.regime ?? null,
            score: reading === undefined ? null : Math.round(reading.score * 10) / 10,
            reasons: reading?.reasons ?? [],
            markets: alert.markets,
            reply: alert.reply,
          };
          alerts.push(entry);
          options.onAlert?.(entry);
        }
      }
      options.onProgress?.({
        offsetSec,
        untilSec,
        passes: passes.length,
        alerts: alerts.length,
        wallMs: performance.now() - started,
      });
      offsetSec += stepSec;
      if (options.speed !== undefined && options.speed > 0) {
        const due = started + (Math.min(offsetSec, untilSec) / options.speed) * 1000;
        const ahead = due - performance.now();
        if (ahead > 0) await wait(ahead);
      }
    }
  } finally {
    await market.stop();
    store.close();
    await mock.close();
    // The risk engine kept the columns of this replay's histories (built, frozen snapshots) for its next pass.
    forgetKeptColumns();
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  }
  const wall = performance.now() - started;
  return {
    scenario,
    model,
    venues,
    stepSec,
    passes,
    alerts,
    wallMs: wall,
    simulatedSec: untilSec,
    unsettledSteps,
  };
}
