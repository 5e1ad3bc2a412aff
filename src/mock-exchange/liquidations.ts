// Turns a venue's scripted liquidations into what its stream pushes: events are grouped per market into windows of
// `windowMs` (aligned to epoch ms); a window is pushed once scenario time has passed its end, keeping either only its
// latest event (Binance, OKX: "at most one per symbol per second") or all of them (Bybit allLiquidation).
import type { LiquidationEvent } from './model.js';
import type { LiquidationBatch, LiquidationSampling } from './venue.js';

export class LiquidationFeed {
  private cursor = 0;
  private readonly pending = new Map<string, LiquidationBatch>();

  constructor(
    private readonly events: readonly LiquidationEvent[],
    private readonly sampling: LiquidationSampling,
  ) {}

  /** Batches whose window closed at or before `nowMs`, in time order. */
  advance(nowMs: number): LiquidationBatch[] {
    const { windowMs, keep } = this.sampling;
    while (this.cursor < this.events.length) {
      const event = this.events[this.cursor];
      if (event === undefined || event.at > nowMs) break;
      this.cursor += 1;
      const window = Math.floor(event.at / windowMs);
      const key = `${event.market.id}|${window}`;
      const batch = this.pending.get(key);
      if (batch === undefined) {
        this.pending.set(key, { market: event.market, pushedAt: (window + 1) * windowMs, events: [event] });
      } else if (keep === 'latest') {
        batch.events[0] = event;
      } else {
        batch.events.push(event);
      }
    }
    const due: LiquidationBatch[] = [];
    for (const [key, batch] of this.pending) {
      if (batch.pushedAt <= nowMs) {
        due.push(batch);
        this.pending.delete(key);
      }
    }
    return due.sort((a, b) => a.pushedAt - b.pushedAt);
  }
}
