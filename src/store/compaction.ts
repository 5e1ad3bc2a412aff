// Thinning of the snapshots the window no longer holds, so that a week on disk costs little more than a day.
//
// Rows younger than the window (WINDOW_SPAN_MS, the 24 h the risk engine reads) are never touched. Beyond it,
// each market keeps one snapshot per COMPACT_BUCKET_MS bucket (buckets aligned to epoch): the LAST of the bucket,
// as polled. Snapshot values are levels (prices, funding, open interest, depth), so the last one is a value the
// venue really published at the bucket's end; an average would be a number nobody saw. A bucket is thinned only
// once it lies wholly before the cut, so a bucket straddling the window edge keeps all its rows until it has aged
// out completely.
//
// Why 30 minutes (`npm run bench -- store`, 2,000 markets every 30 s): the day at full resolution takes about
// 0.65 GB packed and 0.75 GB in the live file (b-tree pages of appended rows are ~87% full), which leaves about
// 0.25 GB of the 1 GB goal for the six older days of the 7-day default, liquidations included. 15-minute buckets
// measured 0.98 GB for the week, too close to the goal to absorb a day of heavy liquidations or more depth
// markets; 30-minute buckets halve the older days' snapshots. 30 minutes is a multiple of the window's
// 5-minute coarse slot (a kept row is also the last of its slot) and divides every funding interval.
import type Database from 'better-sqlite3';
import { MINUTE_MS, slotStart } from './window.js';

export const COMPACT_BUCKET_MS = 30 * MINUTE_MS;

export interface CompactResult {
  /** Snapshot rows deleted (each had a later row of the same market in its bucket). */
  snapshots: number;
  /** Buckets looked at. */
  buckets: number;
  /** Every bucket the cut let go of is thinned (false: a bucket limit stopped it first). */
  done: boolean;
}

/**
 * Thins the snapshots table below `beforeAt` bucket by bucket. Each statement is its own transaction and covers
 * about `batchRows` rows of the bucket, keepers included (more only when many rows share its last time, as with
 * prune's batches), so a write waits briefly and the WAL stays small.
 */
export class SnapshotCompactor {
  private readonly batchRows: number;
  private readonly oldestAt: Database.Statement;
  private readonly nth: Database.Statement;
  private readonly deleteUpTo: Database.Statement;
  private readonly deleteRest: Database.Statement;
  /**
   * Every bucket before this is already thinned. Kept in memory only: the first run after an open scans from the
   * oldest row (cheap once thinned: one row per market and bucket); a row written later into a bucket already
   * thinned waits for the next open.
   */
  private thinnedBefore = Number.NEGATIVE_INFINITY;

  constructor(db: Database.Database, batchRows: number) {
    this.batchRows = batchRows;
    this.oldestAt = db.prepare('SELECT min(at) FROM snapshots').pluck();
    this.nth = db.prepare('SELECT at FROM snapshots WHERE at >= ? AND at < ? ORDER BY at LIMIT 1 OFFSET ?').pluck();
    // The last time of each market in the bucket is recomputed per statement over the whole bucket, so a batch
    // boundary never moves it. MATERIALIZED makes it one pass per statement, looked up through an automatic
    // index; a row-value `NOT IN (subquery)` was about 40 times slower at 2,000 markets.
    const older = (range: string): string => `
      WITH last (market_id, last_at) AS MATERIALIZED (
        SELECT market_id, max(at) FROM snapshots WHERE at >= $bucketAt AND at < $endAt GROUP BY market_id)
      DELETE FROM snapshots WHERE ${range}
        AND at < (SELECT last_at FROM last WHERE last.market_id = snapshots.market_id)`;
    this.deleteUpTo = db.prepare(older('at >= $fromAt AND at <= $toAt'));
    this.deleteRest = db.prepare(older('at >= $fromAt AND at < $endAt'));
  }

  /** Thins the buckets wholly before `beforeAt`, at most `maxBuckets` of them (the oldest first). */
  compact(beforeAt: number, maxBuckets = Number.POSITIVE_INFINITY): CompactResult {
    const result: CompactResult = { snapshots: 0, buckets: 0, done: true };
    const oldestAt = this.oldestAt.get() as number | null;
    if (oldestAt === null) return result;
    let bucketAt = slotStart(Math.max(oldestAt, this.thinnedBefore), COMPACT_BUCKET_MS);
    for (; bucketAt + COMPACT_BUCKET_MS <= beforeAt; bucketAt += COMPACT_BUCKET_MS) {
      if (result.buckets >= maxBuckets) {
        result.done = false;
        break;
      }
      result.snapshots += this.compactBucket(bucketAt);
      result.buckets++;
      this.thinnedBefore = bucketAt + COMPACT_BUCKET_MS;
    }
    return result;
  }

  private compactBucket(bucketAt: number): number {
    const endAt = bucketAt + COMPACT_BUCKET_MS;
    let deleted = 0;
    let fromAt = bucketAt;
    for (;;) {
      const toAt = this.nth.get(fromAt, endAt, this.batchRows - 1) as number | undefined;
      if (toAt === undefined) {
        return deleted + this.deleteRest.run({ fromAt, endAt, bucketAt }).changes;
      }
      deleted += this.deleteUpTo.run({ fromAt, toAt, bucketAt, endAt }).changes;
      fromAt = toAt + 1; // `at` is an INTEGER column
    }
  }
}
