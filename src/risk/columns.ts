// The values of a market's history that the window features and the liquidation profile read, as columns
// (one typed array per value, a flag array where a value can be missing), so that a pass reads each snapshot
// object once, or not at all: a history made of frozen objects (the store's, when it keeps built snapshots for
// replays) is read against the objects of the same market's previous read, and only the objects not among them
// are read. A frozen object never changes, so its values are the ones read before. Everything else (the bot's
// store builds fresh objects) is read whole into reused columns: nothing is kept between calls.
import type { LiquidationBucket, Snapshot } from '../domain/market.js';
import { bandAt, fundingPerHour, priceOf } from './history.js';

/** How far ahead of the last match a frozen object is looked for among the previous read's (rows dropped, replaced). */
const LOOKAHEAD = 16;
/** Markets whose previous read is kept (least recently read dropped first). */
const MAX_MARKETS = 1024;

/** Grows `values` to at least `size`, keeping its first `keep` values. */
function grownFloat(values: Float64Array<ArrayBuffer>, size: number, keep: number): Float64Array<ArrayBuffer> {
  if (values.length >= size) return values;
  const out = new Float64Array(Math.max(size, Math.ceil(values.length * 1.25)));
  out.set(values.subarray(0, keep));
  return out;
}

function grownFlags(values: Uint8Array<ArrayBuffer>, size: number, keep: number): Uint8Array<ArrayBuffer> {
  if (values.length >= size) return values;
  const out = new Uint8Array(Math.max(size, Math.ceil(values.length * 1.25)));
  out.set(values.subarray(0, keep));
  return out;
}

/** One set of snapshot columns: row i describes snapshot i of the history read. */
export class SnapshotColumns {
  count = 0;
  at = new Float64Array(0);
  /** priceOf (0 where missing). */
  price = new Float64Array(0);
  hasPrice = new Uint8Array(0);
  /** fundingPerHour. */
  funding = new Float64Array(0);
  hasFunding = new Uint8Array(0);
  /** The bid and ask USD of the band the columns were read for (bandAt). */
  bandBid = new Float64Array(0);
  bandAsk = new Float64Array(0);
  hasBand = new Uint8Array(0);
  /** Open interest in coins: USD over a positive price. */
  coins = new Float64Array(0);
  hasCoins = new Uint8Array(0);
  contracts = new Float64Array(0);
  hasContracts = new Uint8Array(0);
  openInterestUsd = new Float64Array(0);
  hasOpenInterestUsd = new Uint8Array(0);

  /** Room for `size` rows, the first `keep` kept. */
  reserve(size: number, keep: number): void {
    this.at = grownFloat(this.at, size, keep);
    this.price = grownFloat(this.price, size, keep);
    this.hasPrice = grownFlags(this.hasPrice, size, keep);
    this.funding = grownFloat(this.funding, size, keep);
    this.hasFunding = grownFlags(this.hasFunding, size, keep);
    this.bandBid = grownFloat(this.bandBid, size, keep);
    this.bandAsk = grownFloat(this.bandAsk, size, keep);
    this.hasBand = grownFlags(this.hasBand, size, keep);
    this.coins = grownFloat(this.coins, size, keep);
    this.hasCoins = grownFlags(this.hasCoins, size, keep);
    this.contracts = grownFloat(this.contracts, size, keep);
    this.hasContracts = grownFlags(this.hasContracts, size, keep);
    this.openInterestUsd = grownFloat(this.openInterestUsd, size, keep);
    this.hasOpenInterestUsd = grownFlags(this.hasOpenInterestUsd, size, keep);
  }

  /** Row i from the snapshot itself. */
  read(i: number, s: Snapshot, bandPercent: number): void {
    this.at[i] = s.at;
    const p = priceOf(s);
    this.price[i] = p ?? 0;
    this.hasPrice[i] = p === null ? 0 : 1;
    const rate = fundingPerHour(s);
    this.funding[i] = rate ?? 0;
    this.hasFunding[i] = rate === null ? 0 : 1;
    const band = bandAt(s, bandPercent);
    this.bandBid[i] = band === null ? 0 : band.bidUsd;
    this.bandAsk[i] = band === null ? 0 : band.askUsd;
    this.hasBand[i] = band === null ? 0 : 1;
    const coins = s.openInterestUsd !== null && p !== null && p > 0 ? s.openInterestUsd / p : null;
    this.coins[i] = coins ?? 0;
    this.hasCoins[i] = coins === null ? 0 : 1;
    this.contracts[i] = s.openInterestContracts ?? 0;
    this.hasContracts[i] = s.openInterestContracts === null ? 0 : 1;
    this.openInterestUsd[i] = s.openInterestUsd ?? 0;
    this.hasOpenInterestUsd[i] = s.openInterestUsd === null ? 0 : 1;
  }

  /** Rows [i, i + count) from rows [j, j + count) of `from`. */
  copyRun(i: number, from: SnapshotColumns, j: number, count: number): void {
    const end = j + count;
    this.at.set(from.at.subarray(j, end), i);
    this.price.set(from.price.subarray(j, end), i);
    this.hasPrice.set(from.hasPrice.subarray(j, end), i);
    this.funding.set(from.funding.subarray(j, end), i);
    this.hasFunding.set(from.hasFunding.subarray(j, end), i);
    this.bandBid.set(from.bandBid.subarray(j, end), i);
    this.bandAsk.set(from.bandAsk.subarray(j, end), i);
    this.hasBand.set(from.hasBand.subarray(j, end), i);
    this.coins.set(from.coins.subarray(j, end), i);
    this.hasCoins.set(from.hasCoins.subarray(j, end), i);
    this.contracts.set(from.contracts.subarray(j, end), i);
    this.hasContracts.set(from.hasContracts.subarray(j, end), i);
    this.openInterestUsd.set(from.openInterestUsd.subarray(j, end), i);
    this.hasOpenInterestUsd.set(from.hasOpenInterestUsd.subarray(j, end), i);
  }
}

/** Liquidation bucket columns: row i describes bucket i. */
export class BucketColumns {
  count = 0;
  minuteAt = new Float64Array(0);
  /** 1 for a bucket of long positions, 0 for shorts. */
  long = new Uint8Array(0);
  sizeUsd = new Float64Array(0);

  reserve(size: number, keep: number): void {
    this.minuteAt = grownFloat(this.minuteAt, size, keep);
    this.long = grownFlags(this.long, size, keep);
    this.sizeUsd = grownFloat(this.sizeUsd, size, keep);
  }

  read(i: number, bucket: LiquidationBucket): void {
    this.minuteAt[i] = bucket.minuteAt;
    this.long[i] = bucket.side === 'long' ? 1 : 0;
    this.sizeUsd[i] = bucket.sizeUsd;
  }

  copyRun(i: number, from: BucketColumns, j: number, count: number): void {
    const end = j + count;
    this.minuteAt.set(from.minuteAt.subarray(j, end), i);
    this.long.set(from.long.subarray(j, end), i);
    this.sizeUsd.set(from.sizeUsd.subarray(j, end), i);
  }
}

interface Columns {
  count: number;
  reserve(size: number, keep: number): void;
  copyRun(i: number, from: this, j: number, count: number): void;
}

/** A market's previous read: the objects it read, and two column sets (the current one, and the one to fill next). */
interface Kept<C extends Columns, T extends object> {
  objects: T[];
  /** The array last read and how much of it (the profile and the features read a market's history in turn). */
  lastItems: readonly T[] | null;
  lastCount: number;
  current: C;
  spare: C;
  /** What the values depend on besides the objects (the band percent of snapshot columns). */
  variant: number;
}

/**
 * Reads `items[0, n)` into columns, reusing for frozen items the rows of the same objects in `kept` (found in order,
 * at most LOOKAHEAD past the last one found), and keeps what it read for next time.
 */
function readAgainst<C extends Columns, T extends object>(
  kept: Kept<C, T>,
  items: readonly T[],
  n: number,
  read: (columns: C, i: number, item: T) => void,
): C {
  const previous = kept.current;
  const objects = kept.objects;
  const before = previous.count;
  // The same array, as read a moment ago (nothing changes a history while the engine reads it).
  if (items === kept.lastItems && n === kept.lastCount && n === before && objects[0] === items[0]) {
    if (n === 0 || objects[n - 1] === items[n - 1]) return previous;
  }
  kept.lastItems = items;
  kept.lastCount = n;
  const next = kept.spare;
  next.reserve(n, 0);
  let i = 0;
  let j = 0;
  while (i < n) {
    const item = items[i] as T;
    let found = -1;
    for (let k = j; k < before && k < j + LOOKAHEAD; k++) {
      if (objects[k] === item) {
        found = k;
        break;
      }
    }
    if (found < 0) {
      read(next, i, item);
      i++;
      continue;
    }
    // A run of the same objects in the same order, copied at once.
    const limit = Math.min(n - i, before - found);
    let count = 1;
    while (count < limit && items[i + count] === objects[found + count]) count++;
    next.copyRun(i, previous, found, count);
    i += count;
    j = found + count;
  }
  next.count = n;
  // The objects read, in place of the previous ones (a copy: the caller's array stays the caller's).
  kept.objects = items.slice(0, n);
  kept.current = next;
  kept.spare = previous;
  return next;
}

const snapshotsKept = new Map<string, Kept<SnapshotColumns, Snapshot>>();
const bucketsKept = new Map<string, Kept<BucketColumns, LiquidationBucket>>();
const looseSnapshots = new SnapshotColumns();
const looseBuckets = new BucketColumns();

/** The kept read of `key`, most recently used last; a fresh one when none (or one of another variant) is kept. */
function keptFor<C extends Columns, T extends object>(
  map: Map<string, Kept<C, T>>,
  key: string,
  variant: number,
  make: () => C,
): Kept<C, T> {
  let kept = map.get(key);
  if (kept !== undefined) map.delete(key);
  if (kept === undefined || kept.variant !== variant) {
    kept = { objects: [], lastItems: null, lastCount: 0, current: make(), spare: make(), variant };
  }
  map.set(key, kept);
  if (map.size > MAX_MARKETS) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  return kept;
}

const isShared = (items: readonly object[], n: number): boolean =>
  n > 0 && Object.isFrozen(items[0]) && Object.isFrozen(items[n - 1]);

/**
 * Columns of `snapshots[0, n)` of the market `key`, the band read being `bandPercent`. Valid until the next call
 * for the same market (or, for a history of objects that are not frozen, until the next call at all).
 */
export function snapshotColumns(
  key: string,
  snapshots: readonly Snapshot[],
  n: number,
  bandPercent: number,
): SnapshotColumns {
  const read = (columns: SnapshotColumns, i: number, s: Snapshot): void => columns.read(i, s, bandPercent);
  if (!isShared(snapshots, n)) {
    looseSnapshots.reserve(n, 0);
    for (let i = 0; i < n; i++) read(looseSnapshots, i, snapshots[i] as Snapshot);
    looseSnapshots.count = n;
    return looseSnapshots;
  }
  const kept = keptFor(snapshotsKept, key, bandPercent, () => new SnapshotColumns());
  return readAgainst(kept, snapshots, n, read);
}

/** Columns of the market's liquidation buckets, valid as snapshotColumns' are. */
export function bucketColumns(key: string, buckets: readonly LiquidationBucket[]): BucketColumns {
  const n = buckets.length;
  if (!isShared(buckets, n)) {
    looseBuckets.reserve(n, 0);
    for (let i = 0; i < n; i++) looseBuckets.read(i, buckets[i] as LiquidationBucket);
    looseBuckets.count = n;
    return looseBuckets;
  }
  const kept = keptFor(bucketsKept, key, 0, () => new BucketColumns());
  return readAgainst(kept, buckets, n, (columns, i, bucket) => columns.read(i, bucket));
}

/** Forgets every kept read (a replay calls it when done, so its snapshots do not outlive it). */
export function forgetKeptColumns(): void {
  snapshotsKept.clear();
  bucketsKept.clear();
}
