// Missing data is no all clear: a coin (or the whole market) whose data stopped gets none until the data is back
// and calm for the required time.
import { describe, expect, it } from 'vitest';
import { decideAlerts, lastAlertsAfter, rememberLevels } from '../../src/alerts/rules.js';
import {
  MARKET_WIDE,
  type Alert,
  type AlertMarket,
  type CoinLevelsSeen,
  type LastAlert,
  type MarketReading,
} from '../../src/alerts/types.js';
import type { Subscription } from '../../src/domain/ports.js';
import { reading, subscription } from '../chat/helpers.js';

const NOW = 1_764_115_200_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const BINANCE = 'binanceusdm:BTC/USDT:USDT';
const BYBIT = 'bybit:BTC/USDT:USDT';

/** Cycles decided one after the other, each with the last alerts and the levels seen the previous ones left. */
function run(subscriptions: readonly Subscription[]) {
  const last = new Map<string, LastAlert>();
  let seen: CoinLevelsSeen = new Map();
  return (readings: readonly MarketReading[], now: number, missing: readonly AlertMarket[] = []): Alert[] => {
    const alerts = decideAlerts({ readings, subscriptions, lastAlerts: [...last.values()], now, seen, missing });
    for (const record of alerts.flatMap((a) => lastAlertsAfter(a, now)))
      last.set(`${record.destination}|${record.market}`, record);
    seen = rememberLevels(seen, readings, now, missing);
    return alerts;
  };
}

const kinds = (alerts: readonly Alert[]) => alerts.map((a) => `${a.kind} ${a.level}`);

describe('the alert rules on missing data', () => {
  it('send no all clear for a coin whose critical venue went quiet, however long its other venue stays calm', () => {
    const cycle = run([subscription()]);
    const critical = [
      reading({ market: BINANCE, level: 'critical', previousLevel: 'warning', score: 85 }),
      reading({ market: BYBIT, level: 'calm', previousLevel: 'calm', score: 10 }),
    ];
    expect(kinds(cycle(critical, NOW))).toEqual(['rise critical']);
    const bybitOnly = [reading({ market: BYBIT, level: 'calm', previousLevel: 'calm', score: 10 })];
    for (let minutes = 5; minutes <= 3 * 60; minutes += 5) {
      expect(cycle(bybitOnly, NOW + minutes * MINUTE, [BINANCE])).toEqual([]);
    }
  });

  it('send the all clear once the data is back and calm for half an hour, not at its return', () => {
    const cycle = run([subscription()]);
    cycle([reading({ market: BINANCE, level: 'critical', previousLevel: 'warning', score: 85 })], NOW);
    for (let minutes = 5; minutes <= 2 * 60; minutes += 5) {
      expect(cycle([], NOW + minutes * MINUTE, [BINANCE])).toEqual([]);
    }
    const back = [reading({ market: BINANCE, level: 'calm', previousLevel: 'critical', score: 12 })];
    expect(cycle(back, NOW + 2 * HOUR + 5 * MINUTE)).toEqual([]);
    expect(cycle(back, NOW + 2 * HOUR + 20 * MINUTE)).toEqual([]);
    expect(kinds(cycle(back, NOW + 2 * HOUR + 31 * MINUTE))).toEqual(['allClear calm']);
  });

  it('send no all clear when every venue is down, neither for a coin nor for the whole market', () => {
    const cycle = run([subscription({ minLevel: 'warning' })]);
    const alerted = cycle(
      [
        reading({ market: BINANCE, level: 'critical', previousLevel: 'warning', score: 85 }),
        reading({ market: MARKET_WIDE, level: 'critical', previousLevel: 'warning', score: 80 }),
      ],
      NOW,
    );
    expect(kinds(alerted)).toEqual(['rise critical', 'rise critical']);
    // What a pass over stale data would score: nothing present, so calm everywhere.
    const staleCalm = [
      reading({ market: BINANCE, level: 'calm', previousLevel: 'critical', score: 0 }),
      reading({ market: MARKET_WIDE, level: 'calm', previousLevel: 'critical', score: 0 }),
    ];
    for (let minutes = 5; minutes <= 3 * 60; minutes += 5) {
      const readings = minutes % 10 === 0 ? staleCalm : [];
      expect(cycle(readings, NOW + minutes * MINUTE, [BINANCE, MARKET_WIDE])).toEqual([]);
    }
  });

  it('take no calm reading of the whole market for an all clear while its data is incomplete', () => {
    const cycle = run([subscription()]);
    cycle([reading({ market: MARKET_WIDE, level: 'critical', previousLevel: 'warning', score: 80 })], NOW);
    const partial = [reading({ market: MARKET_WIDE, level: 'calm', previousLevel: 'critical', score: 5 })];
    for (let minutes = 5; minutes <= 3 * 60; minutes += 5) {
      expect(cycle(partial, NOW + minutes * MINUTE, [MARKET_WIDE])).toEqual([]);
    }
    // Complete again, and calm for half an hour: now it is clear.
    expect(cycle(partial, NOW + 3 * HOUR + 5 * MINUTE)).toEqual([]);
    expect(kinds(cycle(partial, NOW + 3 * HOUR + 31 * MINUTE))).toEqual(['allClear calm']);
  });

  it('still send a rise from the venues that have data while another is down', () => {
    const cycle = run([subscription()]);
    const rise = [reading({ market: BYBIT, level: 'warning', previousLevel: 'elevated', score: 66 })];
    expect(kinds(cycle(rise, NOW, [BINANCE, MARKET_WIDE]))).toEqual(['rise warning']);
  });
});
