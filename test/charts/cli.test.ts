import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseChartArgs, runChartCommand } from '../../src/cli/chart.js';
import type { Services } from '../../src/commands/command.js';
import { fakeGlossary } from '../commands/fakeGlossary.js';
import { buildMarketInfo } from '../builders.js';
import { marketReader, NOW, readerOf } from '../marketReader.js';
import { isPng, readPixels } from './pixels.js';

const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-chart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const services: Services = { glossary: fakeGlossary([]), market: marketReader };

async function chart(words: string[], with_: Services = services): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await runChartCommand(words, with_, NOW, (text) => lines.push(text));
  return { code, output: lines.join('\n') };
}

describe('chart <symbol> --out file.png', () => {
  it('writes the market chart and prints the path and size', async () => {
    const out = join(dir, 'btc.png');
    const { code, output } = await chart(['btc', '--out', out]);
    expect(code).toBe(0);
    expect(output).toMatch(new RegExp(`^${out}: market chart of BTC/USDT:USDT on binanceusdm, 1000×640, [\\d.]+ kB$`));
    const bytes = readFileSync(out);
    expect(isPng(bytes)).toBe(true);
    expect(output).toContain(`${(statSync(out).size / 1024).toFixed(1)} kB`);
    expect((await readPixels(bytes)).width).toBe(1000);
  });

  it('writes the cascade chart of a shock, up or down, in either theme', async () => {
    const out = join(dir, 'cascade.png');
    const down = await chart(['BTCUSDT', '--cascade', '3', '--theme', 'light', '--out', out]);
    expect(down.code).toBe(0);
    expect(down.output).toContain('cascade chart (3% drop) of BTC/USDT:USDT');
    const up = await chart(['ETH', '--cascade=2%', '--up', `--out=${out}`]);
    expect(up.code).toBe(0);
    expect(up.output).toContain('cascade chart (2% rise) of ETH/USDT:USDT');
    const pixels = await readPixels(readFileSync(out));
    expect(pixels.drawnShare).toBeGreaterThan(0.05);
  });

  it('fails with a clear message for an unknown symbol, a missing --out, bad options and no data', async () => {
    const unknown = await chart(['ETC', '--out', join(dir, 'x.png')]);
    expect(unknown).toEqual({
      code: 1,
      output: expect.stringMatching(/^Unknown market: No watched market matches "ETC"/),
    });
    expect(await chart(['BTC'])).toEqual({ code: 1, output: expect.stringMatching(/^Missing --out file\.png/) });
    expect(await chart(['BTC', '--out'])).toEqual({ code: 1, output: expect.stringMatching(/^Missing --out/) });
    expect((await chart(['--out', 'x.png'])).output).toMatch(/^Which market\?/);
    expect((await chart(['BTC', '--theme', 'blue', '--out', 'x.png'])).output).toMatch(/^--theme takes dark or light/);
    expect((await chart(['BTC', '--cascade', '90', '--out', 'x.png'])).output).toMatch(/^--cascade takes a shock/);
    expect((await chart(['BTC', '--size', '3', '--out', 'x.png'])).output).toMatch(/^Unknown option --size/);

    const noMarkets = await chart(['BTC', '--out', 'x.png'], { glossary: fakeGlossary([]), market: readerOf([]) });
    expect(noMarkets).toEqual({ code: 1, output: expect.stringMatching(/No market has been polled yet/) });
    const empty = readerOf([
      [buildMarketInfo(), { exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT', snapshots: [], liquidationBuckets: [] }],
    ]);
    const noData = await chart(['BTC', '--out', join(dir, 'none.png')], { glossary: fakeGlossary([]), market: empty });
    expect(noData).toEqual({ code: 1, output: expect.stringMatching(/^No data for BTC\/USDT:USDT on binanceusdm/) });
    expect(() => statSync(join(dir, 'none.png'))).toThrow();
    const noService = await chart(['BTC', '--out', 'x.png'], { glossary: fakeGlossary([]) });
    expect(noService).toEqual({ code: 1, output: expect.stringMatching(/market data is not running/) });
  });

  it('reads the default shock and theme', () => {
    expect(parseChartArgs(['BTC', '--cascade', '--out', 'a.png'])).toEqual({
      symbol: 'BTC',
      cascade: 5,
      up: false,
      theme: 'dark',
      out: 'a.png',
    });
  });
});
