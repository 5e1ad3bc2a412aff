import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScratchBuffer, median, medianInPlace } from '../../src/risk/math.js';

describe('risk math helpers', () => {
  it('finds by selection the same median as a sort, for any numbers and any count', () => {
    const values = fc.array(
      fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 4 })),
      { minLength: 0, maxLength: 60 },
    );
    fc.assert(
      fc.property(values, (numbers) => {
        const found = medianInPlace(Float64Array.from(numbers), numbers.length);
        const sorted = median(numbers);
        // Equal values may come out of either zero's sign; no caller divides by a zero median.
        expect(found === null ? null : found === 0 ? 0 : found).toBe(
          sorted === null ? null : sorted === 0 ? 0 : sorted,
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it('takes the median of only the first values it is given', () => {
    expect(medianInPlace(Float64Array.from([5, 1, 3, 100, 200]), 3)).toBe(3);
    expect(medianInPlace(Float64Array.from([4, 2, 100]), 2)).toBe(3);
    expect(medianInPlace(new Float64Array(4), 0)).toBeNull();
  });

  it('hands out a scratch buffer at least as large as asked, grown only when needed', () => {
    const scratch = new ScratchBuffer(4);
    const small = scratch.take(3);
    expect(small.length).toBeGreaterThanOrEqual(3);
    expect(scratch.take(4)).toBe(small);
    const large = scratch.take(100);
    expect(large.length).toBeGreaterThanOrEqual(100);
    expect(scratch.take(10)).toBe(large);
  });
});
