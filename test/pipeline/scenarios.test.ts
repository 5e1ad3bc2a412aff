// The whole middle of the flow on the mock exchange: real ccxt clients poll the scenario and stream its liquidations
// into a real SQLite store on a stepped clock, and the risk loop scores every market after each poll, as the bot does.
// The replay itself lives in src/replay (one implementation for tests, `replay`, `backtest` and the demo).
import { describe, expect, it } from 'vitest';
import { coinOf } from '../../src/alerts/rules.js';
import { DEFAULT_ALERT_RULES } from '../../src/alerts/types.js';
import { renderText } from '../../src/chat/text.js';
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

/** The crash's first half hour, replayed once for the tests that read it. */
let crash: ReturnType<typeof replay> | undefined;
const crashReplay = () => (crash ??= replay('crash', 1800));

describe('scenario replays through the risk loop', () => {
  it('raises a market of the crash to warning before its largest liquidation minute', async () => {
    const { model, passes, alerts } = await crashReplay();
    // Each market's largest scripted liquidation minute, in seconds from the scenario's start.
    const largest = largestLiquidationMinutes(model, WATCHED);
    const warnedEarly = [...largest].filter(([market, { minuteSec }]) => {
      const first = passes.find((p) => RANK[p.levels.get(market) ?? 'calm'] >= RANK.warning);
      return first !== undefined && first.offsetSec < minuteSec;
    });
    expect(warnedEarly.map(([market]) => market)).not.toEqual([]);
    // An alert that says so reaches the subscribed chat by then: its coin's, which may have named another venue first.
    const [market, { minuteSec }] = warnedEarly[0] ?? ['', { minuteSec: 0 }];
    const coin = coinOf(market);
    const told = alerts.find((a) => a.markets.some((m) => coinOf(m.market) === coin && RANK[m.level] >= RANK.warning));
    expect(told?.offsetSec ?? Infinity).toBeLessThan(minuteSec);
  }, 240_000);

  it('alerts each coin once per level within the cooldown, and says no phrase twice in an alert', async () => {
    const { alerts } = await crashReplay();
    expect(alerts).not.toEqual([]);
    const told = new Map<string, number>();
    for (const alert of alerts) {
      if (alert.kind === 'allClear') continue;
      // Each coin at the highest level the alert names for it.
      const coins = new Map<string, number>();
      for (const { market, level } of alert.markets)
        coins.set(coinOf(market), Math.max(coins.get(coinOf(market)) ?? 0, RANK[level]));
      for (const [coin, level] of coins) {
        const key = `${coin} ${level}`;
        const before = told.get(key);
        expect(before === undefined || alert.at - before >= DEFAULT_ALERT_RULES.cooldownMs, key).toBe(true);
        told.set(key, alert.at);
      }
      const phrases = renderText(alert.reply)
        .split(/\n|; |, /)
        .map((p) => p.replace(/^[•\s]+/, '').trim())
        .filter((p) => p.length >= 8);
      expect(phrases.filter((p, i) => phrases.indexOf(p) !== i)).toEqual([]);
    }
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
