// Judging a replay against its scenario's expect section, on hand-built passes: no replay runs here.
import { describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/domain/market.js';
import { buildModel } from '../../src/mock-exchange/model.js';
import { parseScenario, type Scenario, type ScenarioInput } from '../../src/mock-exchange/scenario.js';
import {
  atText,
  judgeReplay,
  leadDistribution,
  spanText,
  type HitVerdict,
  type LevelTiming,
} from '../../src/replay/expect.js';
import { backtestFigures, backtestReport, scenarioKind } from '../../src/replay/format.js';
import type { ReplayPass, ReplayResult } from '../../src/replay/replay.js';
import type { RiskLevel } from '../../src/risk/levels.js';

const START = '2025-10-10T18:00:00Z';
const keyframe = (price: number) => ({
  atSec: 0,
  price,
  fundingRate: 0.0001,
  openInterestUsd: 1e9,
  volume24hUsd: 2e9,
  depth1PctUsd: 1e7,
});

const BINANCE_SOL = 'binanceusdm:SOL/USDT:USDT';
const BINANCE_BTC = 'binanceusdm:BTC/USDT:USDT';
const HYPERLIQUID_SOL = 'hyperliquid:SOL/USDC:USDC';

/** SOL crashes on Binance (scripted liquidations, largest minute +3h30m) and Hyperliquid (none); BTC stays quiet. */
function spiralScenario(name = 'sol-spiral', split: 'tuning' | 'holdout' = 'holdout'): Scenario {
  const input: ScenarioInput = {
    name,
    start: START,
    durationSec: 4 * 3600,
    venues: {
      binanceusdm: {
        markets: [
          { base: 'BTC', keyframes: [keyframe(100_000)] },
          {
            base: 'SOL',
            keyframes: [keyframe(200)],
            liquidations: [
              { atSec: 11_000, side: 'long', sizeUsd: 1e6 },
              { atSec: 12_610, side: 'long', sizeUsd: 3e6 },
              { atSec: 12_650, side: 'long', sizeUsd: 2e6 },
            ],
          },
        ],
      },
      hyperliquid: { markets: [{ base: 'SOL', settle: 'USDC', keyframes: [keyframe(200)] }] },
    },
    expect: {
      outcome: 'spiral',
      split,
      hits: [{ base: 'SOL', venues: ['binanceusdm', 'hyperliquid'], warningBySec: 11_280, criticalBySec: 12_000 }],
      quiet: ['BTC'],
    },
  };
  return parseScenario(input);
}

function calmScenario(name = 'quiet-funding'): Scenario {
  return parseScenario({
    name,
    start: START,
    durationSec: 3600,
    venues: { bybit: { markets: [{ base: 'ETH', keyframes: [keyframe(4000)] }] } },
    expect: { outcome: 'calm', split: 'tuning', trap: 'funding runs hot for an hour without any leverage behind it' },
  });
}

/** Passes every minute; each market's level is `calm` until the offsets in `from` say otherwise. */
function passes(
  untilSec: number,
  from: Record<string, Partial<Record<RiskLevel, number>>>,
  marketWideFrom: Partial<Record<RiskLevel, number>> = {},
): ReplayPass[] {
  const levelAt = (steps: Partial<Record<RiskLevel, number>>, t: number): RiskLevel => {
    let level: RiskLevel = 'calm';
    for (const name of ['elevated', 'warning', 'critical'] as const) {
      const since = steps[name];
      if (since !== undefined && t >= since) level = name;
    }
    return level;
  };
  const out: ReplayPass[] = [];
  for (let t = 0; t <= untilSec; t += 60) {
    out.push({
      offsetSec: t,
      at: Date.parse(START) + t * 1000,
      levels: new Map(Object.entries(from).map(([market, steps]) => [market, levelAt(steps, t)])),
      marketWide: levelAt(marketWideFrom, t),
    });
  }
  return out;
}

function replayOf(
  scenario: Scenario,
  replayed: ReplayPass[],
  venues: ExchangeId[] = Object.keys(scenario.venues) as ExchangeId[],
): ReplayResult {
  return {
    scenario,
    model: buildModel(scenario),
    venues,
    stepSec: 60,
    passes: replayed,
    alerts: [],
    wallMs: 1000,
    simulatedSec: scenario.durationSec,
    unsettledSteps: 0,
  };
}

describe('judging a calm scenario', () => {
  it('passes when markets go no higher than elevated', () => {
    const scenario = calmScenario();
    const verdict = judgeReplay(replayOf(scenario, passes(3600, { 'bybit:ETH/USDT:USDT': { elevated: 600 } })));
    expect(verdict).toMatchObject({ outcome: 'calm', split: 'tuning', pass: true, misses: [], raised: [] });
    expect(verdict?.trap).toContain('funding runs hot');
  });

  it('misses when only the market-wide reading reached warning, though no alert may have gone out', () => {
    const scenario = calmScenario();
    const verdict = judgeReplay(
      replayOf(scenario, passes(3600, { 'bybit:ETH/USDT:USDT': { elevated: 600 } }, { warning: 1500 })),
    );
    expect(verdict?.pass).toBe(false);
    expect(verdict?.raised).toEqual([{ market: 'market-wide', offsetSec: 1500 }]);
    expect(verdict?.misses).toEqual(['market-wide reached warning at +25m on a calm scenario']);
  });

  it('judges nothing when the scenario has no expect section', () => {
    const scenario = parseScenario({ ...calmScenario(), expect: undefined });
    expect(judgeReplay(replayOf(scenario, passes(600, {})))).toBeNull();
  });
});

describe('judging a spiral', () => {
  const inTime = {
    [BINANCE_SOL]: { elevated: 9000, warning: 11_520, critical: 11_700 },
    [HYPERLIQUID_SOL]: { warning: 10_800, critical: 11_400 },
    [BINANCE_BTC]: { elevated: 11_000 },
  };

  it('names the market, when it reached the level and by how much it missed its deadline', () => {
    const verdict = judgeReplay(replayOf(spiralScenario(), passes(4 * 3600, inTime)));
    expect(verdict?.pass).toBe(false);
    expect(verdict?.misses).toEqual([
      'binanceusdm:SOL/USDT:USDT reached warning at +3h12m, 4m after its deadline +3h08m',
    ]);
  });

  it('reports per venue the first pass at each level and the leads against the deadline and the liquidations', () => {
    const verdict = judgeReplay(replayOf(spiralScenario(), passes(4 * 3600, inTime)));
    const [binance, hyperliquid] = verdict?.hits ?? [];
    const timingOf = (t: Partial<LevelTiming>) => expect.objectContaining(t) as unknown;
    expect(binance).toMatchObject({
      base: 'SOL',
      venue: 'binanceusdm',
      market: BINANCE_SOL,
      // Two liquidations in the minute starting +3h30m outweigh the one at +3h03m20s.
      largestMinuteSec: 12_600,
      largestMinuteUsd: 5_000_000,
      pass: false,
    });
    expect(binance?.warning).toEqual(
      timingOf({
        reachedSec: 11_520,
        deadlineSec: 11_280,
        leadToDeadlineSec: -240,
        leadToLargestSec: 1080,
        met: false,
      }),
    );
    expect(binance?.critical).toEqual(
      timingOf({ reachedSec: 11_700, deadlineSec: 12_000, leadToDeadlineSec: 300, leadToLargestSec: 900, met: true }),
    );
    // Hyperliquid settles in USDC and streams no liquidations: no lead against a liquidation minute there.
    expect(hyperliquid).toMatchObject({ venue: 'hyperliquid', market: HYPERLIQUID_SOL, largestMinuteSec: null });
    expect(hyperliquid?.warning).toEqual(timingOf({ reachedSec: 10_800, leadToLargestSec: null, met: true }));
    expect(hyperliquid?.pass).toBe(true);
  });

  it('passes when every hit market reached both levels in time and the quiet coin stayed below warning', () => {
    const verdict = judgeReplay(
      replayOf(spiralScenario(), passes(4 * 3600, { ...inTime, [BINANCE_SOL]: { warning: 11_280, critical: 12_000 } })),
    );
    expect(verdict).toMatchObject({ pass: true, misses: [] });
    expect(verdict?.quiet).toEqual([{ base: 'BTC', market: BINANCE_BTC, firstWarningSec: null, pass: true }]);
  });

  it('misses a hit that never reached critical, and a quiet coin that reached warning', () => {
    const verdict = judgeReplay(
      replayOf(
        spiralScenario(),
        passes(4 * 3600, {
          ...inTime,
          [BINANCE_SOL]: { warning: 11_000 },
          [BINANCE_BTC]: { warning: 12_300 },
        }),
      ),
    );
    expect(verdict?.misses).toEqual([
      'binanceusdm:SOL/USDT:USDT never reached critical (deadline +3h20m)',
      'binanceusdm:BTC/USDT:USDT should stay below warning (BTC is quiet) but reached warning at +3h25m',
    ]);
  });

  it('misses every hit on a venue that was not replayed', () => {
    const verdict = judgeReplay(replayOf(spiralScenario(), passes(4 * 3600, inTime), ['binanceusdm']));
    expect(verdict?.hits[1]).toMatchObject({ venue: 'hyperliquid', market: null, pass: false });
    expect(verdict?.misses).toContain('hyperliquid:SOL: hyperliquid was not replayed');
  });
});

describe('lead figures', () => {
  const hit = (warningLead: number | null, met: boolean): HitVerdict => {
    const t: LevelTiming = {
      reachedSec: 0,
      deadlineSec: 0,
      leadToDeadlineSec: 0,
      leadToLargestSec: warningLead,
      met,
    };
    return {
      base: 'X',
      venue: 'bybit',
      market: 'bybit:X/USDT:USDT',
      largestMinuteSec: null,
      largestMinuteUsd: null,
      warning: t,
      critical: { ...t, met: false },
      pass: met,
    };
  };

  it('gives the minimum, median and maximum lead over the markets with one, and hit of expected', () => {
    const hits = [hit(600, true), hit(-120, false), hit(null, true), hit(1800, true), hit(300, true)];
    expect(leadDistribution(hits, 'warning')).toEqual({
      expected: 5,
      hit: 4,
      measured: 4,
      minSec: -120,
      medianSec: 450,
      maxSec: 1800,
    });
    expect(leadDistribution([], 'critical')).toEqual({
      expected: 0,
      hit: 0,
      measured: 0,
      minSec: null,
      medianSec: null,
      maxSec: null,
    });
  });

  it('writes spans exactly to the second', () => {
    expect(spanText(240)).toBe('4m');
    expect(spanText(11_520)).toBe('3h12m');
    expect(spanText(3930)).toBe('1h05m30s');
    expect(spanText(45)).toBe('45s');
    expect(spanText(0)).toBe('0m');
    expect(atText(-300)).toBe('-5m');
  });
});

describe('the backtest report', () => {
  it('takes the kind from the expect section before the name', () => {
    expect(scenarioKind({ name: 'calm-before-the-storm', expect: spiralScenario().expect })).toBe('crash');
    expect(scenarioKind({ name: 'looks-like-a-crash', expect: calmScenario().expect })).toBe('calm');
    expect(scenarioKind({ name: 'calm-day-3' })).toBe('calm');
  });

  it('reports the tuning and holdout splits separately, with a summary line each and the misses', () => {
    const calm = backtestFigures(replayOf(calmScenario(), passes(3600, {})));
    const spiral = backtestFigures(
      replayOf(
        spiralScenario(),
        passes(4 * 3600, {
          [BINANCE_SOL]: { elevated: 9000, warning: 11_520, critical: 11_700 },
          [HYPERLIQUID_SOL]: { warning: 10_800, critical: 11_400 },
        }),
      ),
    );
    expect(calm).toMatchObject({ kind: 'calm', split: 'tuning', verdict: 'pass', falseAlarms: 0, warning: null });
    expect(spiral).toMatchObject({ kind: 'crash', split: 'holdout', verdict: 'miss', falseAlarms: 0 });
    expect(spiral.warning).toMatchObject({ expected: 2, hit: 1, measured: 1, minSec: 1080, maxSec: 1080 });
    const report = backtestReport([calm, spiral]);
    const tuning = report.indexOf('## Tuning scenarios');
    const holdout = report.indexOf('## Holdout scenarios');
    expect(tuning).toBeGreaterThanOrEqual(0);
    expect(holdout).toBeGreaterThan(tuning);
    expect(report.slice(tuning, holdout)).toContain('| quiet-funding | calm | pass |');
    expect(report.slice(holdout)).toContain('| sol-spiral | crash | miss |');
    expect(report).toContain('tuning: 1 of 1 scenarios pass;');
    expect(report).toContain('holdout: 0 of 1 scenarios pass; warning by its deadline on 1 of 2 markets, lead 18m');
    expect(report).toContain(
      '- sol-spiral: binanceusdm:SOL/USDT:USDT reached warning at +3h12m, 4m after its deadline +3h08m',
    );
  });
});
