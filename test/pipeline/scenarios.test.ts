// The whole middle of the flow on the mock exchange: real ccxt clients poll the scenario and stream its liquidations
// into a real SQLite store on a stepped clock, and the risk loop scores every market after each poll, as the bot does.
// The replay itself lives in src/replay (one implementation for tests, `replay`, `backtest` and the demo).
import { describe, expect, it } from 'vitest';
import { largestLiquidationMinutes, LEVEL_RANK as RANK, replayScenario } from '../../src/replay/replay.js';
import { loadScenarioFile } from '../market/helpers.js';

const STEP_SEC = 60;
const WATCHED = ['binanceusdm', 'bybit', 'okx'] as const;

/**
 * Replays `name` up to `untilSec` (without its scripted faults, which the market tests cover) and returns each
 * pass's levels and the alerts decided for one chat subscribed to everything from elevated up.
 */
async function replay(name: string, untilSec: number) {
  // Hyperliquid streams no liquidations: three venues keep the replay quick.
  const result = await replayScenario({
    scenario: loadScenarioFile(name),
    stepSec: STEP_SEC,
    untilSec,
    venues: WATCHED,
    minLevel: 'elevated',
  });
  return { model: result.model, passes: result.passes, alerts: result.alerts };
}

describe('scenario replays through the risk loop', () => {
  it('raises a market of the crash to warning before its largest liquidation minute', async () => {
    const { model, passes, alerts } = await replay('crash', 1800);
    // Each market's largest scripted liquidation minute, in seconds from the scenario's start.
    const largest = largestLiquidationMinutes(model, WATCHED);
    const warnedEarly = [...largest].filter(([market, { minuteSec }]) => {
      const first = passes.find((p) => RANK[p.levels.get(market) ?? 'calm'] >= RANK.warning);
      return first !== undefined && first.offsetSec < minuteSec;
    });
    expect(warnedEarly.map(([market]) => market)).not.toEqual([]);
    // The alert that says so reaches the subscribed chat.
    const [market] = warnedEarly[0] ?? [''];
    expect(alerts.some((a) => a.markets.some((m) => m.market === market && RANK[m.level] >= RANK.warning))).toBe(true);
  }, 240_000);

  it('keeps every market of the calm scenario calm', async () => {
    const { passes, alerts } = await replay('calm', 3600);
    expect(passes.length).toBeGreaterThan(50);
    const raised = passes.flatMap((p) =>
      [...p.levels].filter(([, level]) => level !== 'calm').map(([m, l]) => `${m} ${l}`),
    );
    expect(raised).toEqual([]);
    expect(alerts).toEqual([]);
  }, 240_000);
});
