// Replay speed: simulated minutes per real second through the whole pipeline (mock exchange, ccxt clients with
// streams, SQLite store, risk loop, alert rules): the bundled crash and a calm day at one pass per simulated minute,
// and a dense synthetic scenario (three days of per-minute keyframes on twelve markets) at 60 s and 30 s steps.
import { fileURLToPath } from 'node:url';
import type { ExchangeId } from '../src/domain/market.js';
import { createRandom, seedOf } from '../src/mock-exchange/random.js';
import type { ScenarioInput } from '../src/mock-exchange/scenario.js';
import { replayScenario, type ReplayOptions } from '../src/replay/index.js';
import type { Bench, BenchFigures } from './types.js';

const scenarioFile = (name: string): string => fileURLToPath(new URL(`../scenarios/${name}.json`, import.meta.url));

const DAY_SEC = 86_400;
const DENSE_DAYS = 3;
const DENSE_VENUES: readonly ExchangeId[] = ['binanceusdm', 'bybit', 'okx', 'hyperliquid'];
const DENSE_COINS = [
  { base: 'BTC', priceUsd: 100_000, openInterestUsd: 12e9, maxLeverage: 125 },
  { base: 'ETH', priceUsd: 3_500, openInterestUsd: 6e9, maxLeverage: 100 },
  { base: 'SOL', priceUsd: 180, openInterestUsd: 1.5e9, maxLeverage: 50 },
] as const;
/** Venue share of a coin's open interest, so the same coin is not equally large everywhere. */
const VENUE_SHARE: Record<ExchangeId, number> = { binanceusdm: 1, bybit: 0.6, okx: 0.4, hyperliquid: 0.3 };

/** A standard normal draw from two uniforms (Box-Muller), so the walks have fat enough moves without a library. */
function normal(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/**
 * Twelve markets (three coins on four venues) with a keyframe every minute for `days`: a seeded random walk of price
 * shared per coin (each venue adds a little noise of its own), open interest, funding, depth and the long/short
 * ratio, scattered liquidations and a burst every eight hours. No expect section: this measures speed, not the score.
 */
export function denseScenario(days = DENSE_DAYS, seed = 1): ScenarioInput {
  const durationSec = days * DAY_SEC;
  const minutes = durationSec / 60;
  const venues: Record<string, { markets: unknown[] }> = {};
  for (const venue of DENSE_VENUES) venues[venue] = { markets: [] };
  for (const coin of DENSE_COINS) {
    const shared = createRandom(seedOf(seed, 'dense', coin.base));
    const logReturns = Array.from({ length: minutes + 1 }, () => 0.0007 * normal(shared.next));
    for (const venue of DENSE_VENUES) {
      const own = createRandom(seedOf(seed, 'dense', coin.base, venue));
      const share = VENUE_SHARE[venue];
      let priceUsd = coin.priceUsd;
      let openInterestUsd = coin.openInterestUsd * share;
      let fundingRate = 0.0001;
      let longShortRatio = 1.5;
      const keyframes: Record<string, number>[] = [];
      const liquidations: Record<string, unknown>[] = [];
      for (let minute = 0; minute <= minutes; minute++) {
        priceUsd *= Math.exp((logReturns[minute] ?? 0) + 0.0001 * normal(own.next));
        openInterestUsd *= Math.exp(0.001 * normal(own.next));
        fundingRate = Math.min(0.003, Math.max(-0.003, 0.98 * fundingRate + 0.000002 + 0.00002 * normal(own.next)));
        longShortRatio = Math.min(4, Math.max(0.4, longShortRatio * Math.exp(0.005 * normal(own.next))));
        const depth1PctUsd = openInterestUsd * (0.004 + 0.002 * own.next());
        keyframes.push({
          atSec: minute * 60,
          price: Number(priceUsd.toPrecision(8)),
          premium: 0.0003 * normal(own.next),
          fundingRate,
          openInterestUsd: Math.round(openInterestUsd),
          volume24hUsd: Math.round(openInterestUsd * 1.8),
          depth1PctUsd: Math.round(depth1PctUsd),
          longShortRatio,
        });
        if (own.next() < 0.25 && minute < minutes) {
          liquidations.push({
            atSec: minute * 60 + Math.floor(own.next() * 60),
            side: own.next() < 0.6 ? 'long' : 'short',
            sizeUsd: Math.round(own.logUniform(2_000, 400_000) * share),
          });
        }
      }
      for (let fromSec = 4 * 3600; fromSec + 300 < durationSec; fromSec += 8 * 3600) {
        liquidations.push({
          fromSec,
          toSec: fromSec + 300,
          side: 'long',
          perSecond: 1,
          sizeUsd: Math.round(60_000 * share),
          sizeJitter: 0.6,
        });
      }
      const settle = venue === 'hyperliquid' ? 'USDC' : 'USDT';
      venues[venue]?.markets.push({ base: coin.base, settle, maxLeverage: coin.maxLeverage, keyframes, liquidations });
    }
  }
  return {
    name: `dense-${days}d`,
    description: `${days} days of per-minute keyframes on ${DENSE_COINS.length} coins x ${DENSE_VENUES.length} venues`,
    start: '2025-06-01T00:00:00Z',
    durationSec,
    venues,
  } as ScenarioInput;
}

async function measure(
  label: string,
  source: Pick<ReplayOptions, 'file' | 'scenario'>,
  stepSec: number,
  untilSec?: number,
): Promise<BenchFigures> {
  const result = await replayScenario({ ...source, stepSec, ...(untilSec ? { untilSec } : {}) });
  const simulatedMinutes = result.simulatedSec / 60;
  return {
    bench: 'replay',
    case: label,
    figures: {
      stepSec,
      passes: result.passes.length,
      simulatedMinutes,
      wallSeconds: result.wallMs / 1000,
      simulatedMinutesPerSecond: simulatedMinutes / (result.wallMs / 1000),
      alerts: result.alerts.length,
      unsettledSteps: result.unsettledSteps,
    },
  };
}

/** The targets of issue 10 for the dense three-day scenario: under a minute at 60 s steps, two at 30 s. */
function withGoal(figures: BenchFigures, goalSec: number, full: boolean): BenchFigures {
  if (!full) return figures;
  const wallSeconds = Number(figures.figures['wallSeconds']);
  return { ...figures, goal: `wall < ${goalSec} s`, goalMet: wallSeconds < goalSec };
}

export const replay: Bench = {
  name: 'replay',
  description: 'simulated minutes per second through the real pipeline, bundled scenarios and a dense three-day one',
  async run({ quick }) {
    // quick: the crash, six hours of a calm day and the first twelve hours of the dense scenario.
    const dense = denseScenario();
    const denseUntilSec = quick ? 12 * 3600 : undefined;
    const denseLabel = quick ? 'dense-3d (first 12 h)' : 'dense-3d';
    return [
      await measure('crash', { file: scenarioFile('crash') }, 60),
      await measure('calm-day-1', { file: scenarioFile('calm-day-1') }, 60, quick ? 6 * 3600 : undefined),
      withGoal(await measure(`${denseLabel} @60s`, { scenario: dense }, 60, denseUntilSec), 60, !quick),
      withGoal(await measure(`${denseLabel} @30s`, { scenario: dense }, 30, denseUntilSec), 120, !quick),
    ];
  },
};
