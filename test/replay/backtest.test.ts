// The backtest over the bundled test scenarios: the crash warns before its largest liquidation minute, the calm
// hour raises no warning at all.
import { describe, expect, it } from 'vitest';
import { runBacktestCommand } from '../../src/cli/replay.js';
import type { BacktestFigures } from '../../src/replay/format.js';

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
    expect(table).toMatch(/^\| scenario \| kind \|/);
    expect(table).toMatch(
      /\| calm \| calm \| 1h00m from 2025-10-08 12:00 UTC \| - \| none \| - \| none \| - \| - \| 0 \| 0 \|/,
    );
  }, 60_000);

  it('refuses an unknown scenario with exit code 1', async () => {
    const lines: string[] = [];
    expect(await runBacktestCommand(['crash', 'nope'], (text) => lines.push(text))).toBe(1);
    expect(lines.join('\n')).toContain('no scenario "nope"');
  });
});
