// The in-memory window of one market: the last 24 h of snapshots and liquidation buckets, as the risk engine
// reads them, held in columnar rings (see column-ring.ts) and materialised as objects only on demand.
//
// Resolution (relative to the store's clock `now`):
// - fine tier:   every snapshot with at >= now - 2 h, at full resolution;
// - coarse tier: for at in [now - 24 h, now - 2 h), one snapshot per 5-minute slot (slots aligned to epoch,
//                [k x 5 min, (k + 1) x 5 min)): the LAST snapshot of the slot, i.e. the one with the greatest
//                `at`. It is a real snapshot as polled, never an average, so every value stays a value the
//                venue published at that time. A slot straddling the 2 h boundary can thus have its last
//                pre-boundary point in the coarse tier and later points in the fine tier.
// - liquidation buckets: one row per minute and side, kept while the minute ends after now - 24 h.
// Rows age from the fine to the coarse tier and out of the window as `advance(now)` is called (on every write
// to the market, on every read and in the store's periodic sweep), so what the window holds is a function of
// the data and the clock only: the same whether it was filled live or rebuilt from disk at open.
import { ColumnRing } from './column-ring.js';
import { AT_COLUMN, SNAPSHOT_ROW_LENGTH } from './snapshot-row.js';
import type { PositionSide } from '../domain/market.js';

export const MINUTE_MS = 60_000;
export const WINDOW_SPAN_MS = 24 * 60 * MINUTE_MS;
export const FINE_SPAN_MS = 2 * 60 * MINUTE_MS;
export const COARSE_SLOT_MS = 5 * MINUTE_MS;

/** Bucket row layout. */
export const BUCKET_MINUTE = 0;
export const BUCKET_COUNT = 1;
export const BUCKET_USD = 2;
const BUCKET_ROW_LENGTH = 3;

export interface WindowSizing {
  /** The poll interval the fine tier is sized for (it still grows if polls come faster). */
  expectedPollMs: number;
}

const SIDES: readonly PositionSide[] = ['long', 'short'];
const scratch = new Float64Array(SNAPSHOT_ROW_LENGTH);
const bucketScratch = new Float64Array(BUCKET_ROW_LENGTH);

export function slotStart(at: number, slotMs: number): number {
  return at - (((at % slotMs) + slotMs) % slotMs);
}

export class MarketWindow {
  readonly fine: ColumnRing;
  readonly coarse: ColumnRing;
  private readonly buckets: [ColumnRing | null, ColumnRing | null] = [null, null];
  private fineCutoff = Number.NEGATIVE_INFINITY;
  private windowCutoff = Number.NEGATIVE_INFINITY;

  constructor(sizing: WindowSizing) {
    const fineHint = Math.ceil(FINE_SPAN_MS / sizing.expectedPollMs) + 2;
    const coarseHint = Math.ceil((WINDOW_SPAN_MS - FINE_SPAN_MS) / COARSE_SLOT_MS) + 2;
    // Sized for the steady state from the start (storage is taken at the first row, in one block): step-wise
    // growth fragments the C heap (see column-ring.ts).
    this.fine = new ColumnRing(SNAPSHOT_ROW_LENGTH, fineHint, fineHint);
    this.coarse = new ColumnRing(SNAPSHOT_ROW_LENGTH, coarseHint, coarseHint);
  }

  /** Moves the tier boundaries to `now` (never backwards): demotes aged fine rows, drops what left the window. */
  advance(now: number): void {
    const windowCutoff = Math.max(this.windowCutoff, now - WINDOW_SPAN_MS);
    const fineCutoff = Math.max(this.fineCutoff, now - FINE_SPAN_MS);
    if (fineCutoff === this.fineCutoff && windowCutoff === this.windowCutoff) return;
    this.windowCutoff = windowCutoff;
    this.fineCutoff = fineCutoff;
    const fine = this.fine;
    let demoted = 0;
    while (demoted < fine.size && fine.time(demoted) < fineCutoff) {
      if (fine.time(demoted) >= windowCutoff) {
        fine.readRow(demoted, scratch);
        this.putCoarse(scratch);
      }
      demoted++;
    }
    fine.dropHead(demoted);
    this.coarse.dropBefore(windowCutoff);
    for (const ring of this.buckets) ring?.dropBefore(windowCutoff - MINUTE_MS + 1);
  }

  /** Adds a snapshot row (NaN = null); call `advance(now)` first. A row at an existing time replaces it. */
  addSnapshot(row: Float64Array): void {
    const at = row[AT_COLUMN] ?? Number.NaN;
    if (at < this.windowCutoff) return;
    if (at < this.fineCutoff) {
      this.putCoarse(row);
      return;
    }
    const fine = this.fine;
    const n = fine.size;
    if (n === 0 || fine.time(n - 1) < at) {
      fine.push(row);
      return;
    }
    const index = fine.lowerBound(at);
    if (fine.time(index) === at) fine.writeRow(index, row);
    else fine.insert(index, row);
  }

  /** Adds `count` liquidations worth `sizeUsd` to the bucket of `minuteAt` and `side`. */
  addToBucket(minuteAt: number, side: PositionSide, count: number, sizeUsd: number): void {
    if (minuteAt + MINUTE_MS <= this.windowCutoff) return;
    const sideIndex = side === 'long' ? 0 : 1;
    let ring = this.buckets[sideIndex];
    if (ring === null) {
      ring = new ColumnRing(BUCKET_ROW_LENGTH, WINDOW_SPAN_MS / MINUTE_MS + 2, 4);
      this.buckets[sideIndex] = ring;
    }
    const n = ring.size;
    const index = n > 0 && ring.time(n - 1) === minuteAt ? n - 1 : ring.lowerBound(minuteAt);
    if (index >= n || ring.time(index) !== minuteAt) {
      bucketScratch[BUCKET_MINUTE] = minuteAt;
      bucketScratch[BUCKET_COUNT] = 0;
      bucketScratch[BUCKET_USD] = 0;
      ring.insert(index, bucketScratch);
    }
    ring.addTo(index, BUCKET_COUNT, count);
    ring.addTo(index, BUCKET_USD, sizeUsd);
  }

  /** Drops everything older than `at` (buckets whose minute ended by `at`), as a prune does on disk. */
  dropBefore(at: number): void {
    this.coarse.dropBefore(at);
    this.fine.dropBefore(at);
    for (const ring of this.buckets) ring?.dropBefore(at - MINUTE_MS + 1);
  }

  /** Calls `visit` for every snapshot with at >= sinceAt, oldest first. */
  forEachSnapshot(sinceAt: number, visit: (ring: ColumnRing, index: number) => void): void {
    for (const ring of [this.coarse, this.fine]) {
      for (let i = ring.lowerBound(sinceAt); i < ring.size; i++) visit(ring, i);
    }
  }

  /** The newest snapshot in the window, or null. */
  latest(): { ring: ColumnRing; index: number } | null {
    if (this.fine.size > 0) return { ring: this.fine, index: this.fine.size - 1 };
    if (this.coarse.size > 0) return { ring: this.coarse, index: this.coarse.size - 1 };
    return null;
  }

  /** Calls `visit` for every bucket whose minute ends after sinceAt (so the minute holding sinceAt is included). */
  forEachBucket(
    sinceAt: number,
    visit: (minuteAt: number, side: PositionSide, count: number, sizeUsd: number) => void,
  ): void {
    SIDES.forEach((side, sideIndex) => {
      const ring = this.buckets[sideIndex];
      if (ring === null || ring === undefined) return;
      for (let i = ring.lowerBound(sinceAt - MINUTE_MS + 1); i < ring.size; i++) {
        visit(ring.time(i), side, ring.value(i, BUCKET_COUNT), ring.value(i, BUCKET_USD));
      }
    });
  }

  /** The bucket ring of one side (rows: BUCKET_MINUTE, BUCKET_COUNT, BUCKET_USD), null before its first bucket. */
  bucketRing(side: PositionSide): ColumnRing | null {
    return this.buckets[side === 'long' ? 0 : 1];
  }

  /** Rows and bytes held, for the bench and `status`. */
  stats(): { finePoints: number; coarsePoints: number; buckets: number; bytes: number } {
    let buckets = 0;
    let bytes = this.fine.byteLength + this.coarse.byteLength;
    for (const ring of this.buckets) {
      if (ring === null) continue;
      buckets += ring.size;
      bytes += ring.byteLength;
    }
    return { finePoints: this.fine.size, coarsePoints: this.coarse.size, buckets, bytes };
  }

  /** Keeps the last row of each 5-minute slot in the coarse tier. */
  private putCoarse(row: Float64Array): void {
    const at = row[AT_COLUMN] ?? Number.NaN;
    const start = slotStart(at, COARSE_SLOT_MS);
    const coarse = this.coarse;
    const n = coarse.size;
    if (n === 0 || coarse.time(n - 1) < start) {
      coarse.push(row);
      return;
    }
    const index = coarse.lowerBound(start);
    if (index < n && coarse.time(index) < start + COARSE_SLOT_MS) {
      if (at >= coarse.time(index)) coarse.writeRow(index, row);
      return;
    }
    coarse.insert(index, row);
  }
}
