import { describe, expect, it } from 'vitest';
import { cascadeCommand } from '../../src/commands/cascade.js';
import type { CommandContext, Services } from '../../src/commands/command.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { riskCommand } from '../../src/commands/risk.js';
import type { MarketHistory, MarketInfo } from '../../src/domain/market.js';
import type { MarketDataReader } from '../../src/domain/ports.js';
import { buildMarketInfo } from '../builders.js';
import { BASE_TIME, HOUR, historyFromWorld, storeTimes, type World } from '../risk/histories.js';
import { fakeGlossary } from './fakeGlossary.js';

const NOW = BASE_TIME;

/** A market whose open interest rose 30% over the day at a flat price, with funding stretched: loaded. */
const loadedWorld: World = {
  price: () => 120_000,
  openInterestCoins: (at) => 80_000 * (1 + 0.3 * ((at - (NOW - 24 * HOUR)) / (24 * HOUR))),
  fundingRate: () => 0.0006,
  basis: () => 0.002,
  depthScale: () => 1,
  liquidations: () => ({ longUsd: 20_000, shortUsd: 10_000 }),
};

const calmWorld: World = {
  ...loadedWorld,
  price: () => 4_000,
  openInterestCoins: () => 1_000_000,
  fundingRate: () => 0.0001,
  basis: () => 0,
};

function readerOf(entries: readonly [MarketInfo, MarketHistory][]): MarketDataReader {
  return {
    markets: () => entries.map(([info]) => info),
    latestSnapshots: () => entries.flatMap(([, h]) => h.snapshots.slice(-1)),
    history: (exchange, symbol, sinceAt) => {
      const found = entries.find(([info]) => info.exchange === exchange && info.symbol === symbol)?.[1];
      const snapshots = found?.snapshots.filter((s) => s.at >= sinceAt) ?? [];
      return { exchange, symbol, snapshots, liquidationBuckets: found?.liquidationBuckets ?? [] };
    },
    liquidationBuckets: () => entries.flatMap(([, h]) => h.liquidationBuckets),
  };
}

const btc = buildMarketInfo({ exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT' });
const eth = buildMarketInfo({ exchange: 'binanceusdm', symbol: 'ETH/USDT:USDT' });
const times = storeTimes(NOW);

/** historyFromWorld builds BTC series; this one is ETH's. */
function asEth(h: MarketHistory): MarketHistory {
  const symbol = 'ETH/USDT:USDT';
  return {
    ...h,
    symbol,
    snapshots: h.snapshots.map((s) => ({ ...s, symbol, base: 'ETH' })),
    liquidationBuckets: h.liquidationBuckets.map((b) => ({ ...b, symbol })),
  };
}

const reader = readerOf([
  [btc, historyFromWorld(loadedWorld, times, NOW)],
  [eth, asEth(historyFromWorld(calmWorld, times, NOW))],
]);

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
      /A 10% drop would force about \$[\d.]+[kMB]? of liquidations across 2 watched markets \(an estimate\)\./,
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
    expect(points).toHaveLength(7);
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
