// `npm run bench -- risk [--quick]`: the risk engine over seeded synthetic data. 2,000 markets, each with 24 h of
// history as the store holds it (every 5 min, then every 30 s over the last 2 h: about 505 snapshots) and
// sparse liquidation buckets (none on hyperliquid, which streams none); one market in twenty loads up and crashes
// in its last half hour. Every market has a recorded book (the worst case: the store records the top markets only).
// Measures one scoring cycle (liquidation profile, features, score, regime, level for every market, then the
// market-wide score) and the stress grid of every market x 20 shocks (goal < 100 ms on one core).
import { EXCHANGE_IDS } from '../src/domain/market.js';
import type { ExchangeId, LiquidationBucket, MarketHistory, Snapshot } from '../src/domain/market.js';
import { assessMarket } from '../src/risk/assess.js';
import type { MarketAssessment } from '../src/risk/assess.js';
import { buildLiquidationProfile } from '../src/risk/cascade.js';
import type { LiquidationProfile } from '../src/risk/cascade.js';
import { marketWideScore } from '../src/risk/marketWide.js';
import { DEFAULT_STRESS_SHOCKS, stressGrid } from '../src/risk/stressGrid.js';
import type { Bench, BenchFigures } from './types.js';
import { percentiles } from './types.js';
import { createRandom } from '../src/mock-exchange/random.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2025, 9, 10, 20, 0, 0);
const GRID_GOAL_MS = 100;

/** The mock exchange's seeded generator, so runs compare. */
function prng(seed: number): () => number {
  return createRandom(seed).next;
}

function storeTimes(): number[] {
  const times: number[] = [];
  for (let t = NOW - 24 * HOUR; t < NOW - 2 * HOUR; t += 5 * MINUTE) times.push(t);
  for (let t = NOW - 2 * HOUR; t <= NOW; t += 30_000) times.push(t);
  return times;
}

function makeHistory(index: number, times: readonly number[], rand: () => number): MarketHistory {
  const exchange = EXCHANGE_IDS[index % EXCHANGE_IDS.length] as ExchangeId;
  const base = `C${index.toString(36).toUpperCase()}`;
  const symbol = `${base}/USDT:USDT`;
  const crashes = index % 19 === 6; // about one market in twenty, on every venue in turn
  const crashAt = NOW - 25 * MINUTE;
  let price = 0.01 + rand() * 50_000;
  let coins = (1e5 + rand() * 1e8) / price;
  let funding = (rand() - 0.4) * 0.0004;
  const depthUsd = coins * price * (0.002 + rand() * 0.02);
  // A few books per market, shared between snapshots (as immutable values), to keep the data set small.
  const books = Array.from({ length: 6 }, () =>
    [0.5, 1, 2, 5].map((withinPercent) => ({
      withinPercent,
      bidUsd: depthUsd * withinPercent * (0.7 + rand() * 0.6),
      askUsd: depthUsd * withinPercent * (0.7 + rand() * 0.6),
    })),
  );
  // In a crash the book near the mid empties (2025-10-10): a third of the usual depth.
  const thinBook = (books[0] ?? []).map((band) => ({ ...band, bidUsd: band.bidUsd / 3, askUsd: band.askUsd / 3 }));
  const ratio = exchange === 'hyperliquid' ? null : 0.5 + rand() * 2;
  const snapshots: Snapshot[] = [];
  for (const at of times) {
    const crashing = crashes && at >= crashAt;
    price *= 1 + (rand() - 0.5) * 0.003 - (crashing ? 0.004 : 0);
    coins *= 1 + (rand() - 0.48) * 0.004 - (crashing ? 0.003 : 0) + (crashes && !crashing ? 0.0004 : 0);
    funding += (rand() - 0.5) * 0.00001;
    snapshots.push({
      exchange,
      symbol,
      base,
      at,
      markPrice: price,
      indexPrice: price * (1 + (rand() - 0.5) * 0.0005),
      lastPrice: price,
      fundingRate: funding,
      fundingIntervalHours: exchange === 'hyperliquid' ? 1 : 8,
      nextFundingAt: null,
      fundingRateAnnualized: funding * (exchange === 'hyperliquid' ? 24 : 3) * 365,
      openInterestContracts: coins,
      openInterestUsd: coins * price,
      volume24hUsd: coins * price * (0.5 + rand() * 4),
      depthBands: crashing ? thinBook : (books[Math.floor(rand() * books.length)] ?? null),
      longShortAccountRatio: ratio,
    });
  }
  const buckets: LiquidationBucket[] = [];
  if (exchange !== 'hyperliquid') {
    for (let minuteAt = NOW - 24 * HOUR + MINUTE; minuteAt <= NOW; minuteAt += MINUTE) {
      const burst = crashes && minuteAt >= crashAt ? 200 : 1;
      for (const side of ['long', 'short'] as const) {
        if (rand() < 0.1 * Math.min(burst, 8)) {
          const sizeUsd = rand() * 20_000 * burst * (side === 'long' ? 1 : 0.2);
          buckets.push({ exchange, symbol, minuteAt, side, count: 1, sizeUsd });
        }
      }
    }
  }
  return { exchange, symbol, snapshots, liquidationBuckets: buckets };
}

function scoreCycle(histories: readonly MarketHistory[]): {
  assessments: MarketAssessment[];
  profiles: LiquidationProfile[];
  profileMs: number;
  assessMs: number;
  marketWideMs: number;
} {
  const assessments: MarketAssessment[] = [];
  const profiles: LiquidationProfile[] = [];
  let profileMs = 0;
  let assessMs = 0;
  for (const h of histories) {
    const t0 = performance.now();
    const profile = buildLiquidationProfile(h, NOW);
    const t1 = performance.now();
    const liquidationCoverage = h.exchange === 'hyperliquid' ? 'not streamed' : 'sampled';
    assessments.push(assessMarket(h, NOW, { profile, liquidationCoverage }));
    const t2 = performance.now();
    profileMs += t1 - t0;
    assessMs += t2 - t1;
    if (profile.ok) profiles.push(profile);
  }
  const t3 = performance.now();
  marketWideScore(assessments, NOW);
  const marketWideMs = performance.now() - t3;
  return { assessments, profiles, profileMs, assessMs, marketWideMs };
}

export const risk: Bench = {
  name: 'risk',
  description: 'risk engine: scoring every market per cycle, and the stress grid of every market x 20 shocks',
  async run({ quick }) {
    const marketCount = quick ? 200 : 2_000;
    const rand = prng(20251010);
    const times = storeTimes();
    const generateStart = performance.now();
    const histories = Array.from({ length: marketCount }, (_, i) => makeHistory(i, times, rand));
    const generateMs = performance.now() - generateStart;
    const snapshots = histories.reduce((n, h) => n + h.snapshots.length, 0);
    const buckets = histories.reduce((n, h) => n + h.liquidationBuckets.length, 0);

    // Scoring cycles: the first warms the JIT, the rest are measured.
    const cycles = quick ? 2 : 4;
    const cycleMs: number[] = [];
    let last = scoreCycle(histories);
    const split = { profileMs: [] as number[], assessMs: [] as number[], marketWideMs: [] as number[] };
    for (let c = 0; c < cycles; c++) {
      const start = performance.now();
      last = scoreCycle(histories);
      cycleMs.push(performance.now() - start);
      split.profileMs.push(last.profileMs);
      split.assessMs.push(last.assessMs);
      split.marketWideMs.push(last.marketWideMs);
    }
    const cycle = percentiles(cycleMs);
    const levels = { calm: 0, elevated: 0, warning: 0, critical: 0 };
    for (const a of last.assessments) levels[a.level]++;
    const unwinding = last.assessments.filter((a) => a.regime.regime === 'unwinding').length;
    const loaded = last.assessments.filter((a) => a.regime.regime === 'loaded').length;

    // Stress grid over the profiles of the last cycle.
    const gridRuns = quick ? 10 : 30;
    const gridMs: number[] = [];
    stressGrid(last.profiles, DEFAULT_STRESS_SHOCKS); // warm-up
    let grid = stressGrid(last.profiles, DEFAULT_STRESS_SHOCKS);
    for (let r = 0; r < gridRuns; r++) {
      const start = performance.now();
      grid = stressGrid(last.profiles, DEFAULT_STRESS_SHOCKS);
      gridMs.push(performance.now() - start);
    }
    const g = percentiles(gridMs);
    const worstDown = grid.rows.find((row) => row.direction === 'down' && row.shock === 0.1);
    const levelCount = last.profiles.reduce((n, p) => n + p.longs.distances.length + p.shorts.distances.length, 0);

    const results: BenchFigures[] = [
      {
        bench: 'risk',
        case: 'score cycle',
        figures: {
          markets: marketCount,
          snapshots,
          liquidationBuckets: buckets,
          generateMs: Math.round(generateMs),
          cycles,
          cycleMedianMs: round(cycle.median),
          cycleMaxMs: round(cycle.max),
          perMarketUs: round((cycle.median / marketCount) * 1000),
          profilesMedianMs: round(percentiles(split.profileMs).median),
          assessMedianMs: round(percentiles(split.assessMs).median),
          marketWideMedianMs: round(percentiles(split.marketWideMs).median, 3),
          calm: levels.calm,
          elevated: levels.elevated,
          warning: levels.warning,
          critical: levels.critical,
          loaded,
          unwinding,
        },
      },
      {
        bench: 'risk',
        case: 'stress grid',
        goal: `${marketCount} markets x ${DEFAULT_STRESS_SHOCKS.length} shocks < ${GRID_GOAL_MS} ms`,
        goalMet: g.median < GRID_GOAL_MS,
        figures: {
          markets: last.profiles.length,
          shocks: DEFAULT_STRESS_SHOCKS.length,
          levelsPerMarket: Math.round(levelCount / Math.max(1, last.profiles.length)),
          runs: gridRuns,
          medianMs: round(g.median),
          p99Ms: round(g.p99),
          maxMs: round(g.max),
          liquidatedUsdAt10PctDown: Math.round(worstDown?.liquidatedUsd ?? 0),
        },
      },
    ];
    return Promise.resolve(results);
  },
};

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
