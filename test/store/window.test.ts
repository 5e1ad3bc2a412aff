import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/domain/market.js';
import { COARSE_SLOT_MS, FINE_SPAN_MS, WINDOW_SPAN_MS } from '../../src/store/index.js';
import type { SqliteMarketStore } from '../../src/store/index.js';
import { BASE_TIME, HOUR, MINUTE, buildLiquidation, buildSnapshot, buildSnapshotSeries } from '../builders.js';
import type { TempStore } from './temp-store.js';
import { useTempStore } from './temp-store.js';

const POLL = 30_000;
const SYMBOLS = ['BTC/USDT:USDT', 'ETH/USDT:USDT'];

/** What the window documents it holds at `now`: every snapshot of the last 2 h, and before that (up to 24 h)
 * the last snapshot of each 5-minute slot. */
function expectedWindow(all: readonly Snapshot[], now: number): Snapshot[] {
  const fine = all.filter((s) => s.at >= now - FINE_SPAN_MS);
  const lastOfSlot = new Map<number, Snapshot>();
  for (const s of all) {
    if (s.at < now - WINDOW_SPAN_MS || s.at >= now - FINE_SPAN_MS) continue;
    const slot = Math.floor(s.at / COARSE_SLOT_MS);
    const kept = lastOfSlot.get(slot);
    if (kept === undefined || s.at >= kept.at) lastOfSlot.set(slot, s);
  }
  return [...lastOfSlot.values(), ...fine].sort((a, b) => a.at - b.at);
}

/** Polls `hours` of snapshots for SYMBOLS, moving the store's clock with each poll, as the bot does. */
function poll(t: TempStore, store: SqliteMarketStore, fromAt: number, hours: number): Snapshot[] {
  const polls = (hours * HOUR) / POLL;
  const saved: Snapshot[] = [];
  for (let i = 0; i < polls; i++) {
    const at = fromAt + i * POLL;
    t.clock.now = at + 1_500; // the poll finishes shortly after its timestamp
    // Depth is measured for BTC only, and not on every poll.
    const batch = SYMBOLS.map((symbol, k) =>
      buildSnapshot({
        symbol,
        at,
        markPrice: 1_000 + i + k / 10,
        ...(k > 0 || i % 7 === 0 ? { depthBands: null } : {}),
      }),
    );
    store.saveSnapshots(batch);
    saved.push(...batch);
  }
  return saved;
}

describe('store window', () => {
  const temp = useTempStore();

  it('keeps every snapshot of the last 2 h and the last snapshot of each 5-minute slot back to 24 h', () => {
    const t = temp();
    const store = t.open();
    const start = BASE_TIME - 26 * HOUR;
    const saved = poll(t, store, start, 26);
    const now = t.clock.now;

    for (const symbol of SYMBOLS) {
      const history = store.history('binanceusdm', symbol, 0).snapshots;
      const expected = expectedWindow(
        saved.filter((s) => s.symbol === symbol),
        now,
      );
      expect(history).toEqual(expected);
      // Spelled out: 2 h at 30 s in full, 22 h at one point per 5 minutes, the point being the slot's last poll.
      const coarse = history.filter((s) => s.at < now - FINE_SPAN_MS);
      const fine = history.filter((s) => s.at >= now - FINE_SPAN_MS);
      expect(fine).toHaveLength(FINE_SPAN_MS / POLL);
      expect(coarse.length).toBeGreaterThanOrEqual((WINDOW_SPAN_MS - FINE_SPAN_MS) / COARSE_SLOT_MS);
      expect(coarse.length).toBeLessThanOrEqual((WINDOW_SPAN_MS - FINE_SPAN_MS) / COARSE_SLOT_MS + 1);
      for (const s of coarse) expect(s.at % COARSE_SLOT_MS).toBe(COARSE_SLOT_MS - POLL);
      expect(history[0]?.at).toBeGreaterThanOrEqual(now - WINDOW_SPAN_MS);
    }
    const stats = store.windowStats();
    expect(stats.finePoints).toBe(2 * (FINE_SPAN_MS / POLL));
  });

  it('is rebuilt from disk on reopen to exactly what it held live', () => {
    const t = temp();
    const store = t.open();
    poll(t, store, BASE_TIME - 25 * HOUR, 25);
    store.saveLiquidations([
      buildLiquidation({ at: t.clock.now - 3 * HOUR }),
      buildLiquidation({ at: t.clock.now - 10 * MINUTE, side: 'short' }),
      buildLiquidation({ at: t.clock.now - 30 * HOUR }), // on disk, outside the window
    ]);
    // A late row of each tier: inside the fine tier in order, and the new last of an old slot.
    store.saveSnapshots([
      buildSnapshot({ at: t.clock.now - HOUR + 7_000, markPrice: 7 }),
      buildSnapshot({ at: t.clock.now - 5 * HOUR + 7_000, markPrice: 8 }),
    ]);

    const live = SYMBOLS.map((symbol) => store.history('binanceusdm', symbol, 0));
    const liveLatest = store.latestSnapshots();
    const liveBuckets = store.liquidationBuckets(0);
    const liveStats = store.windowStats();

    const reopened = t.reopen(store);
    expect(SYMBOLS.map((symbol) => reopened.history('binanceusdm', symbol, 0))).toEqual(live);
    expect(reopened.latestSnapshots()).toEqual(liveLatest);
    expect(reopened.liquidationBuckets(0)).toEqual(liveBuckets);
    expect(liveBuckets).toHaveLength(2);
    expect({ ...reopened.windowStats(), bytes: 0 }).toEqual({ ...liveStats, bytes: 0 });
  });

  it('places a late snapshot in order in the fine tier, and in the coarse tier only if it is the last of its slot', () => {
    const t = temp();
    t.clock.now = BASE_TIME + 3 * HOUR;
    const store = t.open();
    // Slot [BASE_TIME, BASE_TIME + 5 min) is in the coarse tier (3 h ago).
    store.saveSnapshots([buildSnapshot({ at: BASE_TIME + 60_000, markPrice: 1 })]);
    store.saveSnapshots([buildSnapshot({ at: BASE_TIME + 30_000, markPrice: 2 })]); // earlier in the slot: dropped
    store.saveSnapshots([buildSnapshot({ at: BASE_TIME + 90_000, markPrice: 3 })]); // later: replaces
    store.saveSnapshots([buildSnapshot({ at: BASE_TIME - 60_000, markPrice: 4 })]); // an older slot: inserted
    // Fine tier, out of order.
    const recent = BASE_TIME + 2 * HOUR;
    store.saveSnapshots([buildSnapshot({ at: recent + 60_000, markPrice: 5 })]);
    store.saveSnapshots([buildSnapshot({ at: recent, markPrice: 6 })]);
    store.saveSnapshots([buildSnapshot({ at: recent + 30_000, markPrice: 7 })]);

    const prices = (s: SqliteMarketStore): (number | null)[] =>
      s.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots.map((x) => x.markPrice);
    expect(prices(store)).toEqual([4, 3, 6, 7, 5]);
    expect(prices(t.reopen(store))).toEqual([4, 3, 6, 7, 5]);
    // Every row is on disk all the same.
    expect(t.inspect().prepare('SELECT count(*) FROM snapshots').pluck().get()).toBe(7);
  });

  it('drops what is older than 24 h as the clock moves on, also for markets that receive nothing', () => {
    const t = temp();
    const store = t.open();
    store.saveSnapshots(buildSnapshotSeries(4, BASE_TIME, HOUR));
    store.saveSnapshots([buildSnapshot({ symbol: 'ETH/USDT:USDT', at: BASE_TIME + 3 * HOUR })]);
    store.saveLiquidations([buildLiquidation({ at: BASE_TIME + 20 * MINUTE })]);
    t.clock.now = BASE_TIME + 3 * HOUR;

    const ats = (): number[] => store.history('binanceusdm', 'BTC/USDT:USDT', 0).snapshots.map((s) => s.at);
    expect(ats()).toEqual([0, 1, 2, 3].map((h) => BASE_TIME + h * HOUR));

    t.clock.now = BASE_TIME + 24 * HOUR + 30 * MINUTE;
    expect(ats()).toEqual([1, 2, 3].map((h) => BASE_TIME + h * HOUR));
    // The bucket's minute ended before the window's start.
    expect(store.liquidationBuckets(0)).toEqual([]);

    t.clock.now = BASE_TIME + 28 * HOUR;
    // Saving into another market sweeps this one too.
    store.saveSnapshots([buildSnapshot({ symbol: 'SOL/USDT:USDT', at: t.clock.now })]);
    expect(store.windowStats().coarsePoints).toBe(0);
    expect(ats()).toEqual([]);
    expect(store.latestSnapshots().map((s) => s.symbol)).toEqual(['SOL/USDT:USDT']);
    expect(store.history('binanceusdm', 'NOPE/USDT:USDT', 0)).toEqual({
      exchange: 'binanceusdm',
      symbol: 'NOPE/USDT:USDT',
      snapshots: [],
      liquidationBuckets: [],
    });
  });

  it('returns snapshots from sinceAt on, oldest first, and buckets from the minute holding sinceAt', () => {
    const t = temp();
    const store = t.open();
    store.saveSnapshots(buildSnapshotSeries(10, BASE_TIME - 10 * POLL, POLL));
    store.saveLiquidations([
      buildLiquidation({ at: BASE_TIME - 3 * MINUTE + 10 }),
      buildLiquidation({ at: BASE_TIME - 2 * MINUTE + 10 }),
      buildLiquidation({ at: BASE_TIME - MINUTE + 10 }),
      buildLiquidation({ at: BASE_TIME - MINUTE + 20, side: 'short' }),
    ]);
    // sinceAt falls inside the minute [-2 min, -1 min): that bucket is included, the one before it is not.
    const history = store.history('binanceusdm', 'BTC/USDT:USDT', BASE_TIME - 3 * POLL);
    expect(history.snapshots.map((s) => s.at)).toEqual([3, 2, 1].map((k) => BASE_TIME - k * POLL));
    expect(history.liquidationBuckets.map((b) => [b.minuteAt, b.side])).toEqual([
      [BASE_TIME - 2 * MINUTE, 'long'],
      [BASE_TIME - MINUTE, 'long'],
      [BASE_TIME - MINUTE, 'short'],
    ]);
  });
});
