import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColumnRing } from '../../src/store/column-ring.js';

const COLUMNS = 5;

type Op =
  | { kind: 'append'; step: number; values: (number | null)[] }
  | { kind: 'roll'; step: number; values: (number | null)[] }
  | { kind: 'late'; back: number; values: (number | null)[] }
  | { kind: 'drop'; n: number }
  | { kind: 'dropBefore'; back: number };

const valueArb = fc.option(fc.integer({ min: -1_000, max: 1_000 }), { nil: null, freq: 3 });
const valuesArb = fc.array(valueArb, { minLength: COLUMNS - 1, maxLength: COLUMNS - 1 });
// Mostly appends (as polls come), rolls (append and drop the oldest, as a full window does), some late rows and
// drops from the head, so the ring both wraps around and grows.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('roll' as const),
      step: fc.integer({ min: 1, max: 3 }),
      values: valuesArb,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      step: fc.integer({ min: 1, max: 3 }),
      values: valuesArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('late' as const),
      back: fc.integer({ min: 0, max: 30 }),
      values: valuesArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), n: fc.integer({ min: 0, max: 4 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('dropBefore' as const), back: fc.integer({ min: 0, max: 30 }) }),
  },
);

function contents(ring: ColumnRing): (number | null)[][] {
  const rows: (number | null)[][] = [];
  for (let i = 0; i < ring.size; i++) {
    const row: (number | null)[] = [];
    for (let c = 0; c < COLUMNS; c++) {
      const v = ring.value(i, c);
      row.push(Number.isNaN(v) ? null : v);
    }
    rows.push(row);
  }
  return rows;
}

describe('column ring', () => {
  it('behaves like a sorted list of rows through appends, late inserts, replacements, drops and growth', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(opArb, { maxLength: 300 }), (hint, ops) => {
        const ring = new ColumnRing(COLUMNS, hint, 2);
        let model: (number | null)[][] = [];
        let latest = 0;
        for (const op of ops) {
          if (op.kind === 'append' || op.kind === 'roll' || op.kind === 'late') {
            const time = op.kind === 'late' ? Math.max(0, latest - op.back) : latest + op.step;
            latest = Math.max(latest, time);
            const row = [time, ...op.values];
            const asNumbers = row.map((v) => v ?? Number.NaN);
            const index = ring.lowerBound(time);
            if (index < ring.size && ring.time(index) === time) ring.writeRow(index, asNumbers);
            else ring.insert(index, asNumbers);
            const at = model.findIndex((r) => (r[0] as number) >= time);
            if (at >= 0 && model[at]?.[0] === time) model[at] = row;
            else if (at >= 0) model.splice(at, 0, row);
            else model.push(row);
            if (op.kind === 'roll') {
              ring.dropHead(1);
              model = model.slice(1);
            }
          } else if (op.kind === 'drop') {
            ring.dropHead(op.n);
            model = model.slice(op.n);
          } else {
            const time = latest - op.back;
            ring.dropBefore(time);
            model = model.filter((r) => (r[0] as number) >= time);
          }
          expect(contents(ring)).toEqual(model);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('allocates no storage for a column until it holds a value, and settles at its capacity hint', () => {
    const ring = new ColumnRing(20, 242, 8);
    for (let i = 0; i < 242; i++) ring.push([i]);
    expect(ring.byteLength).toBe(242 * 8); // only the time column
    ring.push([242, 1]);
    expect(ring.byteLength).toBe(Math.ceil(242 * 1.5) * 8 * 2);
    expect(ring.value(242, 1)).toBe(1);
    expect(ring.value(0, 1)).toBeNaN();
    expect(ring.value(0, 19)).toBeNaN();
  });
});

describe('ColumnRing cached objects', () => {
  const row = (time: number, value = time): number[] => [time, value, Number.NaN, Number.NaN, Number.NaN];

  it('keeps an object per row until the row is written, added to or dropped; inserts move them with their row', () => {
    const ring = new ColumnRing(COLUMNS, 4, 2);
    for (const t of [10, 20, 30]) ring.push(row(t));
    const tags = ['a', 'b', 'c'];
    tags.forEach((tag, i) => ring.setCached(i, tag));
    expect([0, 1, 2].map((i) => ring.cached(i))).toEqual(['a', 'b', 'c']);

    ring.insert(1, row(15)); // shifts 20 and 30, and grows the ring (capacity 4 -> full)
    expect([0, 1, 2, 3].map((i) => ring.cached(i))).toEqual(['a', undefined, 'b', 'c']);
    ring.push(row(40)); // grows past the hint: the objects follow their rows into the new layout
    expect([0, 1, 2, 3, 4].map((i) => ring.cached(i))).toEqual(['a', undefined, 'b', 'c', undefined]);

    ring.writeRow(2, row(20, 7));
    expect(ring.cached(2)).toBeUndefined();
    ring.addTo(3, 1, 1);
    expect(ring.cached(3)).toBeUndefined();
    expect(ring.cached(0)).toBe('a');

    ring.dropHead(1);
    expect(ring.cached(0)).toBeUndefined(); // was 15's slot, never cached
    ring.setCached(0, 'x');
    ring.clearCached();
    expect(ring.cached(0)).toBeUndefined();
  });

  it('releases the objects of dropped rows, so a wrapped-around slot never shows a stale one', () => {
    const ring = new ColumnRing(COLUMNS, 3, 3);
    for (const t of [1, 2, 3]) ring.push(row(t));
    [0, 1, 2].forEach((i) => ring.setCached(i, `t${i + 1}`));
    ring.dropHead(2);
    ring.push(row(4));
    ring.push(row(5));
    expect([0, 1, 2].map((i) => ring.cached(i))).toEqual(['t3', undefined, undefined]);
    ring.dropHead(3);
    ring.push(row(6));
    expect(ring.cached(0)).toBeUndefined();
  });
});
