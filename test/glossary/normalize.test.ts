import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editDistance } from '../../src/glossary/distance.js';
import { compact, matchKeys, normalize, simplify } from '../../src/glossary/normalize.js';

describe('normalize', () => {
  it('lower-cases, strips diacritics and turns hyphens, underscores, slashes and punctuation into single spaces', () => {
    expect(normalize('  Auto-Deleveraging ')).toBe('auto deleveraging');
    expect(normalize('order_book--depth')).toBe('order book depth');
    expect(normalize('Long/short ratio?!')).toBe('long short ratio');
    expect(normalize('Café  Crème')).toBe('cafe creme');
  });

  it("drops apostrophes inside words, so an exchange's fund and exchanges' funds agree", () => {
    expect(normalize("the exchange's fund")).toBe(normalize("the exchanges' funds"));
  });

  it('makes each word singular: -ies to -y, -sses to -ss, -ches, -shes and -xes lose -es, a final s is dropped', () => {
    expect(normalize('Liquidation Cascades')).toBe('liquidation cascade');
    expect(normalize('penalties')).toBe('penalty');
    expect(normalize('losses')).toBe('loss');
    expect(normalize('crashes breaches indexes')).toBe('crash breach index');
    expect(normalize('Deleveraging Mechanics')).toBe('deleveraging mechanic');
    expect(normalize('Spirals')).toBe(normalize('spiral'));
  });

  it('keeps a final s after ss, us and is, so basis, status and loss stay whole', () => {
    expect(normalize('basis status loss analysis')).toBe('basis status loss analysis');
  });

  it('agrees on words whose singular keeps the e that their plural loses', () => {
    expect(normalize('avalanche')).toBe(normalize('avalanches'));
    expect(normalize('cache')).toBe(normalize('caches'));
  });

  it('spells British words the American way', () => {
    expect(normalize('Socialised loss')).toBe('socialized loss');
    expect(normalize('loss socialisation')).toBe('loss socialization');
    expect(normalize('organisational behaviour')).toBe('organizational behavior');
    expect(normalize('analysed modelled centre defence')).toBe('analyzed modeled center defense');
    expect(normalize('colourful labelling')).toBe('colorful labeling');
  });

  it('leaves words whose -ise is also American alone', () => {
    expect(normalize('precise exercise promise otherwise enterprise advise surprise rise')).toBe(
      'precise exercise promise otherwise enterprise advise surprise rise',
    );
  });

  it('is idempotent, so a name normalised twice still matches a query normalised once', () => {
    const word = fc.stringMatching(/^[a-z]{1,12}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), (parts) => {
        const once = normalize(parts.join(' '));
        expect(normalize(once)).toBe(once);
      }),
      { seed: 20251125, numRuns: 2000 },
    );
  });
});

describe('simplify', () => {
  it('lower-cases and separates words but keeps them as typed, for half-typed prefixes', () => {
    expect(simplify('Deleveraging-Cascades')).toBe('deleveraging cascades');
    expect(simplify('Socialis')).toBe('socialis');
  });
});

describe('compact', () => {
  it('drops the spaces of a key, so order book and orderbook agree', () => {
    expect(compact(normalize('Order-book depth'))).toBe(compact(normalize('orderbook depth')));
  });
});

describe('matchKeys', () => {
  it('yields the whole name, the part outside the parentheses and the part inside', () => {
    expect(matchKeys('ADL (Auto-Deleveraging)')).toEqual(['adl auto deleveraging', 'adl', 'auto deleveraging']);
    expect(matchKeys('Perpetual swap (perpetual future)')).toEqual([
      'perpetual swap perpetual future',
      'perpetual swap',
      'perpetual future',
    ]);
  });

  it('yields one key for a name without parentheses and none for a name of punctuation only', () => {
    expect(matchKeys('Deleveraging Spirals')).toEqual(['deleveraging spiral']);
    expect(matchKeys('?? ()')).toEqual([]);
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions as one edit each', () => {
    expect(editDistance('liqudation', 'liquidation', 3)).toBe(1);
    expect(editDistance('funding rat', 'funding rate', 3)).toBe(1);
    expect(editDistance('margni', 'margin', 3)).toBe(1);
    expect(editDistance('basis', 'bases', 3)).toBe(1);
    expect(editDistance('ald', 'adl', 3)).toBe(1);
    expect(editDistance('same', 'same', 0)).toBe(0);
  });

  it('stops at the bound and reports anything further as the bound plus one', () => {
    expect(editDistance('open interest', 'mark price', 2)).toBe(3);
    expect(editDistance('a', 'abcdef', 2)).toBe(3);
  });

  it('agrees with a plain unbounded computation whenever the distance is within the bound', () => {
    const reference = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
      );
      const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
          const row = d[i];
          if (row) row[j] = best;
        }
      }
      return at(a.length, b.length);
    };
    const text = fc.stringMatching(/^[abc ]{0,8}$/);
    fc.assert(
      fc.property(text, text, fc.integer({ min: 0, max: 4 }), (a, b, max) => {
        const exact = reference(a, b);
        expect(editDistance(a, b, max)).toBe(exact <= max ? exact : max + 1);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
