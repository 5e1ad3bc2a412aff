import { describe, expect, it } from 'vitest';
import type { CommandContext, Services } from '../../src/commands/command.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { marketCommand } from '../../src/commands/market.js';
import { statusCommand } from '../../src/commands/status.js';
import type { MarketDataReader } from '../../src/domain/ports.js';
import type { MarketInfo, Snapshot, VenueHealth } from '../../src/domain/market.js';
import { BASE_TIME, buildEmptySnapshot, buildMarketInfo, buildSnapshot } from '../builders.js';
import { fakeGlossary } from './fakeGlossary.js';

function fakeReader(markets: readonly MarketInfo[], snapshots: readonly Snapshot[]): MarketDataReader {
  return {
    markets: () => markets,
    latestSnapshots: () => snapshots,
    history: (exchange, symbol) => ({ exchange, symbol, snapshots: [], liquidationBuckets: [] }),
    liquidationBuckets: () => [],
  };
}

function health(overrides: Partial<VenueHealth>): VenueHealth {
  return {
    exchange: 'binanceusdm',
    state: 'ok',
    marketsWatched: 312,
    lastSuccessAt: BASE_TIME - 12_000,
    consecutiveFailures: 0,
    lastError: null,
    liquidationStream: 'streaming',
    liquidationCoverage: 'sampled',
    lastLiquidationAt: BASE_TIME - 90_000,
    ...overrides,
  };
}

function run(name: string, words: string[], services: Partial<Services>) {
  const context: CommandContext = {
    services: { glossary: fakeGlossary([]), ...services },
    now: BASE_TIME,
    caller: { platform: 'cli', canManageSubscriptions: true },
    commands: [marketCommand, statusCommand],
  };
  return dispatch({ name, kind: 'words', words }, context, () => undefined);
}

const btcBinance = buildMarketInfo({ exchange: 'binanceusdm', symbol: 'BTC/USDT:USDT' });
const btcBybit = buildMarketInfo({ exchange: 'bybit', symbol: 'BTC/USDT:USDT' });
const ethBinance = buildMarketInfo({ exchange: 'binanceusdm', symbol: 'ETH/USDT:USDT' });

describe('market', () => {
  const reader = fakeReader(
    [btcBinance, btcBybit, ethBinance],
    [
      buildSnapshot({ exchange: 'binanceusdm', at: BASE_TIME - 12_000 }),
      buildEmptySnapshot({ exchange: 'bybit', at: BASE_TIME - 30_000 }),
      buildSnapshot({ symbol: 'ETH/USDT:USDT', markPrice: 4_300 }),
    ],
  );

  it('shows the market on every venue that lists it, largest first', async () => {
    const answer = await run('market', ['btcusdt'], { market: reader });
    expect(answer.title).toBe('BTC perpetuals');
    expect(answer.fields.map((f) => f.name)).toEqual(['binanceusdm BTC/USDT:USDT', 'bybit BTC/USDT:USDT']);
    const binance = answer.fields[0]?.value ?? '';
    expect(binance).toContain('mark 121,500 · index 121,480.5 · basis +0.016%');
    expect(binance).toContain('funding +0.0100% per 8 h (+11.0% a year), next in 4 h');
    expect(binance).toContain('open interest $10.3B');
    expect(binance).toContain('depth ±1%: bids $4M / asks $3.6M');
    expect(binance).toContain('updated 12 s ago');
  });

  it('says n/a for what a venue did not give, never zero', async () => {
    const answer = await run('market', ['BTC'], { market: reader });
    const bybit = answer.fields[1]?.value ?? '';
    expect(bybit).toContain('mark n/a · index n/a · basis n/a');
    expect(bybit).toContain('open interest n/a');
    expect(bybit).not.toMatch(/\$0\b/);
  });

  it('answers an unknown market with close matches', async () => {
    const answer = await run('market', ['ETC'], { market: reader });
    expect(answer.error?.id).toBe('unknownSymbol');
    expect(answer.body).toBe('No watched market matches "ETC". Close matches: BTC, ETH.');
  });

  it('says so when market data is not running', async () => {
    const answer = await run('market', ['BTC'], {});
    expect(answer.error?.id).toBe('noData');
  });
});

describe('status', () => {
  it("shows each venue's state, freshness and liquidation coverage", async () => {
    const answer = await run('status', [], {
      health: {
        venueHealth: () => [
          health({}),
          health({
            exchange: 'hyperliquid',
            state: 'degraded',
            consecutiveFailures: 3,
            lastError: 'RequestTimeout after 10000 ms',
            liquidationStream: 'not streamed',
            liquidationCoverage: 'not streamed',
            lastLiquidationAt: null,
          }),
        ],
      },
    });
    expect(answer.level).toBe('warning');
    expect(answer.body).toBe('1 of 2 venue(s) healthy.');
    expect(answer.fields[0]?.value).toBe(
      'ok · 312 markets · last poll 12 s ago\nliquidations: streaming (a sample: at most one per market per second, so totals are a lower bound, last 1 min ago)',
    );
    expect(answer.fields[1]?.value).toContain(
      'degraded · 312 markets · last poll 12 s ago · 3 failure(s) in a row: RequestTimeout',
    );
    expect(answer.fields[1]?.value).toContain('liquidations: not streamed (not streamed by this venue)');
  });
});
