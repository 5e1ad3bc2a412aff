import { describe, expect, it } from 'vitest';
import { cutText, fitText, formatPercent, formatUsd } from '../../src/commands/text.js';

/** Whether a string holds half a surrogate pair (not valid UTF-8 once encoded). */
const hasLoneSurrogate = (text: string): boolean => /\p{Cs}/u.test(text);

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

describe('cutText', () => {
  it('returns text within the limit unchanged', () => {
    expect(cutText('short', 40, '…')).toBe('short');
  });

  it('never splits an emoji into a lone surrogate', () => {
    // 39 letters, then an emoji of two UTF-16 units: a plain slice(0, 40) keeps only its first half.
    const name = `${'x'.repeat(39)}😀😀`;
    expect(hasLoneSurrogate(name.slice(0, 40))).toBe(true);
    const cut = cutText(name, 40);
    expect(cut).toBe('x'.repeat(39));
    expect(hasLoneSurrogate(cut)).toBe(false);
  });

  it('keeps a family emoji, a flag and an accented letter whole, and stays within the limit with the ellipsis', () => {
    const family = '👨‍👩‍👧';
    const flag = '🇺🇦';
    const accented = 'e\u0301';
    for (const grapheme of [family, flag, accented]) {
      for (let max = 1; max <= 12; max++) {
        const text = `ab${grapheme}${grapheme}`;
        const cut = cutText(text, max, '…');
        expect(cut.length).toBeLessThanOrEqual(Math.max(max, 1));
        // What is kept ends between two graphemes.
        expect(['', 'a', 'ab', `ab${grapheme}`, text]).toContain(cut.replace(/…$/, ''));
        expect(hasLoneSurrogate(cut)).toBe(false);
      }
    }
  });

  it('cuts a run of combining marks longer than the limit between code points', () => {
    const zalgo = `Z${'\u0336'.repeat(60)}`;
    const cut = cutText(zalgo, 20, '…');
    expect(cut.length).toBe(20);
    expect(zalgo.startsWith(cut.replace(/…$/, ''))).toBe(true);
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
