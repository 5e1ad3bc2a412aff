// A columnar ring buffer of numeric rows kept sorted by column 0 (a time in epoch ms). It is what the in-memory
// window is made of: one Float64Array per ring instead of one JS object per row, so 2,000 markets x 24 h cost
// tens of megabytes rather than gigabytes.
//
// - Storage is column-major in one Float64Array: column slot `s` occupies [s * capacity, (s + 1) * capacity),
//   and a row's physical index is (head + logical index) mod capacity.
// - NaN means "no value" (null). Snapshot values are finite by schema, so NaN never stands for a real value.
// - A column that has only ever held NaN takes no memory: it is allocated on the first non-NaN write (depth bands
//   are measured for the top markets only, long/short ratios exist on some venues only).
// - Memory is taken in as few allocations as possible: nothing until the first row, then `initialCapacity` rows
//   of the columns that row needs. Rings that grow step by step leave freed blocks behind in the C heap that
//   later allocations do not fit (measured: +50 MB of RSS for 2,000 markets); so the window creates its rings at
//   their expected size.
// - Rows are appended at the tail and dropped at the head; inserting in the middle (out-of-order data) is
//   supported but shifts the rows after it, which is fine for the rare late row.
// - Each row can carry one cached object built from it (`cached`/`setCached`): the store keeps the frozen
//   Snapshot materialised from the row there, so history() rebuilds only rows that changed. Every operation
//   that changes a row's values (writeRow, push, insert, addTo) clears that row's object, rows shifted by an
//   insert carry theirs along, and dropped rows release theirs.

const MAX_COLUMNS = 31;
const EMPTY = new Float64Array(0);

function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export class ColumnRing {
  readonly columnCount: number;
  private readonly capacityHint: number;
  private capacity: number;
  private head = 0;
  private count = 0;
  /** Bit c is set when column c has storage; column 0 (the time) always has. */
  private allocated = 1;
  private data: Float64Array;
  /** Cached object per physical row (same indexing as a column), or null before the first `setCached`. */
  private objects: unknown[] | null = null;

  /**
   * @param columnCount columns per row, column 0 being the sort key (time)
   * @param capacityHint the size the ring is expected to settle at; growth stops there exactly before going on
   *   in steps of 1.5x, so a ring that fills to its hint wastes no slack
   * @param initialCapacity rows allocated at first
   */
  constructor(columnCount: number, capacityHint: number, initialCapacity = 16) {
    if (columnCount < 1 || columnCount > MAX_COLUMNS) throw new RangeError(`columnCount must be 1..${MAX_COLUMNS}`);
    this.columnCount = columnCount;
    this.capacityHint = Math.max(1, Math.ceil(capacityHint));
    this.capacity = Math.max(1, Math.ceil(initialCapacity));
    this.data = EMPTY;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the ring's storage. */
  get byteLength(): number {
    return this.data.byteLength;
  }

  /** The time (column 0) of logical row `index`. */
  time(index: number): number {
    return this.data[this.physical(index)] ?? Number.NaN;
  }

  /** The value of `column` in logical row `index`; NaN when absent. */
  value(index: number, column: number): number {
    const slot = this.slot(column);
    if (slot < 0) return Number.NaN;
    return this.data[slot * this.capacity + this.physical(index)] ?? Number.NaN;
  }

  /** Copies logical row `index` into `out` (length >= columnCount). */
  readRow(index: number, out: Float64Array): void {
    const p = this.physical(index);
    for (let column = 0; column < this.columnCount; column++) {
      const slot = this.slot(column);
      out[column] = slot < 0 ? Number.NaN : (this.data[slot * this.capacity + p] ?? Number.NaN);
    }
  }

  /** The object cached for logical row `index` by `setCached`, or undefined (none, or the row changed since). */
  cached(index: number): unknown {
    return this.objects === null ? undefined : this.objects[this.physical(index)];
  }

  /** Caches `value` for logical row `index` until the row's values change or it is dropped. */
  setCached(index: number, value: unknown): void {
    if (this.objects === null) this.objects = new Array<unknown>(this.capacity).fill(undefined);
    this.objects[this.physical(index)] = value;
  }

  /** Forgets every cached object. */
  clearCached(): void {
    this.objects = null;
  }

  /** Overwrites logical row `index` with `row` (every column, NaN clears). */
  writeRow(index: number, row: ArrayLike<number>): void {
    if (this.objects !== null) this.objects[this.physical(index)] = undefined;
    let needed = this.allocated;
    for (let column = 1; column < this.columnCount; column++) {
      if (!Number.isNaN(row[column] ?? Number.NaN)) needed |= 1 << column;
    }
    if (needed !== this.allocated || this.data === EMPTY) this.allocateColumns(needed);
    const p = this.physical(index);
    for (let column = 0; column < this.columnCount; column++) {
      const slot = this.slot(column);
      if (slot >= 0) this.data[slot * this.capacity + p] = row[column] ?? Number.NaN;
    }
  }

  /** Adds one value to a column of an existing row (NaN counts as 0 there). */
  addTo(index: number, column: number, amount: number): void {
    if ((this.allocated & (1 << column)) === 0 || this.data === EMPTY) {
      this.allocateColumns(this.allocated | (1 << column));
    }
    if (this.objects !== null) this.objects[this.physical(index)] = undefined;
    const at = this.slot(column) * this.capacity + this.physical(index);
    const current = this.data[at] ?? Number.NaN;
    this.data[at] = (Number.isNaN(current) ? 0 : current) + amount;
  }

  /** Appends a row at the tail; the caller keeps times ascending. */
  push(row: ArrayLike<number>): void {
    this.ensureRoom();
    this.count++;
    this.writeRow(this.count - 1, row);
  }

  /** Inserts a row before logical row `index`, shifting the later rows by one. */
  insert(index: number, row: ArrayLike<number>): void {
    if (index >= this.count) {
      this.push(row);
      return;
    }
    this.ensureRoom();
    const slots = popcount32(this.allocated);
    const objects = this.objects;
    for (let i = this.count; i > index; i--) {
      const to = this.physical(i);
      const from = this.physical(i - 1);
      for (let s = 0; s < slots; s++)
        this.data[s * this.capacity + to] = this.data[s * this.capacity + from] ?? Number.NaN;
      if (objects !== null) objects[to] = objects[from];
    }
    this.count++;
    this.writeRow(index, row);
  }

  /** Drops the `n` oldest rows. */
  dropHead(n: number): void {
    const drop = Math.min(n, this.count);
    if (drop <= 0) return;
    const objects = this.objects;
    if (objects !== null) for (let i = 0; i < drop; i++) objects[this.physical(i)] = undefined;
    this.count -= drop;
    this.head = this.count === 0 ? 0 : (this.head + drop) % this.capacity;
  }

  /** Drops every row whose time is below `time`. */
  dropBefore(time: number): void {
    this.dropHead(this.lowerBound(time));
  }

  /** The first logical index whose time is >= `time` (size when there is none). */
  lowerBound(time: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time(mid) < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private physical(index: number): number {
    const p = this.head + index;
    return p >= this.capacity ? p - this.capacity : p;
  }

  /** Storage slot of a column, or -1 when the column has none. */
  private slot(column: number): number {
    const bit = 1 << column;
    if ((this.allocated & bit) === 0) return -1;
    return popcount32(this.allocated & (bit - 1));
  }

  /** Gives storage to every column in `next` (a superset of the allocated ones), in one reallocation. */
  private allocateColumns(next: number): void {
    const data = new Float64Array(popcount32(next) * this.capacity);
    for (let c = 0, oldSlot = 0, newSlot = 0; c < this.columnCount; c++) {
      const bit = 1 << c;
      if ((next & bit) === 0) continue;
      const target = data.subarray(newSlot * this.capacity, (newSlot + 1) * this.capacity);
      if ((this.allocated & bit) === 0 || this.data === EMPTY) target.fill(Number.NaN);
      else {
        target.set(this.data.subarray(oldSlot * this.capacity, (oldSlot + 1) * this.capacity));
        oldSlot++;
      }
      newSlot++;
    }
    this.allocated = next;
    this.data = data;
  }

  private ensureRoom(): void {
    if (this.count < this.capacity) return;
    const grown =
      this.capacity < this.capacityHint
        ? Math.min(this.capacityHint, this.capacity * 2)
        : Math.ceil(this.capacity * 1.5);
    const capacity = Math.max(grown, this.capacity + 1);
    const slots = popcount32(this.allocated);
    const data = new Float64Array(slots * capacity);
    // Unroll the ring into logical order at the start of each new slot.
    const firstPart = Math.min(this.count, this.capacity - this.head);
    for (let s = 0; s < slots; s++) {
      const base = s * this.capacity;
      data.set(this.data.subarray(base + this.head, base + this.head + firstPart), s * capacity);
      data.set(this.data.subarray(base, base + this.count - firstPart), s * capacity + firstPart);
    }
    const objects = this.objects;
    if (objects !== null) {
      const moved = new Array<unknown>(capacity).fill(undefined);
      for (let i = 0; i < this.count; i++) moved[i] = objects[this.physical(i)];
      this.objects = moved;
    }
    this.data = data;
    this.capacity = capacity;
    this.head = 0;
  }
}
