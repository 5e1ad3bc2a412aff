import { describe, expect, it } from 'vitest';
import { duration, percent, price, signedPercent, times, usd } from '../../src/domain/format.js';

describe('numbers in explanations', () => {
  it('writes USD compactly', () => {
    expect(usd(4_200_000)).toBe('$4.2M');
    expect(usd(850_000)).toBe('$850k');
    expect(usd(1_234_000_000)).toBe('$1.2B');
    expect(usd(999_999)).toBe('$1M');
    expect(usd(950)).toBe('$950');
  });

  it('writes fractions as percentages with precision that suits their size', () => {
    expect(signedPercent(0.18)).toBe('+18%');
    expect(signedPercent(-0.034)).toBe('-3.4%');
    expect(signedPercent(0.0025)).toBe('+0.25%');
    expect(percent(0.45)).toBe('45%');
  });

  it('writes multiples, durations and prices', () => {
    expect(times(9)).toBe('9×');
    expect(times(2.84)).toBe('2.8×');
    expect(times(310)).toBe('310×');
    expect(times(0.45)).toBe('0.45×');
    expect(duration(5 * 60_000)).toBe('5 min');
    expect(duration(24 * 3_600_000)).toBe('24 h');
    expect(price(104_820.54)).toBe('104,820.5');
    expect(price(1_000_000)).toBe('1,000,000');
    expect(price(3.41234)).toBe('3.4123');
    expect(price(0.00001234)).toBe('0.00001234');
  });
});
