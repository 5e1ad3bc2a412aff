// A small scenario replayed through the whole pipeline gives the same alert timeline on every run, and the one
// checked in under golden/ (UPDATE_GOLDEN=1 rewrites it after an intended change of the risk engine or the rules).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runReplayCommand } from '../../src/cli/replay.js';
import { timelineText } from '../../src/replay/format.js';
import { replayScenario, type ReplayResult } from '../../src/replay/replay.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/small-crash.json', import.meta.url));
const GOLDEN = fileURLToPath(new URL('./golden/small-crash.txt', import.meta.url));

/** The timeline and every raised level of every pass: what must not change between runs. */
function goldenText(result: ReplayResult): string {
  const raised = result.passes.flatMap((pass) =>
    [...pass.levels]
      .filter(([, level]) => level !== 'calm')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([market, level]) => `+${pass.offsetSec}s ${market} ${level}`),
  );
  return [timelineText(result), '', 'raised levels per pass:', ...raised, ''].join('\n');
}

describe('replay', () => {
  it('replays a small crash into the golden alert timeline, the same on a second run', async () => {
    // Pinned to one-minute passes: the golden timeline was recorded at that step (the default follows RISK_CRON).
    const first = await replayScenario({ file: FIXTURE, stepSec: 60 });
    const second = await replayScenario({ file: FIXTURE, stepSec: 60 });
    expect(first.unsettledSteps).toBe(0);
    expect(first.passes).toHaveLength(26);
    expect(first.alerts.length).toBeGreaterThan(0);
    const text = goldenText(first);
    expect(goldenText(second)).toBe(text);
    if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  }, 60_000);

  it('prints one JSON object per alert and then a summary with --json', async () => {
    const lines: string[] = [];
    const code = await runReplayCommand([FIXTURE, '--json', '--step', '60'], (text) => lines.push(text));
    expect(code).toBe(0);
    const objects = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const summary = objects.at(-1);
    expect(summary).toMatchObject({ type: 'summary', scenario: 'small-crash', stepSec: 60, passes: 26 });
    const alerts = objects.slice(0, -1);
    expect(alerts.every((a) => a['type'] === 'alert')).toBe(true);
    expect(summary?.['alerts']).toBe(alerts.length);
    // The same timeline as the golden file: time, level and market of each alert.
    const golden = readFileSync(GOLDEN, 'utf8').split('\n');
    for (const alert of alerts) {
      const time = String(alert['time']).slice(11, 16);
      expect(golden.some((l) => l.startsWith(time) && l.includes(` ${String(alert['market'])} `))).toBe(true);
    }
  }, 60_000);

  it('refuses an unknown scenario and a bad option with exit code 1', async () => {
    const lines: string[] = [];
    expect(await runReplayCommand(['no-such-scenario'], (t) => lines.push(t))).toBe(1);
    expect(lines.join('\n')).toContain('crash');
    expect(await runReplayCommand(['crash', '--speed', 'fast'], (t) => lines.push(t))).toBe(1);
    expect(await runReplayCommand([], (t) => lines.push(t))).toBe(1);
  });
});
