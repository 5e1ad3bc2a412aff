// Scenario-shaped tests on synthetic histories: a calm day, and a market that loads up for six hours and then
// crashes 12% in 20 minutes with a burst of long liquidations (the shape of 2025-10-10, scaled down to one market).
import { describe, expect, it } from 'vitest';
import { assessMarket } from '../../src/risk/assess.js';
import type { MarketAssessment } from '../../src/risk/assess.js';
import { estimateCascade } from '../../src/risk/cascade.js';
import type { RiskLevel } from '../../src/risk/levels.js';
import type { MarketHistory } from '../../src/domain/market.js';
import { BASE_TIME, HOUR, MINUTE, gaussian, historyFromWorld, prng } from './histories.js';
import type { World } from './histories.js';

const STEP = 30_000;
/** The crash starts here. */
const CRASH = BASE_TIME;
const START = CRASH - 30 * HOUR;

const smoothstep = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x));
const ramp = (t: number, from: number, spanMs: number): number => smoothstep((t - from) / spanMs);

/** Random numbers fixed per 30 s step, so the world is a pure function of time. */
function noiseTrack(seed: number, count: number): Float64Array {
  const random = prng(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = gaussian(random);
  return out;
}

function scenarioWorld(options: { crash: boolean }): World {
  const steps = Math.ceil((2 * HOUR + CRASH - START) / STEP) + 2;
  const priceNoise = noiseTrack(1, steps);
  const oiNoise = noiseTrack(2, steps);
  const liqNoise = noiseTrack(3, steps);
  const walk = new Float64Array(steps);
  for (let i = 1; i < steps; i++) walk[i] = (walk[i - 1] as number) + 0.0005 * (priceNoise[i] as number);
  const index = (t: number): number => Math.max(0, Math.min(steps - 1, Math.round((t - START) / STEP)));
  const loading = (t: number): number => (options.crash ? ramp(t, CRASH - 6 * HOUR, 6 * HOUR) : 0);
  const crashing = (t: number, spanMs: number): number => (options.crash ? ramp(t, CRASH, spanMs) : 0);
  return {
    price: (t) =>
      100 * Math.exp(walk[index(t)] as number) * (1 + 0.02 * loading(t)) * (1 - 0.12 * crashing(t, 20 * MINUTE)),
    openInterestCoins: (t) =>
      1_000_000 *
      (1 + 0.002 * (oiNoise[index(t)] as number)) *
      (1 + 0.25 * loading(t)) *
      (1 - 0.25 * crashing(t, 30 * MINUTE)),
    fundingRate: (t) => 0.0001 + 0.0003 * loading(t) - 0.0006 * crashing(t, 20 * MINUTE),
    basis: (t) => 0.0003 + 0.0022 * loading(t) - 0.006 * crashing(t, 10 * MINUTE),
    depthScale: (t) => 1 - 0.7 * crashing(t, 10 * MINUTE),
    liquidations: (minuteAt) => {
      const n = liqNoise[index(minuteAt)] as number;
      const usual = n > 0.3 ? 8_000 * Math.exp(n) : 0;
      const k = (minuteAt - CRASH) / MINUTE;
      const burst = options.crash && k >= 0 && k <= 25 ? 30_000_000 * Math.exp(-(((k - 10) / 4) ** 2)) : 0;
      return { longUsd: usual + burst, shortUsd: n < -1.2 ? 5_000 : 0 };
    },
  };
}

/** What the store holds at `now`: 24 h, every 5 min beyond the last 2 h and every 30 s within them. */
function storeView(h: MarketHistory, now: number): MarketHistory {
  return {
    ...h,
    snapshots: h.snapshots.filter(
      (s) => s.at <= now && s.at > now - 24 * HOUR && (s.at >= now - 2 * HOUR || s.at % (5 * MINUTE) === 0),
    ),
    liquidationBuckets: h.liquidationBuckets.filter((b) => b.minuteAt <= now && b.minuteAt > now - 24 * HOUR),
  };
}

function fullHistory(world: World, until: number): MarketHistory {
  const times: number[] = [];
  for (let t = START; t <= until; t += STEP) times.push(t);
  return historyFromWorld(world, times, until);
}

/** Assesses every `stepMs` from `from` to `to`, carrying the level forward (hysteresis). */
function walk(h: MarketHistory, from: number, to: number, stepMs: number): MarketAssessment[] {
  const out: MarketAssessment[] = [];
  let level: RiskLevel | null = null;
  for (let t = from; t <= to; t += stepMs) {
    const a = assessMarket(storeView(h, t), t, { previousLevel: level, liquidationCoverage: 'sampled' });
    level = a.level;
    out.push(a);
  }
  return out;
}

describe('scenario: a calm day', () => {
  it('scores calm and quiet throughout its last six hours', () => {
    const h = fullHistory(scenarioWorld({ crash: false }), CRASH);
    const series = walk(h, CRASH - 6 * HOUR, CRASH, 10 * MINUTE);
    const worst = Math.max(...series.map((a) => a.score));
    expect(series.every((a) => a.level === 'calm')).toBe(true);
    expect(series.every((a) => a.regime.regime === 'quiet')).toBe(true);
    expect(worst).toBeLessThan(15);
    expect(series.every((a) => a.confidence === 1)).toBe(true);
  });
});

describe('scenario: loaded, then crashing', () => {
  const world = scenarioWorld({ crash: true });
  const h = fullHistory(world, CRASH + HOUR);
  const buckets = h.liquidationBuckets.filter((b) => b.side === 'long');
  const peak = buckets.reduce((best, b) => (b.sizeUsd > best.sizeUsd ? b : best));

  it('is loaded before the crash, with leverage and funding in its reasons', () => {
    const before = assessMarket(storeView(h, CRASH - MINUTE), CRASH - MINUTE, { liquidationCoverage: 'sampled' });
    expect(before.regime.regime).toBe('loaded');
    expect(before.level).not.toBe('calm');
    const top = [...before.reasons]
      .sort((a, b) => b.points - a.points)
      .slice(0, 2)
      .map((r) => r.component);
    expect(top).toEqual(expect.arrayContaining(['leverageBuildUp', 'fundingCrowding']));
    // A shock down would be amplified: the new positions' levels sit close below the price.
    const cascade = estimateCascade({ history: storeView(h, CRASH - MINUTE), now: CRASH - MINUTE, shock: 0.03 });
    expect(cascade.ok && cascade.amplification).toBeGreaterThan(1);
  });

  it('warns while loaded, and reaches critical unwinding no later than its largest liquidation minute', () => {
    const series = walk(h, CRASH - 30 * MINUTE, peak.minuteAt + 10 * MINUTE, MINUTE);
    const firstWarning = series.find((a) => a.level === 'warning' || a.level === 'critical');
    expect(firstWarning).toBeDefined();
    expect(firstWarning?.at).toBeLessThanOrEqual(peak.minuteAt - 5 * MINUTE);
    const firstCritical = series.find((a) => a.level === 'critical');
    expect(firstCritical).toBeDefined();
    expect(firstCritical?.at).toBeLessThanOrEqual(peak.minuteAt);
    expect(firstCritical?.regime.regime).toBe('unwinding');
    const reasons = firstCritical?.reasons.filter((r) => r.points > 0).map((r) => r.component);
    expect(reasons).toContain('liquidationSurge');
    // Once there, it does not fall back below warning while the crash goes on.
    const after = series.filter((a) => a.at >= (firstWarning?.at ?? 0));
    expect(after.every((a) => a.level === 'warning' || a.level === 'critical')).toBe(true);
  });
});
