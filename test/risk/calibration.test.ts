// The cascade estimator's calibration on the reference events (docs/risk.md, "Calibration"): each scenario is
// replayed through the real pipeline (mock exchange, ccxt, the SQLite store) up to the last pass before its crash,
// the risk loop runs on the stored history, and the liquidations the estimate gives for the move that followed
// must be within a factor of 1.5 of the published share of open interest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import type { ScenarioModel } from '../../src/mock-exchange/model.js';
import { createRiskLoop } from '../../src/pipeline/riskLoop.js';
import { replayScenario } from '../../src/replay/replay.js';
import { realisedMoveLiquidation } from '../../src/risk/stressGrid.js';
import type { RealisedMove, RealisedMoveLiquidation } from '../../src/risk/stressGrid.js';
import { openStore } from '../../src/store/index.js';
import { loadScenarioFile } from '../market/helpers.js';

/** Coarse passes keep each replay to a few seconds; the estimate is the same at 60 s (the lead-ins are smooth). */
const STEP_SEC = 300;
const DAY_SEC = 24 * 60 * 60;
/** What the calibration must hold to; as calibrated the estimates sit within CALIBRATED of the published shares. */
const FACTOR = 1.5;
const CALIBRATED = 1.25;

interface ReferenceEvent {
  scenario: string;
  /** The last pass before the crash, seconds from the scenario's start. */
  untilSec: number;
  /** Published liquidations in the 24 h of the event and total open interest just before it, USD. */
  liquidatedUsd: number;
  openInterestUsd: number;
}

const EVENTS: readonly ReferenceEvent[] = [
  {
    // 20:50 UTC, just before BTC fell from 122.6k to 104.8k. About $19B liquidated in 24 h (CoinGlass); total
    // open interest about $220B just before the crash (CoinGlass, as reported by Decrypt; a record $230-236B on
    // 7 October): 8.6%.
    scenario: 'crash-2025-10-10',
    untilSec: 10_800,
    liquidatedUsd: 19e9,
    openInterestUsd: 220e9,
  },
  {
    // 08:00 UTC, when the day's fall from 42.6k to a low near 30k (13:25 UTC) begins. About $8.6B liquidated in
    // 24 h (Bybt); open interest before it: BTC about $17.4B and ETH about $9.5B (Bybt, from the 24 h falls of
    // 25.9% and 30% it reported during the crash), other coins assumed at half of that again, about $40B: 21%.
    scenario: 'crash-2021-05-19',
    untilSec: 14_400,
    liquidatedUsd: 8.6e9,
    openInterestUsd: 40e9,
  },
];

/** Each market's move down from the price at `fromSec` to its lowest scripted price in the day after. */
function realisedMoves(model: ScenarioModel, fromSec: number): Map<string, RealisedMove> {
  const moves = new Map<string, RealisedMove>();
  for (const [venue, venueModel] of model.venues) {
    for (const market of venueModel.markets) {
      const start = market.stateAt(fromSec).price;
      let low = start;
      for (const knot of market.priceKnots) {
        if (knot > fromSec && knot <= fromSec + DAY_SEC) low = Math.min(low, market.stateAt(knot).price);
      }
      moves.set(`${venue}:${market.symbol}`, { move: 1 - low / start, direction: 'down' });
    }
  }
  return moves;
}

/**
 * Replays `event` up to its last pass before the crash into a store, then runs the risk loop on that store at
 * that time (no leverage tiers: the default 0.5% maintenance margin, where the mock's first tiers are 0.4-0.5%).
 */
async function estimateAtLastPass(event: ReferenceEvent): Promise<RealisedMoveLiquidation> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spiralwatch-calibration-'));
  try {
    const replay = await replayScenario({
      scenario: loadScenarioFile(event.scenario),
      stepSec: STEP_SEC,
      untilSec: event.untilSec,
      dataDir,
    });
    expect(replay.passes.at(-1)?.offsetSec).toBe(event.untilSec);
    const at = replay.model.startMs + event.untilSec * 1000;
    const store = openStore({ dataDir, retentionDays: 7, now: () => at, onRejected: () => undefined });
    try {
      const loop = createRiskLoop({ market: store, sinks: [], now: () => at, log: silentLogger });
      loop.runOnce();
      const cycle = loop.latest();
      if (cycle === undefined) throw new Error('the risk pass failed');
      const moves = realisedMoves(replay.model, event.untilSec);
      return realisedMoveLiquidation([...cycle.profiles.values()], (profile) => moves.get(profile.market) ?? null);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('cascade calibration on the reference events', () => {
  for (const event of EVENTS) {
    it(`estimates ${event.scenario} within a factor of ${FACTOR} of the published share`, async () => {
      const published = event.liquidatedUsd / event.openInterestUsd;
      const estimate = await estimateAtLastPass(event);
      // Every market of the scenario was estimated, each with the move it made.
      expect(estimate.markets.length).toBeGreaterThan(0);
      expect(estimate.markets.every((m) => m.move > 0.1)).toBe(true);
      const ratio = estimate.shareOfOi / published;
      expect(ratio).toBeGreaterThanOrEqual(1 / FACTOR);
      expect(ratio).toBeLessThanOrEqual(FACTOR);
      // Before the hedged share the ratios were 1.49 and 1.42, at the edge of the factor: keep the margin.
      expect(ratio).toBeGreaterThanOrEqual(1 / CALIBRATED);
      expect(ratio).toBeLessThanOrEqual(CALIBRATED);
    }, 60_000);
  }
});
