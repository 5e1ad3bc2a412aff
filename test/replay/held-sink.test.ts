// The replay's held sink: while a pass scores, the next pass's writes wait, then reach the store in their order.
import { describe, expect, it } from 'vitest';
import type { Liquidation, MarketInfo, Snapshot } from '../../src/domain/market.js';
import type { MarketDataSink } from '../../src/domain/ports.js';
import { HeldSink } from '../../src/replay/held-sink.js';
import { RecordingLogger } from '../market/helpers.js';

function recordingStore(): MarketDataSink & { writes: string[]; failNext: boolean } {
  const store = {
    writes: [] as string[],
    failNext: false,
    saveMarkets(markets: readonly MarketInfo[]) {
      store.writes.push(`markets ${markets.length}`);
    },
    saveSnapshots(snapshots: readonly Snapshot[]) {
      if (store.failNext) {
        store.failNext = false;
        throw new Error('disk full');
      }
      store.writes.push(`snapshots ${snapshots.length}`);
    },
    saveLiquidations(liquidations: readonly Liquidation[]) {
      store.writes.push(`liquidations ${liquidations.length}`);
      return liquidations.length - 1;
    },
  };
  return store;
}

const snapshots = (n: number) => Array.from({ length: n }, () => ({}) as Snapshot);
const liquidations = (n: number) => Array.from({ length: n }, () => ({}) as Liquidation);

describe('the held sink of a replay', () => {
  it('passes writes straight through while nothing is held, with the store’s count of new liquidations', () => {
    const store = recordingStore();
    const sink = new HeldSink(store, new RecordingLogger());
    sink.saveSnapshots(snapshots(2));
    expect(sink.saveLiquidations(liquidations(3))).toBe(2);
    expect(store.writes).toEqual(['snapshots 2', 'liquidations 3']);
  });

  it('holds every write until released, then writes them in the order they came', () => {
    const store = recordingStore();
    const sink = new HeldSink(store, new RecordingLogger());
    sink.hold();
    sink.saveMarkets([{} as MarketInfo]);
    sink.saveLiquidations(liquidations(4));
    sink.saveSnapshots(snapshots(1));
    expect(store.writes).toEqual([]);
    sink.release();
    expect(store.writes).toEqual(['markets 1', 'liquidations 4', 'snapshots 1']);
    sink.saveSnapshots(snapshots(5));
    expect(store.writes.at(-1)).toBe('snapshots 5');
  });

  it('counts held liquidations as new, since the stream already dropped the ones it had seen', () => {
    const sink = new HeldSink(recordingStore(), new RecordingLogger());
    sink.hold();
    expect(sink.saveLiquidations(liquidations(3))).toBe(3);
  });

  it('logs a held write that fails on release and still writes the others', () => {
    const store = recordingStore();
    const log = new RecordingLogger();
    const sink = new HeldSink(store, log);
    sink.hold();
    sink.saveSnapshots(snapshots(1));
    sink.saveSnapshots(snapshots(2));
    store.failNext = true;
    sink.release();
    expect(store.writes).toEqual(['snapshots 2']);
    expect(log.lines.some((line) => line.level === 'error' && line.message === 'could not store a held write')).toBe(
      true,
    );
  });
});
