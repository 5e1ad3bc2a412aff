import { describe, expect, it } from 'vitest';
import type { RiskLevel } from '../../src/risk/levels.js';
import { marketWideScore } from '../../src/risk/marketWide.js';
import type { MarketWideInput } from '../../src/risk/marketWide.js';
import type { Regime } from '../../src/risk/regimes.js';
import type { ExchangeId, MarketKey } from '../../src/domain/market.js';
import { BASE_TIME } from './histories.js';

function market(
  key: MarketKey,
  score: number,
  openInterestUsd: number | null,
  level: RiskLevel = 'calm',
  regime: Regime = 'quiet',
): MarketWideInput {
  return {
    market: key,
    exchange: key.split(':')[0] as ExchangeId,
    score,
    level,
    confidence: 1,
    openInterestUsd,
    regime: { regime },
  };
}

describe('market-wide score', () => {
  const markets = [
    market('binanceusdm:BTC/USDT:USDT', 60, 6e9, 'warning', 'unwinding'),
    market('bybit:ETH/USDT:USDT', 20, 3e9),
    market('okx:SOL/USDT:USDT', 90, 1e9, 'critical', 'unwinding'),
    market('hyperliquid:DOGE/USDC:USDC', 100, null, 'critical'),
  ];

  it('weights the markets’ scores by open interest and ignores markets without one', () => {
    const w = marketWideScore(markets, BASE_TIME);
    // (60 x 6 + 20 x 3 + 90 x 1) / 10 = 51.
    expect(w.score).toBe(51);
    expect(w.level).toBe('warning');
    expect(w.marketsScored).toBe(3);
    expect(w.marketsWithoutOpenInterest).toBe(1);
    expect(w.totalOpenInterestUsd).toBe(1e10);
    expect(w.levelCounts).toEqual({ calm: 1, elevated: 0, warning: 1, critical: 2 });
    expect(w.regimeCounts).toEqual({ quiet: 2, loaded: 0, unwinding: 2 });
    expect(w.stressedShareOfOi).toBeCloseTo(0.7, 12);
  });

  it('names the markets that drive it, and their points add up with the rest to the score', () => {
    const w = marketWideScore(markets, BASE_TIME);
    expect(w.topContributors.map((c) => [c.market, c.points])).toEqual([
      ['binanceusdm:BTC/USDT:USDT', 36],
      ['okx:SOL/USDT:USDT', 9],
      ['bybit:ETH/USDT:USDT', 6],
    ]);
    expect(w.topContributors.reduce((s, c) => s + c.points, 0) + w.othersPoints).toBeCloseTo(w.score, 6);
    expect(w.reason).toBe(
      'market-wide 51 (warning) over $10B of open interest, driven by binanceusdm:BTC/USDT:USDT 60 (60% of OI), ' +
        'okx:SOL/USDT:USDT 90 (10% of OI), bybit:ETH/USDT:USDT 20 (30% of OI)',
    );
    expect(w.byExchange.map((e) => [e.exchange, e.score])).toEqual([
      ['binanceusdm', 60],
      ['bybit', 20],
      ['okx', 90],
    ]);
  });

  it('keeps its own level with hysteresis', () => {
    const dip = [market('binanceusdm:BTC/USDT:USDT', 47, 1e9)];
    expect(marketWideScore(dip, BASE_TIME).level).toBe('elevated');
    const held = marketWideScore(dip, BASE_TIME, { previousLevel: 'warning' });
    expect(held.level).toBe('warning');
    expect(held.levelChanged).toBe(false);
  });

  it('says so when no market has a known open interest', () => {
    const w = marketWideScore([market('hyperliquid:BTC/USDC:USDC', 80, null)], BASE_TIME);
    expect(w.score).toBe(0);
    expect(w.confidence).toBe(0);
    expect(w.reason).toBe('market-wide: no market with known open interest');
  });
});
