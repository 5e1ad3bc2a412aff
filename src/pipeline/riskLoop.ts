// The middle of the one-way flow: reads the stored history, runs the risk engine, decides the alerts and hands
// them on (the outbox for chats, the console when no chat is configured). Keeps the levels of the previous
// pass for hysteresis and serves the latest pass to commands.
import { decideAlerts, lastAlertsAfter, rememberLevels } from '../alerts/rules.js';
import { MARKET_WIDE, type CoinLevelsSeen, type LastAlert, type MarketReading } from '../alerts/types.js';
import type { Reply } from '../commands/reply.js';
import { RISK_HISTORY_MS } from '../commands/riskData.js';
import { price, usd } from '../domain/format.js';
import { marketKey, type ExchangeId, type LeverageTier, type MarketHistory, type MarketKey } from '../domain/market.js';
import type {
  MarketDataReader,
  MarketRegime,
  Subscription,
  SubscriptionStore,
  VenueHealthReader,
} from '../domain/ports.js';
import type { Logger } from '../log/logger.js';
import type { MarketAssessment } from '../risk/assess.js';
import { CASCADE_ESTIMATE_NOTE, runCascade } from '../risk/cascade.js';
import { levelsOf, runRiskCycle, type RiskCycle } from '../risk/cycle.js';
import type { RiskLevel } from '../risk/levels.js';
import type { RegimeSignal } from '../risk/regimes.js';
import { DEFAULT_RISK_PARAMETERS, type RiskParameters } from '../risk/parameters.js';

/** The cascade every alert quotes. */
const ALERT_SHOCK = 0.05;
const REASONS_PER_ALERT = 3;

/** Where decided alerts go. */
export interface AlertSink {
  /** Active subscriptions to decide for. */
  subscriptions(): readonly Subscription[];
  lastAlerts(): readonly LastAlert[];
  deliver(alerts: ReturnType<typeof decideAlerts>, now: number): void;
}

export interface RiskLoopOptions {
  market: MarketDataReader;
  health?: VenueHealthReader;
  leverageTiers?: (exchange: ExchangeId, symbol: string) => readonly LeverageTier[] | undefined;
  sinks: readonly AlertSink[];
  now: () => number;
  log: Logger;
  /** The risk engine's parameters (default: the documented defaults); backtests pass overrides. */
  params?: RiskParameters;
  /** Observer of each pass (metrics): called after a pass, with `ok` false when it failed. A throw is ignored. */
  onPass?: (outcome: { ok: boolean; durationMs: number; alerts: number }) => void;
}

export interface RiskPass {
  cycle: RiskCycle;
  readings: MarketReading[];
  alerts: number;
  durationMs: number;
}

export interface RiskLoop {
  /** One pass: score every market, decide and hand on the alerts. Never throws: a failure is logged. */
  runOnce(): RiskPass | undefined;
  latest(): RiskCycle | undefined;
}

/**
 * The move an alert's cascade estimate quotes: while a spiral unwinds, the way the price is going; otherwise the
 * way that hurts the crowded side (a long-crowded market is hurt by a drop).
 */
function shockDirection(assessment: MarketAssessment): 'down' | 'up' {
  if (assessment.regime.regime === 'unwinding') {
    const move = assessment.features.priceChange15m ?? assessment.features.priceChange5m;
    if (move !== null && move !== 0) return move < 0 ? 'down' : 'up';
  }
  return assessment.crowdedSide === 'short' ? 'up' : 'down';
}

function cascadeLine(cycle: RiskCycle, assessment: MarketAssessment, params: RiskParameters): string | null {
  const profile = cycle.profiles.get(assessment.market);
  if (!profile) return null;
  const direction = shockDirection(assessment);
  const outcome = runCascade(profile, ALERT_SHOCK, direction, params);
  const finalPrice = (1 + (direction === 'down' ? -outcome.totalMove : outcome.totalMove)) * profile.price;
  return (
    `a ${ALERT_SHOCK * 100}% ${direction === 'down' ? 'drop' : 'rise'} would force about ${usd(outcome.liquidatedUsd)} ` +
    `of liquidations and carry the price to about ${price(finalPrice)} ${CASCADE_ESTIMATE_NOTE}`
  );
}

/** Which regime each signal makes the case for: the regime's reason lists its met signals only. */
const REGIME_OF_SIGNAL: Record<RegimeSignal['name'], MarketRegime> = {
  liquidationSurge: 'unwinding',
  oiFalling: 'unwinding',
  priceMoving: 'unwinding',
  depthThinning: 'unwinding',
  oiRising: 'loaded',
  fundingStretched: 'loaded',
  nearDenseLevels: 'loaded',
};

/**
 * The score components that measure the same thing as a regime signal, with more numbers (`liquidations $40M
 * in 5 min, 9× the usual (80% longs)` for `liquidations 9× the usual in 5 min`). Names as strings: a component
 * the engine does not have simply never matches.
 */
const SIGNAL_COMPONENTS: Record<RegimeSignal['name'], readonly string[]> = {
  liquidationSurge: ['liquidationSurge'],
  oiFalling: ['oiFlush'],
  priceMoving: ['priceStress'],
  depthThinning: ['bookThinning'],
  oiRising: ['leverageBuildUp'],
  fundingStretched: ['fundingCrowding'],
  nearDenseLevels: ['liquidationLevels'],
};

/**
 * A market's reasons for an alert, each said once. The regime travels as a word (`reading.regime`); of its
 * signals, the ones a scoring component already measures are told by that component, the others by their own
 * text. What backs the regime comes first, then the other components by points.
 */
export function alertReasons(assessment: Pick<MarketAssessment, 'reasons' | 'regime'>): string[] {
  const scored = assessment.reasons.filter((r) => r.points > 0).sort((a, b) => b.points - a.points);
  const regime = assessment.regime.regime;
  const backing = assessment.regime.signals.filter((s) => s.met === true && REGIME_OF_SIGNAL[s.name] === regime);
  const backingComponents = new Set(backing.flatMap((s) => SIGNAL_COMPONENTS[s.name]));
  const told = (component: string): boolean => scored.some((r) => r.component === component);
  const reasons = [
    ...scored.filter((r) => backingComponents.has(r.component)).map((r) => r.text),
    ...backing.filter((s) => !SIGNAL_COMPONENTS[s.name].some(told)).map((s) => s.text),
    ...scored.filter((r) => !backingComponents.has(r.component)).map((r) => r.text),
  ];
  // A signal's text can also sit inside a component's longer line; say it once.
  const unique = reasons.filter(
    (text, i) =>
      reasons.indexOf(text) === i &&
      !reasons.some((other, j) => j !== i && other.length > text.length && other.includes(text)),
  );
  return unique.slice(0, REASONS_PER_ALERT);
}

export function toReadings(
  cycle: RiskCycle,
  previous: ReadonlyMap<MarketKey, RiskLevel>,
  previousWide: RiskLevel | null,
  params: RiskParameters = DEFAULT_RISK_PARAMETERS,
): MarketReading[] {
  const readings: MarketReading[] = cycle.markets.map((m) => ({
    market: m.market,
    level: m.level,
    previousLevel: previous.get(m.market) ?? 'calm',
    regime: m.regime.regime,
    score: m.score,
    reasons: alertReasons(m),
    cascade: cascadeLine(cycle, m, params),
    openInterestUsd: m.openInterestUsd,
  }));
  const wide = cycle.marketWide;
  // A score of no market is 0, which reads calm: there is no market-wide reading then.
  if (wide.marketsScored === 0) return readings;
  const drop = cycle.stress.rows.find((r) => r.direction === 'down' && r.shock === 0.1);
  readings.push({
    market: MARKET_WIDE,
    level: wide.level,
    previousLevel: previousWide ?? 'calm',
    regime: wide.regimeCounts.unwinding > 0 ? 'unwinding' : wide.regimeCounts.loaded > 0 ? 'loaded' : 'quiet',
    score: wide.score,
    reasons: [wide.reason],
    cascade: drop
      ? `a 10% drop would force about ${usd(drop.liquidatedUsd)} of liquidations across watched markets ${CASCADE_ESTIMATE_NOTE}`
      : null,
    openInterestUsd: wide.totalOpenInterestUsd,
  });
  return readings;
}

/** The histories of one pass, split by whether their data is there. */
export interface PassInputs {
  /** Markets with a snapshot no older than the risk engine reads: the ones scored. */
  fresh: MarketHistory[];
  /**
   * Markets with data in the window but none fresh (their venue down, or the market no longer polled), and
   * `market-wide` when no market is fresh or a whole venue went quiet. A market without any data in the window
   * (never polled, or quiet for a whole window) is in neither: after a window it is forgotten.
   */
  missing: (MarketKey | typeof MARKET_WIDE)[];
}

export function splitByFreshness(histories: readonly MarketHistory[], now: number, maxAgeMs: number): PassInputs {
  const fresh: MarketHistory[] = [];
  const missing: (MarketKey | typeof MARKET_WIDE)[] = [];
  const freshVenues = new Set<ExchangeId>();
  const quietVenues = new Set<ExchangeId>();
  for (const history of histories) {
    const last = history.snapshots.at(-1);
    if (last === undefined) continue;
    if (last.at >= now - maxAgeMs) {
      fresh.push(history);
      freshVenues.add(history.exchange);
    } else {
      missing.push(marketKey(history.exchange, history.symbol));
      quietVenues.add(history.exchange);
    }
  }
  const venueDown = [...quietVenues].some((venue) => !freshVenues.has(venue));
  if (fresh.length === 0 || venueDown) missing.push(MARKET_WIDE);
  return { fresh, missing };
}

export function createRiskLoop(options: RiskLoopOptions): RiskLoop {
  let previousLevels = new Map<MarketKey, RiskLevel>();
  let previousWide: RiskLevel | null = null;
  // When each coin last stood at each level: what the alert rules tell a dip and back by. In memory: after a
  // restart the last alerts (in the store) still hold repeats back for the cooldown.
  let seen: CoinLevelsSeen = new Map();
  let latest: RiskCycle | undefined;
  const log = options.log.child({ module: 'risk' });
  const params = options.params ?? DEFAULT_RISK_PARAMETERS;

  const observe = (ok: boolean, durationMs: number, alerts: number): void => {
    try {
      options.onPass?.({ ok, durationMs, alerts });
    } catch {
      // an observer never breaks the loop
    }
  };

  function runOnce(): RiskPass | undefined {
    const started = performance.now();
    const now = options.now();
    try {
      const coverage = new Map(options.health?.venueHealth().map((h) => [h.exchange, h.liquidationCoverage]));
      const { fresh, missing } = splitByFreshness(
        options.market.markets().map((m) => options.market.history(m.exchange, m.symbol, now - RISK_HISTORY_MS)),
        now,
        params.features.maxValueAgeMs,
      );
      // A market whose data stopped is not scored: its missing inputs would make it calm.
      const cycle = runRiskCycle(
        {
          histories: fresh,
          now,
          previousLevels,
          previousMarketWideLevel: previousWide,
          coverage: (exchange) => coverage.get(exchange),
          leverageTiers: options.leverageTiers,
        },
        params,
      );
      const readings = toReadings(cycle, previousLevels, previousWide, params);
      let alerts = 0;
      for (const sink of options.sinks) {
        const decided = decideAlerts({
          readings,
          subscriptions: sink.subscriptions(),
          lastAlerts: sink.lastAlerts(),
          now,
          seen,
          missing,
        });
        if (decided.length > 0) sink.deliver(decided, now);
        alerts += decided.length;
      }
      seen = rememberLevels(seen, readings, now, missing);
      // A missing market keeps the level it had, so its data coming back is judged from there, not from calm.
      const levels = levelsOf(cycle);
      for (const market of missing) {
        if (market === MARKET_WIDE) continue;
        const level = previousLevels.get(market);
        if (level !== undefined) levels.set(market, level);
      }
      previousLevels = levels;
      if (cycle.marketWide.marketsScored > 0) previousWide = cycle.marketWide.level;
      latest = cycle;
      const durationMs = performance.now() - started;
      log.debug('risk pass', { markets: cycle.markets.length, alerts, durationMs: Math.round(durationMs) });
      observe(true, durationMs, alerts);
      return { cycle, readings, alerts, durationMs };
    } catch (error) {
      log.error('risk pass failed', { error });
      observe(false, performance.now() - started, 0);
      return undefined;
    }
  }

  return { runOnce, latest: () => latest };
}

/** Alerts for the console: one implicit subscription to every market at warning or above, cooldown kept in memory. */
export function consoleAlertSink(post: (reply: Reply) => void): AlertSink {
  const subscription: Subscription = {
    id: 0,
    chat: { platform: 'console', id: 'stdout' },
    markets: null,
    minLevel: 'warning',
    regimes: null,
    createdBy: null,
    createdAt: 0,
    paused: false,
    pausedReason: null,
  };
  const last = new Map<string, LastAlert>();
  return {
    subscriptions: () => [subscription],
    lastAlerts: () => [...last.values()],
    deliver(alerts, now) {
      for (const alert of alerts) {
        post(alert.reply);
        for (const record of lastAlertsAfter(alert, now)) last.set(record.market, record);
      }
    },
  };
}

/** Alerts for Discord and Telegram: the subscriptions and the outbox in SQLite. */
export function chatAlertSink(
  subscriptions: SubscriptionStore,
  outbox: { lastAlerts(): readonly LastAlert[] },
  enqueue: (alerts: ReturnType<typeof decideAlerts>, now: number) => void,
): AlertSink {
  return {
    subscriptions: () =>
      subscriptions.active().filter((s) => s.chat.platform === 'discord' || s.chat.platform === 'telegram'),
    lastAlerts: () => outbox.lastAlerts(),
    deliver: enqueue,
  };
}
