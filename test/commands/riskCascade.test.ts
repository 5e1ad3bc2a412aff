import { describe, expect, it } from 'vitest';
import { cascadeCommand } from '../../src/commands/cascade.js';
import type { CommandContext, Services } from '../../src/commands/command.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { riskCommand } from '../../src/commands/risk.js';
import { SCORE_COMPONENTS } from '../../src/risk/score.js';
import { marketReader as reader, NOW, readerOf } from '../marketReader.js';
import { fakeGlossary } from './fakeGlossary.js';

function run(name: string, words: string[], services: Partial<Services> = { market: reader }) {
  const context: CommandContext = {
    services: { glossary: fakeGlossary([]), ...services },
    now: NOW,
    caller: { platform: 'cli', canManageSubscriptions: true },
    commands: [riskCommand, cascadeCommand],
  };
  return dispatch({ name, kind: 'words', words }, context, (error) => {
    throw error;
  });
}

describe('risk', () => {
  it('gives the market-wide score with the markets that drive it and a stress figure', async () => {
    const answer = await run('risk', []);
    expect(answer.title).toMatch(/^Market-wide spiral risk: \d+\/100 \((calm|elevated|warning|critical)\)$/);
    expect(answer.body).toMatch(
      /A 10% drop would force about \$[\d.]+[kMB]? of liquidations across 2 watched markets \(estimate, calibrated on 2025-10-10 and 2021-05-19\)\./,
    );
    expect(answer.fields[0]?.value.split('\n')[0]).toMatch(/^BTC\/USDT:USDT on binanceusdm: \d+ /);
  });

  it('explains one market: components whose points add up to the score, and glossary pointers', async () => {
    const answer = await run('risk', ['BTC']);
    const score = Number(/: (\d+)\/100/.exec(answer.title)?.[1]);
    const points = answer.fields
      .map((f) => /: (\d+)\/\d+$/.exec(f.name)?.[1])
      .filter((p) => p !== undefined)
      .map(Number);
    expect(points).toHaveLength(SCORE_COMPONENTS.length);
    expect(points.reduce((a, b) => a + b, 0)).toBe(score);
    expect(answer.title).toMatch(/loaded|quiet|unwinding/);
    expect(answer.links.map((l) => l.command)).toContain('term open-interest');
  });

  it('answers an unknown symbol with close matches', async () => {
    const answer = await run('risk', ['ETC']);
    expect(answer.error?.id).toBe('unknownSymbol');
  });

  it('says so when there is no market data', async () => {
    expect((await run('risk', [], {})).error?.id).toBe('noData');
    expect((await run('risk', [], { market: readerOf([]) })).error?.id).toBe('noData');
  });
});

describe('cascade', () => {
  it('estimates a 5% drop by default, states it is an estimate and shows the path and levels', async () => {
    const answer = await run('cascade', ['BTC']);
    const data = answer.data as {
      shock: number;
      direction: string;
      estimate: boolean;
      longLiquidatedUsd: number;
      shortLiquidatedUsd: number;
    };
    expect(data.estimate).toBe(true);
    expect(data.shock).toBeCloseTo(0.05);
    expect(data.direction).toBe('down');
    expect(data.shortLiquidatedUsd).toBe(0);
    expect(answer.body).toMatch(/^A 5\.0% drop from 120,000 would force about \$/);
    expect(answer.fields.map((f) => f.name)).toEqual([
      'Path',
      'Liquidation levels (USD liquidated if the price reaches the band)',
      'Assumptions',
    ]);
    expect(answer.fields[2]?.value).toMatch(/estimate/i);
    // Which events the amounts were calibrated on, in the first assumption.
    expect(answer.fields[2]?.value.split('\n')[0]).toContain('calibrated on 2025-10-10 and 2021-05-19');
    const heatmap = answer.fields[1]?.value.split('\n') ?? [];
    expect(heatmap[0]).toMatch(/^\+10% +132,000 /);
    expect(heatmap.at(-1)).toMatch(/^-10% +108,000 /);
  });

  it('liquidates only shorts on an upward shock', async () => {
    const answer = await run('cascade', ['BTC', '8', '--up']);
    const data = answer.data as { direction: string; longLiquidatedUsd: number };
    expect(data.direction).toBe('up');
    expect(data.longLiquidatedUsd).toBe(0);
    expect(answer.body).toMatch(/^A 8\.0% rise/);
  });

  it('refuses a shock outside 0.1 to 50 percent', async () => {
    const answer = await run('cascade', ['BTC', '75']);
    expect(answer.error?.id).toBe('outOfRange');
    expect(answer.body).toBe('shock must be between 0.1 and 50; 75 is outside.');
  });

  it('answers an unknown symbol with close matches', async () => {
    const answer = await run('cascade', ['BTX']);
    expect(answer.body).toBe('No watched market matches "BTX". Close matches: BTC.');
  });
});
