import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/domain/market.js';
import { LiquidationFeed } from '../../src/mock-exchange/liquidations.js';
import { buildModel, generatedMarketSpecs } from '../../src/mock-exchange/model.js';
import { generateSpecSchema, loadScenario, parseScenario } from '../../src/mock-exchange/scenario.js';
import type { ScenarioInput } from '../../src/mock-exchange/scenario.js';
import { startMockExchange } from '../../src/mock-exchange/server.js';
import type { MockExchange } from '../../src/mock-exchange/server.js';
import { START, START_MS, connect, fixtureScenario, manualClock, tradingPerpetuals } from './helpers.js';

const minimalMarket = {
  base: 'BTC',
  keyframes: [{ atSec: 0, price: 1, fundingRate: 0, openInterestUsd: 1, volume24hUsd: 1, depth1PctUsd: 1 }],
};
const withVenues = (venues: ScenarioInput['venues']): ScenarioInput => ({
  name: 'x',
  start: START,
  durationSec: 60,
  venues,
});

describe('scenario files', () => {
  it.each(['scenarios/calm.json', 'scenarios/crash.json'])(
    '%s is a valid scenario listing all four venues',
    async (file) => {
      const scenario = await loadScenario(file);
      expect(Object.keys(scenario.venues).sort()).toEqual(['binanceusdm', 'bybit', 'hyperliquid', 'okx']);
    },
  );

  it.each([
    [
      'a first keyframe without a price',
      withVenues({ bybit: { markets: [{ ...minimalMarket, keyframes: [{ atSec: 0 }] }] } }),
      'price',
    ],
    ['a Hyperliquid market settled in USDT', withVenues({ hyperliquid: { markets: [minimalMarket] } }), 'USDC'],
    [
      'a contract size other than 1 outside OKX',
      withVenues({ bybit: { markets: [{ ...minimalMarket, contractSize: 0.01 }] } }),
      'OKX',
    ],
    [
      'keyframes out of time order',
      withVenues({
        okx: { markets: [{ ...minimalMarket, keyframes: [...minimalMarket.keyframes, { atSec: 10 }, { atSec: 5 }] }] },
      }),
      'time order',
    ],
    ['an unknown field', { ...withVenues({}), speed: 2 } as ScenarioInput, 'speed'],
    [
      'a burst that ends before it starts',
      withVenues({
        bybit: {
          markets: [
            { ...minimalMarket, liquidations: [{ fromSec: 5, toSec: 1, side: 'long', perSecond: 1, sizeUsd: 1 }] },
          ],
        },
      }),
      'toSec',
    ],
  ])('rejects %s, naming the problem', (_what, scenario, words) => {
    expect(() => parseScenario(scenario)).toThrow(words);
  });

  it('expands a burst into evenly spaced liquidations with seeded jitter', () => {
    const scenario = parseScenario(
      withVenues({
        bybit: {
          markets: [
            {
              ...minimalMarket,
              liquidations: [{ fromSec: 10, toSec: 20, side: 'long', perSecond: 5, sizeUsd: 1000, sizeJitter: 0.5 }],
            },
          ],
        },
      }),
    );
    const events = buildModel(scenario).venues.get('bybit')?.liquidations ?? [];
    expect(events).toHaveLength(50);
    expect(events[1]?.at).toBe(START_MS + 10_200);
    for (const event of events) expect(event.sizeUsd).toBeGreaterThanOrEqual(500);
    const again = buildModel(scenario).venues.get('bybit')?.liquidations ?? [];
    expect(again.map((e) => e.sizeUsd)).toEqual(events.map((e) => e.sizeUsd));
  });

  it('generates the same seeded markets on every venue, with a heavy tail of open interest', () => {
    const spec = generateSpecSchema.parse({ count: 500, seed: 7 });
    const binance = generatedMarketSpecs('binanceusdm', spec);
    const okx = generatedMarketSpecs('okx', spec);
    expect(binance).toHaveLength(500);
    expect(binance.map((m) => m.base)).toEqual(okx.map((m) => m.base));
    expect(generatedMarketSpecs('binanceusdm', spec)).toEqual(binance);
    const oi = binance.map((m) => m.keyframes[0]?.openInterestUsd ?? 0).sort((a, b) => b - a);
    const total = oi.reduce((sum, x) => sum + x, 0);
    const top5 = oi.slice(0, 5).reduce((sum, x) => sum + x, 0);
    expect(top5 / total).toBeGreaterThan(0.2);
    expect(generatedMarketSpecs('hyperliquid', spec).every((m) => m.settle === 'USDC')).toBe(true);
  });

  it('samples liquidations per venue: the latest per window, or all of them batched', () => {
    const scenario = parseScenario(fixtureScenario());
    const events = buildModel(scenario).venues.get('binanceusdm')?.liquidations ?? [];
    const latest = new LiquidationFeed(events, { windowMs: 1000, keep: 'latest' });
    expect(latest.advance(START_MS + 10_900)).toEqual([]);
    const first = latest.advance(START_MS + 11_000);
    expect(first.map((b) => [b.pushedAt, b.events.map((e) => e.side)])).toEqual([[START_MS + 11_000, ['short']]]);
    const all = new LiquidationFeed(events, { windowMs: 1000, keep: 'all' });
    expect(all.advance(START_MS + 60_000).map((b) => b.events.length)).toEqual([2, 1]);
  });
});

describe('a generated benchmark scenario with 2,000 markets', () => {
  let mock: MockExchange;
  beforeAll(async () => {
    const generate = { count: 500, seed: 3 };
    mock = await startMockExchange({
      scenario: withVenues({
        binanceusdm: { generate },
        bybit: { generate },
        okx: { generate, inverseSwaps: [] },
        hyperliquid: { generate },
      }),
      clock: manualClock().now,
    });
  });
  afterAll(async () => {
    await mock.close();
  });

  it.each(['binanceusdm', 'bybit', 'okx', 'hyperliquid'] as const)(
    'serves 500 %s markets and their funding in one bulk call',
    async (venue: ExchangeId) => {
      const exchange = await connect(mock, venue);
      try {
        const perpetuals = tradingPerpetuals(await exchange.loadMarkets());
        expect(perpetuals).toHaveLength(500);
        // The bulk answer also holds the non-trading listings a venue sends funding items for (a dated future).
        const rates = await exchange.fetchFundingRates();
        expect(perpetuals.filter((symbol) => rates[symbol] !== undefined)).toHaveLength(500);
      } finally {
        await exchange.close();
      }
    },
  );
});

describe('the mock-exchange command', () => {
  it('prints the origin and the overrides, serves, and stops on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/mock-exchange/main.ts', '--scenario', 'scenarios/calm.json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 15_000;
      while (!output.includes('EXCHANGE_ORIGIN_OVERRIDES') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const overrides = JSON.parse(/EXCHANGE_ORIGIN_OVERRIDES='(.*)'/.exec(output)?.[1] ?? '{}') as Record<
        string,
        string
      >;
      expect(Object.keys(overrides).sort()).toEqual(['binanceusdm', 'bybit', 'hyperliquid', 'okx']);
      const response = await fetch(`${overrides['okx']}/api/v5/public/time`);
      expect(await response.json()).toMatchObject({ code: '0' });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('mock exchange stopped');
  });
});
