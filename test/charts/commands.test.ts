import { describe, expect, it } from 'vitest';
import { createChartRenderer } from '../../src/charts/renderer.js';
import { cascadeCommand } from '../../src/commands/cascade.js';
import type { ChartRenderer, CommandContext, Services } from '../../src/commands/command.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { riskCommand } from '../../src/commands/risk.js';
import type { MarketHistory } from '../../src/domain/market.js';
import type { CascadeEstimate } from '../../src/risk/cascade.js';
import { fakeGlossary } from '../commands/fakeGlossary.js';
import { marketReader, NOW } from '../marketReader.js';
import { isPng } from './pixels.js';

function run(name: string, words: string[], services: Partial<Services>) {
  const context: CommandContext = {
    services: { glossary: fakeGlossary([]), market: marketReader, ...services },
    now: NOW,
    caller: { platform: 'cli', canManageSubscriptions: true },
    commands: [riskCommand, cascadeCommand],
  };
  return dispatch({ name, kind: 'words', words }, context, (error) => {
    throw error;
  });
}

/** A charts port that records what it was asked to draw. */
function fakeCharts() {
  const calls: { cascade: CascadeEstimate[]; market: MarketHistory[] } = { cascade: [], market: [] };
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
  const charts: ChartRenderer = {
    cascade(estimate) {
      calls.cascade.push(estimate);
      return { filename: 'cascade.png', png, alt: `cascade of ${estimate.symbol}` };
    },
    market(history) {
      calls.market.push(history);
      return { filename: 'market.png', png, alt: `market ${history.symbol}` };
    },
  };
  return { charts, calls };
}

describe('charts in command replies', () => {
  it('attaches the cascade chart of the estimate shown to the cascade reply', async () => {
    const { charts, calls } = fakeCharts();
    const answer = await run('cascade', ['BTC', '3'], { charts });
    expect(answer.error).toBeUndefined();
    expect(answer.image).toEqual({
      filename: 'cascade.png',
      png: expect.any(Uint8Array),
      alt: 'cascade of BTC/USDT:USDT',
    });
    expect(calls.cascade).toHaveLength(1);
    expect(calls.cascade[0]?.shock).toBeCloseTo(0.03);
    expect(calls.cascade[0]).toBe(answer.data);
    expect(calls.market).toHaveLength(0);
  });

  it('attaches the market chart of the market explained to `risk <symbol>`, with its 24 h history', async () => {
    const { charts, calls } = fakeCharts();
    const answer = await run('risk', ['ETH'], { charts });
    expect(answer.image?.alt).toBe('market ETH/USDT:USDT');
    expect(calls.market).toHaveLength(1);
    expect(calls.market[0]?.symbol).toBe('ETH/USDT:USDT');
    expect(calls.market[0]?.snapshots.length).toBeGreaterThan(100);
    expect(calls.market[0]?.snapshots[0]?.at).toBeGreaterThanOrEqual(NOW - 24 * 3_600_000);
  });

  it('attaches no image to the market-wide risk reply, to errors, or when no renderer is running', async () => {
    const { charts, calls } = fakeCharts();
    expect((await run('risk', [], { charts })).image).toBeUndefined();
    expect((await run('cascade', ['NOPE'], { charts })).image).toBeUndefined();
    expect(calls.cascade.length + calls.market.length).toBe(0);
    const plain = await run('cascade', ['BTC'], {});
    expect(plain.image).toBeUndefined();
    expect('image' in plain).toBe(false);
  });

  it('still answers, without the image, when drawing fails', async () => {
    const broken: ChartRenderer = {
      cascade: () => {
        throw new Error('no canvas');
      },
      market: () => {
        throw new Error('no canvas');
      },
    };
    const cascade = await run('cascade', ['BTC'], { charts: broken });
    expect(cascade.error).toBeUndefined();
    expect(cascade.image).toBeUndefined();
    expect((await run('risk', ['BTC'], { charts: broken })).image).toBeUndefined();
  });

  it('attaches real PNGs with the canvas renderer', async () => {
    const answer = await run('cascade', ['BTC'], { charts: createChartRenderer('dark') });
    expect(isPng(answer.image?.png ?? new Uint8Array())).toBe(true);
    expect(answer.image?.filename).toBe('cascade-binanceusdm-BTC-USDT-USDT.png');
    expect(answer.image?.alt).toMatch(/5% drop/);
    const risk = await run('risk', ['BTC'], { charts: createChartRenderer('light') });
    expect(isPng(risk.image?.png ?? new Uint8Array())).toBe(true);
  });
});
