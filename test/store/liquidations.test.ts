import { describe, expect, it } from 'vitest';
import type { Liquidation, LiquidationBucket } from '../../src/domain/market.js';
import { BASE_TIME, MINUTE, buildLiquidation } from '../builders.js';
import { useTempStore } from './temp-store.js';

/** Sums liquidations per minute, market and side the slow, obvious way. */
function expectedBuckets(liquidations: readonly Liquidation[]): LiquidationBucket[] {
  const byKey = new Map<string, LiquidationBucket>();
  for (const l of liquidations) {
    const minuteAt = l.at - (l.at % MINUTE);
    const key = `${minuteAt}|${l.exchange}|${l.symbol}|${l.side}`;
    const bucket = byKey.get(key) ?? {
      exchange: l.exchange,
      symbol: l.symbol,
      minuteAt,
      side: l.side,
      count: 0,
      sizeUsd: 0,
    };
    bucket.count += 1;
    bucket.sizeUsd += l.sizeUsd;
    byKey.set(key, bucket);
  }
  return [...byKey.values()];
}

const sortBuckets = (buckets: readonly LiquidationBucket[]): LiquidationBucket[] =>
  [...buckets].sort(
    (a, b) =>
      a.minuteAt - b.minuteAt ||
      a.exchange.localeCompare(b.exchange) ||
      a.symbol.localeCompare(b.symbol) ||
      a.side.localeCompare(b.side),
  );

describe('store liquidations', () => {
  const temp = useTempStore();

  it('stores a replayed backlog of liquidations only once and counts each once in its bucket', () => {
    const t = temp();
    const store = t.open();
    const backlog = [
      buildLiquidation({ at: BASE_TIME + 1_000, price: 120_000, sizeBase: 1 }),
      buildLiquidation({ at: BASE_TIME + 2_000, price: 119_900, sizeBase: 2 }),
      buildLiquidation({ at: BASE_TIME + 3_000, side: 'short', price: 121_000, sizeBase: 0.5 }),
    ];
    expect(store.saveLiquidations(backlog)).toBe(3);
    // The stream reconnects and replays the backlog, then one new event; the batch itself holds a duplicate.
    const fresh = buildLiquidation({ at: BASE_TIME + 4_000, price: 119_000, sizeBase: 1 });
    expect(store.saveLiquidations([...backlog, fresh, fresh])).toBe(1);
    expect(store.saveLiquidations(backlog)).toBe(0);

    const db = t.inspect();
    expect(db.prepare('SELECT count(*) FROM liquidations').pluck().get()).toBe(4);
    expect(db.prepare('SELECT side, count, size_usd FROM liquidation_buckets ORDER BY side').all()).toEqual([
      { side: 'long', count: 3, size_usd: 120_000 + 2 * 119_900 + 119_000 },
      { side: 'short', count: 1, size_usd: 60_500 },
    ]);
    expect(store.liquidationBuckets(0)).toEqual(expectedBuckets([...backlog, fresh]));
  });

  it('tells apart liquidations that differ in exchange, symbol, side, price or size', () => {
    const t = temp();
    const store = t.open();
    const one = buildLiquidation();
    const variants = [
      one,
      { ...one, exchange: 'okx' as const },
      { ...one, symbol: 'ETH/USDT:USDT' },
      { ...one, side: 'short' as const },
      { ...one, price: one.price + 0.1 },
      { ...one, sizeBase: one.sizeBase + 0.001 },
      { ...one, at: one.at + 1 },
    ];
    expect(store.saveLiquidations(variants)).toBe(variants.length);
    // Only sizeUsd differs: it is computed, not part of the event's identity.
    expect(store.saveLiquidations([{ ...one, sizeUsd: one.sizeUsd + 1 }])).toBe(0);
  });

  it('sums count and USD per minute, market and side, in memory, on disk and after reopening', () => {
    const t = temp();
    const store = t.open();
    const liquidations: Liquidation[] = [];
    const symbols = ['BTC/USDT:USDT', 'ETH/USDT:USDT'];
    for (let i = 0; i < 120; i++) {
      liquidations.push(
        buildLiquidation({
          exchange: i % 5 === 0 ? 'bybit' : 'binanceusdm',
          symbol: symbols[i % 2] as string,
          side: i % 3 === 0 ? 'short' : 'long',
          at: BASE_TIME + i * 1_700 + 3,
          price: 100 + i,
          sizeBase: 1 + (i % 7),
          sizeUsd: (100 + i) * (1 + (i % 7)),
        }),
      );
    }
    // Saved out of order and in uneven batches, as streams deliver them.
    const shuffled = [...liquidations].reverse();
    expect(store.saveLiquidations(shuffled.slice(0, 50))).toBe(50);
    expect(store.saveLiquidations(shuffled.slice(50))).toBe(70);

    const expected = sortBuckets(expectedBuckets(liquidations));
    expect(expected.length).toBeGreaterThan(8);
    const rows = t
      .inspect()
      .prepare(
        `SELECT m.exchange, m.symbol, b.minute_at AS minuteAt, b.side, b.count, b.size_usd AS sizeUsd
         FROM liquidation_buckets b JOIN markets m ON m.id = b.market_id`,
      )
      .all();
    expect(sortBuckets(rows as LiquidationBucket[])).toEqual(expected);
    expect(sortBuckets(store.liquidationBuckets(0))).toEqual(expected);

    const reopened = t.reopen(store);
    expect(sortBuckets(reopened.liquidationBuckets(0))).toEqual(expected);
    expect(sortBuckets(reopened.liquidationBuckets(0, 'bybit'))).toEqual(
      sortBuckets(expected.filter((b) => b.exchange === 'bybit')),
    );
    const ethHistory = reopened.history('binanceusdm', 'ETH/USDT:USDT', BASE_TIME + MINUTE + 30_000);
    expect(ethHistory.liquidationBuckets).toEqual(
      expected.filter(
        (b) => b.exchange === 'binanceusdm' && b.symbol === 'ETH/USDT:USDT' && b.minuteAt >= BASE_TIME + MINUTE,
      ),
    );
    const minutes = reopened.liquidationBuckets(BASE_TIME + 2 * MINUTE).map((b) => b.minuteAt);
    expect(minutes).toEqual([...minutes].sort((a, b) => a - b));
    expect(Math.min(...minutes)).toBe(BASE_TIME + 2 * MINUTE);
  });

  it('skips an invalid liquidation, reports it, and saves the rest of the batch', () => {
    const t = temp();
    const store = t.open();
    const saved = store.saveLiquidations([
      buildLiquidation({ at: BASE_TIME }),
      buildLiquidation({ at: BASE_TIME + 1, sizeUsd: 0 }),
      buildLiquidation({ at: BASE_TIME + 2, side: 'sideways' as 'long' }),
      buildLiquidation({ at: BASE_TIME + 3 }),
    ]);
    expect(saved).toBe(2);
    expect(t.rejections).toHaveLength(1);
    expect(t.rejections[0]?.kind).toBe('liquidation');
    expect(t.rejections[0]?.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(t.rejections[0]?.message).toContain('sizeUsd');
    expect(t.rejections[0]?.message).toContain('side');
    expect(store.liquidationBuckets(0)).toEqual([expect.objectContaining({ count: 2 })]);
  });
});
