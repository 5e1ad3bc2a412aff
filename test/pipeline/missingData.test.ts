// The risk loop on missing data: a market whose data stopped is not scored (its missing inputs would read calm),
// is handed to the alert rules as missing, and no all clear or calm market-wide reading comes of it.
import { describe, expect, it } from 'vitest';
import { coinKey, destinationOf } from '../../src/alerts/rules.js';
import { MARKET_WIDE, type LastAlert } from '../../src/alerts/types.js';
import type { MarketHistory } from '../../src/domain/market.js';
import { silentLogger } from '../../src/log/logger.js';
import { createRiskLoop, splitByFreshness, toReadings, type AlertSink } from '../../src/pipeline/riskLoop.js';
import type { RiskCycle } from '../../src/risk/cycle.js';
import { HOUR, MINUTE } from '../builders.js';
import { marketReader, NOW } from '../marketReader.js';
import { subscription } from '../chat/helpers.js';

const MAX_AGE_MS = 15 * MINUTE;

function historyAt(exchange: MarketHistory['exchange'], symbol: string, lastAt: number | null): MarketHistory {
  const snapshots = lastAt === null ? [] : [{ ...marketReader.latestSnapshots()[0]!, exchange, symbol, at: lastAt }];
  return { exchange, symbol, snapshots, liquidationBuckets: [] };
}

/** A sink whose one chat was last told that BTC and the whole market were critical, an hour before `at`. */
function alertedSink(at: number) {
  const chat = subscription({ minLevel: 'warning' });
  const told = (market: string): LastAlert => ({
    destination: destinationOf(chat),
    market,
    level: 'critical',
    at: at - HOUR,
  });
  const delivered: string[] = [];
  const sink: AlertSink = {
    subscriptions: () => [chat],
    lastAlerts: () => [told(coinKey('BTC')), told(MARKET_WIDE)],
    deliver: (alerts) => delivered.push(...alerts.map((a) => `${a.kind} ${a.market}`)),
  };
  return { sink, delivered };
}

describe('the risk loop on missing data', () => {
  it('splits the markets into fresh ones and ones whose data went missing, forgetting those quiet a whole window', () => {
    const { fresh, missing } = splitByFreshness(
      [
        historyAt('binanceusdm', 'BTC/USDT:USDT', NOW - MINUTE),
        historyAt('binanceusdm', 'ETH/USDT:USDT', NOW - HOUR),
        historyAt('bybit', 'BTC/USDT:USDT', null),
      ],
      NOW,
      MAX_AGE_MS,
    );
    expect(fresh.map((h) => `${h.exchange}:${h.symbol}`)).toEqual(['binanceusdm:BTC/USDT:USDT']);
    expect(missing).toEqual(['binanceusdm:ETH/USDT:USDT']);
  });

  it('counts the whole market as missing when a venue went quiet or no market is fresh', () => {
    const venueDown = splitByFreshness(
      [historyAt('binanceusdm', 'BTC/USDT:USDT', NOW), historyAt('bybit', 'BTC/USDT:USDT', NOW - HOUR)],
      NOW,
      MAX_AGE_MS,
    );
    expect(venueDown.missing).toEqual(['bybit:BTC/USDT:USDT', MARKET_WIDE]);
    expect(splitByFreshness([], NOW, MAX_AGE_MS).missing).toEqual([MARKET_WIDE]);
  });

  it('hands over no market-wide reading made of zero markets', () => {
    const empty = {
      at: NOW,
      markets: [],
      marketWide: { marketsScored: 0, level: 'calm', score: 0 },
      stress: { rows: [], markets: 0 },
      profiles: new Map(),
    } as unknown as RiskCycle;
    expect(toReadings(empty, new Map(), 'critical')).toEqual([]);
  });

  it('sends no all clear and scores nothing calm when every venue has been down for two hours', () => {
    const later = NOW + 2 * HOUR;
    const { sink, delivered } = alertedSink(later);
    const loop = createRiskLoop({ market: marketReader, sinks: [sink], now: () => later, log: silentLogger });
    const pass = loop.runOnce();
    expect(pass?.cycle.markets).toEqual([]);
    expect(pass?.readings).toEqual([]);
    expect(delivered).toEqual([]);
  });

  it('keeps scoring the markets whose data is fresh', () => {
    const { sink } = alertedSink(NOW);
    const loop = createRiskLoop({ market: marketReader, sinks: [sink], now: () => NOW, log: silentLogger });
    const pass = loop.runOnce();
    expect(pass?.cycle.markets.map((m) => m.market).sort()).toEqual([
      'binanceusdm:BTC/USDT:USDT',
      'binanceusdm:ETH/USDT:USDT',
    ]);
    expect(pass?.readings.map((r) => r.market)).toContain(MARKET_WIDE);
  });
});
