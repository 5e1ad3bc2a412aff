// An in-memory MarketDataSink for tests: keeps everything written, deduplicates liquidations by content like the
// store does, and offers small helpers to read what arrived.
import type { ExchangeId, Liquidation, MarketInfo, Snapshot } from '../../src/domain/market.js';
import type { MarketDataSink } from '../../src/domain/ports.js';

export class FakeSink implements MarketDataSink {
  readonly markets = new Map<string, MarketInfo>();
  readonly snapshots: Snapshot[] = [];
  readonly liquidations: Liquidation[] = [];
  /** Every liquidation offered, duplicates included. */
  readonly offered: Liquidation[] = [];
  private readonly keys = new Set<string>();

  saveMarkets(markets: readonly MarketInfo[]): void {
    for (const market of markets) this.markets.set(`${market.exchange}:${market.symbol}`, market);
  }

  saveSnapshots(snapshots: readonly Snapshot[]): void {
    this.snapshots.push(...snapshots);
  }

  saveLiquidations(liquidations: readonly Liquidation[]): number {
    let added = 0;
    for (const liquidation of liquidations) {
      this.offered.push(liquidation);
      const key = `${liquidation.exchange}|${liquidation.symbol}|${liquidation.at}|${liquidation.side}|${liquidation.price}|${liquidation.sizeBase}`;
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      this.liquidations.push(liquidation);
      added += 1;
    }
    return added;
  }

  /** The latest snapshot of one market, or undefined. */
  latest(exchange: ExchangeId, symbol: string): Snapshot | undefined {
    for (let i = this.snapshots.length - 1; i >= 0; i--) {
      const snapshot = this.snapshots[i];
      if (snapshot !== undefined && snapshot.exchange === exchange && snapshot.symbol === symbol) return snapshot;
    }
    return undefined;
  }

  snapshotsOf(exchange: ExchangeId): Snapshot[] {
    return this.snapshots.filter((s) => s.exchange === exchange);
  }

  liquidationsOf(exchange: ExchangeId): Liquidation[] {
    return this.liquidations.filter((l) => l.exchange === exchange);
  }
}
