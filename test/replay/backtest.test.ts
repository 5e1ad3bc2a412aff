// The backtest over the bundled test scenarios: the crash warns before its largest liquidation minute, the calm
// hour raises no warning at all; every pass is one fixed step whatever the scenario holds; a scenario whose
// expectations are not met makes the command exit 1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBacktestCommand, runReplayCommand } from '../../src/cli/replay.js';
import type { ScenarioInput } from '../../src/mock-exchange/scenario.js';
import type { BacktestFigures } from '../../src/replay/format.js';
import { DEFAULT_RISK_PARAMETERS } from '../../src/risk/parameters.js';

const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-backtest-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One Bybit BTC market, flat, with a burst of long liquidations from `burstSec` for five minutes. */
function oneMarket(name: string, durationSec: number, burstSec: number | null): ScenarioInput {
  return {
    name,
    start: '2025-10-08T00:00:00Z',
    durationSec,
    venues: {
      bybit: {
        markets: [
          {
            base: 'BTC',
            keyframes: [
              {
                atSec: 0,
                price: 100_000,
                fundingRate: 0.0001,
                openInterestUsd: 5e9,
                volume24hUsd: 1e10,
                depth1PctUsd: 5e7,
                longShortRatio: 1.2,
              },
            ],
            liquidations:
              burstSec === null
                ? []
                : [{ fromSec: burstSec, toSec: burstSec + 300, side: 'long', perSecond: 2, sizeUsd: 50_000 }],
          },
        ],
      },
    },
  };
}

function writeScenario(file: string, scenario: ScenarioInput): string {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(scenario));
  return path;
}

describe('backtest', () => {
  it('warns ahead of the crash and raises no false alarm in the calm hour', async () => {
    const lines: string[] = [];
    const code = await runBacktestCommand(['crash', 'calm', '--json'], (text) => lines.push(text));
    expect(code).toBe(0);
    const [crash, calm] = lines.map((line) => JSON.parse(line) as BacktestFigures);
    expect(crash).toMatchObject({ scenario: 'crash', kind: 'crash' });
    expect(crash?.firstWarningSec).not.toBeNull();
    expect(crash?.largestMinuteSec).not.toBeNull();
    expect(crash?.firstWarningSec ?? Infinity).toBeLessThan(crash?.largestMinuteSec ?? 0);
    expect(crash?.warningLeadSec ?? 0).toBeGreaterThan(0);
    expect(crash?.marketsWarnedEarly ?? 0).toBeGreaterThan(0);
    expect(crash?.alertsSent ?? 0).toBeGreaterThan(0);
    expect(calm).toMatchObject({ scenario: 'calm', kind: 'calm', warnings: 0, falseAlarms: 0, firstWarningSec: null });
  }, 120_000);

  it('prints the figures as a table, one row per scenario', async () => {
    const lines: string[] = [];
    expect(await runBacktestCommand(['calm'], (text) => lines.push(text))).toBe(0);
    const table = lines.join('\n');
    expect(table).toMatch(/^\| scenario \| kind \|/m);
    expect(table).toMatch(
      /\| calm \| calm \| 1h00m from 2025-10-08 12:00 UTC \| - \| none \| - \| none \| - \| - \| 0 \| 0 \|/,
    );
  }, 60_000);

  it('refuses an unknown scenario with exit code 1', async () => {
    const lines: string[] = [];
    expect(await runBacktestCommand(['crash', 'nope'], (text) => lines.push(text))).toBe(1);
    expect(lines.join('\n')).toContain('no scenario "nope"');
  });

  it('steps the same whatever the scenario holds: liquidations early or late give the same passes', async () => {
    // Five hours: the old plan stepped scenarios over four hours coarsely until two hours before their largest
    // liquidation minute, so where the liquidations sat decided where the replay looked closely.
    const early = writeScenario('early.json', oneMarket('liquidations-early', 5 * 3600, 3600));
    const late = writeScenario('late.json', oneMarket('liquidations-late', 5 * 3600, 4.5 * 3600));
    const passes: unknown[] = [];
    for (const file of [early, late]) {
      const lines: string[] = [];
      expect(await runReplayCommand([file, '--json', '--step', '120'], (t) => lines.push(t))).toBe(0);
      const summary = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
      passes.push({ stepSec: summary['stepSec'], passes: summary['passes'] });
      const rows: string[] = [];
      expect(await runBacktestCommand([file, '--json', '--step', '120'], (t) => rows.push(t))).toBe(0);
      const row = JSON.parse(rows[0] ?? '{}') as BacktestFigures;
      passes.push({ stepSec: row.stepSec, passes: row.passes });
    }
    // 0, 120, ..., 18000 s: one pass per step from the first to the last.
    expect(passes).toEqual(Array.from({ length: 4 }, () => ({ stepSec: 120, passes: 151 })));
  }, 240_000);

  it('exits 1 after printing everything when a scenario misses its expectations', async () => {
    const file = writeScenario('unmet.json', {
      ...oneMarket('flat-but-expected-to-crash', 600, null),
      // A flat market cannot reach critical within its first minute.
      expect: {
        outcome: 'spiral',
        split: 'holdout',
        hits: [{ base: 'BTC', venues: ['bybit'], warningBySec: 30, criticalBySec: 60 }],
      },
    });
    const lines: string[] = [];
    expect(await runBacktestCommand([file, '--step', '60'], (t) => lines.push(t))).toBe(1);
    const text = lines.join('\n');
    expect(text).toContain('## Holdout scenarios');
    expect(text).toMatch(/\| flat-but-expected-to-crash \| crash \| miss \|/);
    expect(text).toContain('holdout: 0 of 1 scenarios pass');
    expect(text).toMatch(/- flat-but-expected-to-crash: bybit:BTC\/USDT:USDT (never reached|reached) critical/);
    const json: string[] = [];
    expect(await runBacktestCommand([file, '--json', '--step', '60'], (t) => json.push(t))).toBe(1);
    expect(JSON.parse(json[0] ?? '{}')).toMatchObject({ verdict: 'miss', split: 'holdout' });
  }, 120_000);

  it('refuses a parameter file that is missing, not JSON or invalid, naming the file and each bad path', async () => {
    // A numeric leaf of the defaults set to a string, and another section replaced by a number: whatever the
    // parameters are named, both must be refused.
    const sections = Object.entries(DEFAULT_RISK_PARAMETERS).filter(([, v]) => typeof v === 'object' && v !== null);
    const [first = '', firstSection = {}] = sections[0] ?? [];
    const [second = ''] = sections[1] ?? [];
    const leaf = Object.entries(firstSection as Record<string, unknown>).find(([, v]) => typeof v === 'number')?.[0];
    const bad = writeScenario('bad-params.json', { [first]: { [leaf ?? 'x']: 'high' }, [second]: 7 } as never);
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, '{ weights: 1 ');
    for (const command of [runBacktestCommand, runReplayCommand]) {
      const lines: string[] = [];
      expect(await command(['calm', '--params', bad], (t) => lines.push(t))).toBe(1);
      const text = lines.join('\n');
      expect(text).toContain(`${bad} is not a valid set of risk parameters`);
      expect(text).toContain(`${first}.${leaf ?? 'x'}:`);
      expect(text).toContain(`${second}:`);
      lines.length = 0;
      expect(await command(['calm', '--params', notJson], (t) => lines.push(t))).toBe(1);
      expect(lines.join('\n')).toContain(`${notJson} is not JSON`);
      lines.length = 0;
      expect(await command(['calm', '--params', join(dir, 'none.json')], (t) => lines.push(t))).toBe(1);
      expect(lines.join('\n')).toContain(`cannot read ${join(dir, 'none.json')}`);
    }
  });

  it('replays with a valid parameter file of overrides', async () => {
    const empty = join(dir, 'no-overrides.json');
    writeFileSync(empty, '{}');
    const file = writeScenario('short.json', oneMarket('short', 120, null));
    const lines: string[] = [];
    expect(await runReplayCommand([file, '--json', '--params', empty], (t) => lines.push(t))).toBe(0);
    expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({ type: 'summary', stepSec: 30, passes: 5 });
  }, 60_000);
});
