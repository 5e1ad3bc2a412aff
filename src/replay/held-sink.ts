// The venues' write side of a replay's store, able to hold writes back: while a pass scores, the next pass's requests
// are already out, and whatever their answers (or the streams) write waits until the pass is done, so a pass reads
// exactly what it would have read had the next one not started.
import type { Liquidation, MarketInfo, Snapshot } from '../domain/market.js';
import type { MarketDataSink } from '../domain/ports.js';
import type { Logger } from '../log/logger.js';

export class HeldSink implements MarketDataSink {
  private held: (() => void)[] | null = null;

  constructor(
    private readonly store: MarketDataSink,
    private readonly log: Logger,
  ) {}

  /** From now on, writes wait for `release()`. */
  hold(): void {
    this.held ??= [];
  }

  /** Writes what was held, in the order it came, and lets later writes through. */
  release(): void {
    const held = this.held;
    this.held = null;
    if (held === null) return;
    for (const write of held) {
      // A write failing now can no longer reach the venue that made it: logged as the venue would have.
      try {
        write();
      } catch (error) {
        this.log.error('could not store a held write', { error });
      }
    }
  }

  saveMarkets(markets: readonly MarketInfo[]): void {
    if (this.held === null) this.store.saveMarkets(markets);
    else this.held.push(() => this.store.saveMarkets(markets));
  }

  saveSnapshots(snapshots: readonly Snapshot[]): void {
    if (this.held === null) this.store.saveSnapshots(snapshots);
    else this.held.push(() => this.store.saveSnapshots(snapshots));
  }

  /** Held liquidations count as new: the stream has already dropped the ones it saw before. */
  saveLiquidations(liquidations: readonly Liquidation[]): number {
    if (this.held === null) return this.store.saveLiquidations(liquidations);
    this.held.push(() => this.store.saveLiquidations(liquidations));
    return liquidations.length;
  }
}
