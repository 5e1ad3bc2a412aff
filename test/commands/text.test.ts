import { describe, expect, it } from 'vitest';
import { fitText, formatPercent, formatUsd } from '../../src/commands/text.js';

describe('fitText', () => {
  const text = 'The first sentence is here. The second sentence follows it. A third one closes the paragraph.';

  it('returns short text unchanged', () => {
    expect(fitText(text, 500, '(more)')).toBe(text);
  });

  it('cuts after the last whole sentence that fits and adds the pointer', () => {
    const fitted = fitText(text, 70, '(more)');
    expect(fitted).toBe('The first sentence is here. The second sentence follows it. … (more)');
    expect(fitted.length).toBeLessThanOrEqual(70);
  });

  it('cuts at a word boundary when no sentence ends early enough', () => {
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda';
    const fitted = fitText(words, 30, '(more)');
    expect(fitted.length).toBeLessThanOrEqual(30);
    const kept = fitted.replace(' … (more)', '');
    expect(words.startsWith(kept)).toBe(true);
    expect(words.charAt(kept.length)).toBe(' ');
  });
});

describe('formatting', () => {
  it('formats USD amounts compactly', () => {
    expect(formatUsd(1_234_000_000)).toBe('$1.2B');
    expect(formatUsd(340_000_000)).toBe('$340M');
    expect(formatUsd(12_500)).toBe('$12.5k');
    expect(formatUsd(950)).toBe('$950');
    expect(formatUsd(-2_000_000)).toBe('-$2M');
    expect(formatUsd(999_999)).toBe('$1M');
    expect(formatUsd(999_400)).toBe('$999k');
  });

  it('formats fractions as signed percentages', () => {
    expect(formatPercent(0.0123)).toBe('+1.23%');
    expect(formatPercent(-0.05, 1)).toBe('-5.0%');
  });
});
