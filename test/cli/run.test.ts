import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { DEFAULT_STEP_SEC } from '../../src/replay/cadence.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(argv, (text) => lines.push(text));
  return { code, out: lines.join('\n') };
}

describe('the command line', () => {
  it('prints an entry with its title on the first line and exits 0', async () => {
    const { code, out } = await cli('term', 'ADL (Auto-Deleveraging)');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('Auto-deleveraging');
  });

  it('answers an unknown term on stdout as JSON with --json and exits 1', async () => {
    const { code, out } = await cli('term', 'moon', 'lambo', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ error: 'unknownTerm', title: 'No entry' });
  });

  it('prints a replay as one JSON object per line, then a summary, with --json', async () => {
    const { code, out } = await cli('replay', 'crash', '--json');
    expect(code).toBe(0);
    const objects = out
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { type: string });
    // The hour of the crash at the bot's own cadence, a pass at the start and one at every step after it.
    expect(objects.at(-1)).toMatchObject({
      type: 'summary',
      scenario: 'crash',
      stepSec: DEFAULT_STEP_SEC,
      passes: 3600 / DEFAULT_STEP_SEC + 1,
    });
    expect(objects.slice(0, -1).every((o) => o.type === 'alert')).toBe(true);
  }, 60_000);

  it('works as npm run -s cli, as the README says', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'cli', '--', 'term', 'ADL (Auto-Deleveraging)'], {
      cwd: ROOT,
    });
    expect(stdout.split('\n')[0]).toBe('Auto-deleveraging');
  }, 60_000);
});
