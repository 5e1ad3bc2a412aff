// `npm run bench -- market [--quick]`: REST requests per minute that keep every market of the four venues fresh
// (prices and funding every cycle; open interest every cycle for the top markets and within five cycles for the
// rest), counted from the mock exchange's request log over several fast cycles at a 30 s cadence, beside the fewest
// that cadence allows and the naive per-symbol loop; and the cycle time with 2,000 markets.
//
// Scenario time is simulated: the mock's clock advances 30 s before each cycle, so the counts are those of a 30 s
// cadence without waiting 30 s. Requests are still paced by ccxt's own rate limiter in real time, which is what the
// cycle times measure. Streams are off: the counts are for REST alone (with Binance's mark-price stream live, its
// premiumIndex call is skipped as well, 2 fewer per minute).
import type { ExchangeId } from '../src/domain/market.js';
import { EXCHANGE_IDS } from '../src/domain/market.js';
import { loadConfig } from '../src/config/env.js';
import { silentLogger } from '../src/log/logger.js';
import { fewestOpenInterestRequests } from '../src/market/openInterestPlan.js';
import { createMarketService } from '../src/market/service.js';
import type { VenueCycleReport } from '../src/market/types.js';
import { startMockExchange } from '../src/mock-exchange/server.js';
import type { ScenarioInput } from '../src/mock-exchange/server.js';
import type { Liquidation, MarketInfo, Snapshot } from '../src/domain/market.js';
import type { MarketDataSink } from '../src/domain/ports.js';
import type { Bench, BenchFigures } from './types.js';
import { percentiles } from './types.js';

const CADENCE_MS = 30_000;
const CYCLES_PER_MINUTE = 60_000 / CADENCE_MS;
const SPREAD_CYCLES = 5;
const TOP_N = 20;
/** Bulk requests per fast cycle besides Binance's per-symbol open interest. */
const BULK: Record<ExchangeId, number> = { binanceusdm: 1, bybit: 1, okx: 3, hyperliquid: 1 };
/** The naive loop: per symbol funding + open interest, plus mark price on OKX (its funding answer has none). */
const NAIVE_PER_MARKET: Record<ExchangeId, number> = { binanceusdm: 2, bybit: 2, okx: 3, hyperliquid: 2 };

class CountingSink implements MarketDataSink {
  snapshots = 0;
  markets: MarketInfo[] = [];
  saveMarkets(markets: readonly MarketInfo[]): void {
    this.markets = [...markets];
  }
  saveSnapshots(snapshots: readonly Snapshot[]): void {
    this.snapshots += snapshots.length;
  }
  saveLiquidations(liquidations: readonly Liquidation[]): number {
    return liquidations.length;
  }
}

/**
 * The longest run of cycles any market waited between two open-interest reads, counting from before the first
 * cycle to after the last (a market read in cycles 3 and 8 of 10 waited 3, 5 and 3): at most 5 is the goal.
 */
function maxGapCycles(ids: readonly string[], readsPerCycle: readonly Set<string>[]): number {
  let worst = 0;
  for (const id of ids) {
    let last = 0;
    readsPerCycle.forEach((reads, index) => {
      if (!reads.has(id)) return;
      worst = Math.max(worst, index + 1 - last);
      last = index + 1;
    });
    worst = Math.max(worst, readsPerCycle.length + 1 - last);
  }
  return worst;
}

function generatedScenario(perVenue: number): ScenarioInput {
  const venue = { generate: { count: perVenue, seed: 7 } };
  return {
    name: `generated-${perVenue * 4}`,
    start: '2025-10-08T12:00:00Z',
    durationSec: 86_400,
    venues: { binanceusdm: venue, bybit: venue, okx: venue, hyperliquid: venue },
  } as ScenarioInput;
}

interface CaseOptions {
  name: string;
  perVenue: number;
  cycles: number;
  minOpenInterestUsd: number;
  openInterestBudget: number;
  /** Whether the goal applies (it is stated for keeping every market fresh). */
  withGoal: boolean;
}

async function runCase(options: CaseOptions): Promise<BenchFigures> {
  let wall = Date.now();
  const mock = await startMockExchange({ scenario: generatedScenario(options.perVenue), clock: () => wall });
  const sink = new CountingSink();
  const budget = options.openInterestBudget;
  const service = createMarketService({
    config: loadConfig({
      EXCHANGE_ORIGIN_OVERRIDES: JSON.stringify(mock.overrides()),
      MIN_OPEN_INTEREST_USD: String(options.minOpenInterestUsd),
      OPEN_INTEREST_REQUESTS_PER_CYCLE: String(budget),
      DEPTH_TOP_N: String(TOP_N),
    }),
    sink,
    log: silentLogger,
    now: () => mock.scenarioTime(),
    tuning: { streams: false, openInterestSpreadCycles: SPREAD_CYCLES },
    schedule: () => ({ stop: () => undefined, destroy: () => undefined }),
  });
  try {
    const startAt = performance.now();
    await service.start();
    const startMs = performance.now() - startAt;
    const bootstrap = await service.pollOnce();
    const watched = Object.fromEntries(
      EXCHANGE_IDS.map((venue) => [venue, service.watchedSymbols(venue).length]),
    ) as Record<ExchangeId, number>;

    const firstRecord = mock.requests().length;
    const cycleReports: VenueCycleReport[][] = [];
    /** Binance markets whose open interest was read, per steady cycle (from the mock's log, `symbol=` query). */
    const openInterestReads: Set<string>[] = [];
    for (let i = 0; i < options.cycles; i++) {
      wall += CADENCE_MS;
      const before = mock.requests().length;
      cycleReports.push(await service.pollOnce());
      openInterestReads.push(
        new Set(
          mock
            .requests()
            .slice(before)
            .filter((r) => r.venue === 'binanceusdm' && r.route === '/fapi/v1/openInterest' && r.status === 200)
            .map((r) => new URLSearchParams(r.query).get('symbol') ?? ''),
        ),
      );
    }
    const oiMaxGapCycles = maxGapCycles(
      service.watchedSymbols('binanceusdm').map((symbol) => symbol.replace(/^(\w+)\/(\w+):\w+$/, '$1$2')),
      openInterestReads,
    );
    const steady = mock
      .requests()
      .slice(firstRecord)
      .filter((r) => r.method !== 'WS');
    const perVenueMeasured = Object.fromEntries(
      EXCHANGE_IDS.map((venue) => [venue, steady.filter((r) => r.venue === venue).length / options.cycles]),
    ) as Record<ExchangeId, number>;
    const measuredPerCycle = EXCHANGE_IDS.reduce((sum, venue) => sum + perVenueMeasured[venue], 0);

    const binanceOi = fewestOpenInterestRequests(watched.binanceusdm, TOP_N, SPREAD_CYCLES);
    const fewestPerVenue: Record<ExchangeId, number> = {
      binanceusdm: BULK.binanceusdm + binanceOi,
      bybit: BULK.bybit,
      okx: BULK.okx,
      hyperliquid: BULK.hyperliquid,
    };
    const fewestPerCycle = EXCHANGE_IDS.reduce((sum, venue) => sum + fewestPerVenue[venue], 0);
    const naivePerCycle = EXCHANGE_IDS.reduce((sum, venue) => sum + NAIVE_PER_MARKET[venue] * watched[venue], 0);

    const cycleMs = cycleReports.map((reports) => Math.max(...reports.map((r) => r.durationMs)));
    const { median, max } = percentiles(cycleMs);
    const health = service.venueHealth();
    const failures = cycleReports.flat().filter((r) => !r.ok).length;
    const requestsPerMinute = measuredPerCycle * CYCLES_PER_MINUTE;
    const fewestPerMinute = fewestPerCycle * CYCLES_PER_MINUTE;
    const naivePerMinute = naivePerCycle * CYCLES_PER_MINUTE;
    const overFewestPct = ((requestsPerMinute - fewestPerMinute) / fewestPerMinute) * 100;
    const timesFewerThanNaive = naivePerMinute / requestsPerMinute;
    const oiRefreshCycles = health.find((v) => v.exchange === 'binanceusdm')?.openInterestRefreshCycles ?? null;
    const fresh = oiMaxGapCycles <= SPREAD_CYCLES;
    const goal = options.withGoal
      ? {
          goal: 'REST within 10% of the fewest, >= 20x fewer than naive, open interest fresh within 5 cycles',
          goalMet: overFewestPct <= 10 && timesFewerThanNaive >= 20 && fresh && failures === 0,
        }
      : {};
    return {
      bench: 'market',
      case: options.name,
      ...goal,
      figures: {
        marketsListed: options.perVenue * EXCHANGE_IDS.length,
        marketsWatched: EXCHANGE_IDS.reduce((sum, venue) => sum + watched[venue], 0),
        cycles: options.cycles,
        cadenceSec: CADENCE_MS / 1000,
        requestsPerMinute,
        fewestPerMinute,
        naivePerMinute,
        overFewestPct: Number(overFewestPct.toFixed(2)),
        timesFewerThanNaive: Number(timesFewerThanNaive.toFixed(1)),
        binanceRequestsPerCycle: perVenueMeasured.binanceusdm,
        bybitRequestsPerCycle: perVenueMeasured.bybit,
        okxRequestsPerCycle: perVenueMeasured.okx,
        hyperliquidRequestsPerCycle: perVenueMeasured.hyperliquid,
        binanceOpenInterestPlannedCycles: oiRefreshCycles ?? 'n/a',
        binanceOpenInterestMaxGapCycles: oiMaxGapCycles,
        failedVenueCycles: failures,
        startMs: Math.round(startMs),
        bootstrapCycleMs: Math.max(...bootstrap.map((r) => r.durationMs)),
        cycleMedianMs: median,
        cycleMaxMs: max,
        ...Object.fromEntries(
          EXCHANGE_IDS.map((venue) => [
            `${venue}CycleMedianMs`,
            percentiles(cycleReports.map((reports) => reports.find((r) => r.exchange === venue)?.durationMs ?? NaN))
              .median,
          ]),
        ),
        snapshotsWritten: sink.snapshots,
      },
    };
  } finally {
    await service.stop();
    await mock.close();
  }
}

export const market: Bench = {
  name: 'market',
  description:
    'REST requests per minute at a 30 s cadence vs the fewest and the naive loop; cycle time at 2,000 markets',
  async run({ quick }) {
    const perVenue = quick ? 100 : 500;
    const cycles = quick ? 5 : 10;
    return [
      // Every listed market kept fresh, with the open-interest budget that freshness needs.
      await runCase({
        name: `every market (${perVenue * 4})`,
        perVenue,
        cycles,
        minOpenInterestUsd: 0,
        openInterestBudget: fewestOpenInterestRequests(perVenue, TOP_N, SPREAD_CYCLES),
        withGoal: true,
      }),
      // The default settings, for information: markets above 1M USD open interest, 40 open-interest requests per
      // cycle. Few markets pass, so Binance's every-cycle top 20 dominates and the naive loop is only a few times more.
      await runCase({
        name: `defaults, min OI 1M (${perVenue * 4} listed)`,
        perVenue,
        cycles,
        minOpenInterestUsd: 1_000_000,
        openInterestBudget: 40,
        withGoal: false,
      }),
    ];
  },
};
