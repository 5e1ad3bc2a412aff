import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/commands/command.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { liveLine } from '../../src/commands/live.js';
import { termCommand } from '../../src/commands/term.js';
import type { Snapshot } from '../../src/domain/market.js';
import type { MarketDataReader } from '../../src/domain/ports.js';
import { BASE_TIME, buildLiquidationBucket, buildSnapshot } from '../builders.js';
import { fakeGlossary, glossaryEntry } from './fakeGlossary.js';

function readerWith(snapshots: Snapshot[]): MarketDataReader {
  return {
    markets: () => [],
    latestSnapshots: () => snapshots,
    history: (exchange, symbol) => ({ exchange, symbol, snapshots: [], liquidationBuckets: [] }),
    liquidationBuckets: () => [
      buildLiquidationBucket({ side: 'long', sizeUsd: 3_000_000 }),
      buildLiquidationBucket({ side: 'short', sizeUsd: 400_000 }),
    ],
  };
}

const snapshots = [
  buildSnapshot({ exchange: 'binanceusdm' }),
  buildSnapshot({
    exchange: 'hyperliquid',
    fundingRate: 0.0000125,
    fundingIntervalHours: 1,
    fundingRateAnnualized: 0.0000125 * 8760,
    openInterestUsd: 5e9,
  }),
  buildSnapshot({
    symbol: 'ETH/USDT:USDT',
    exchange: 'bybit',
    openInterestUsd: 1e9,
    fundingRate: null,
    fundingRateAnnualized: null,
  }),
];

describe('live figures beside glossary entries', () => {
  it('quotes funding of the largest markets per interval and annualized', () => {
    const line = liveLine('fundingRate', { glossary: fakeGlossary([]), market: readerWith(snapshots) }, BASE_TIME);
    expect(line).toBe(
      'BTC funding +0.0100% per 8 h (about +11% a year) on binanceusdm; BTC funding +0.0013% per 1 h (about +11% a year) on hyperliquid',
    );
  });

  it('sums liquidations of the last hour and says the feeds are samples', () => {
    const line = liveLine('liquidations', { glossary: fakeGlossary([]), market: readerWith(snapshots) }, BASE_TIME);
    expect(line).toBe(
      "$3M of longs and $400k of shorts liquidated in the last hour (the venues' feeds are samples: a lower bound)",
    );
  });

  it('adds a Now field to a term with a live measure, and none without market data', async () => {
    const glossary = fakeGlossary([glossaryEntry({ id: 'funding-rate', title: 'Funding rate', live: 'fundingRate' })]);
    const context = (market?: MarketDataReader): CommandContext => ({
      services: market ? { glossary, market } : { glossary },
      now: BASE_TIME,
      caller: { platform: 'cli', canManageSubscriptions: true },
      commands: [termCommand],
    });
    const withData = await dispatch(
      { name: 'term', kind: 'words', words: ['funding', 'rate'] },
      context(readerWith(snapshots)),
      () => undefined,
    );
    expect(withData.fields[0]?.name).toBe('Now');
    expect(withData.fields[0]?.value).toContain('BTC funding +0.0100% per 8 h');
    const without = await dispatch(
      { name: 'term', kind: 'words', words: ['funding', 'rate'] },
      context(),
      () => undefined,
    );
    expect(without.fields).toEqual([]);
  });
});
