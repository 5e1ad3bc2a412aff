import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGlossary, MAX_QUERY_CHARS } from '../../src/glossary/search.js';
import type { LookupResult } from '../../src/glossary/types.js';
import { anEntry, SEARCH_FIXTURE } from './fixtures.js';

const glossary = createGlossary(SEARCH_FIXTURE);

/** What a lookup found, as `id by matchedBy`, or `miss`. */
function found(query: string): string {
  const result = glossary.lookup(query);
  return result.kind === 'found' ? `${result.entry.id} by ${result.matchedBy}` : 'miss';
}

function ids(result: LookupResult): string[] {
  return result.kind === 'found' ? result.alternatives.map((e) => e.id) : result.suggestions.map((e) => e.id);
}

describe('lookup by name', () => {
  it('finds an entry by its title written in another case, with no alternatives', () => {
    expect(glossary.lookup('FUNDING RATE')).toEqual({
      kind: 'found',
      entry: glossary.byId('funding-rate'),
      matchedBy: 'title',
      alternatives: [],
    });
  });

  it('finds an entry by an alias written in another case and plural', () => {
    expect(found('DELEVERAGING CASCADES')).toBe('liquidation-cascade by alias');
    expect(found('liquidation cascades')).toBe('liquidation-cascade by title');
  });

  it('reads hyphens, underscores and slashes as spaces, and a compound written as one word as two', () => {
    expect(found('order book depth')).toBe('order-book-depth by title');
    expect(found('order_book/depth')).toBe('order-book-depth by title');
    expect(found('orderbook depth')).toBe('order-book-depth by title');
    expect(found('autodeleveraging')).toBe('auto-deleveraging by title');
  });

  it('finds American names from British spellings', () => {
    expect(found('Socialised Losses')).toBe('socialized-loss by title');
    expect(found('loss socialisation')).toBe('socialized-loss by alias');
    expect(found('herd behaviour')).toBe('herd-behavior by title');
  });

  it('answers to the whole of a parenthesised name and to each of its parts, on either side', () => {
    expect(found('ADL (Auto-Deleveraging)')).toBe('auto-deleveraging by alias');
    expect(found('auto deleveraging')).toBe('auto-deleveraging by title');
    expect(found('Perpetual future')).toBe('perpetual-swap by title');
    expect(found('perpetual swap')).toBe('perpetual-swap by title');
    expect(found('Funding rate (funding)')).toBe('funding-rate by title');
  });

  it('finds acronyms in any case and plural', () => {
    expect(found('ADL')).toBe('auto-deleveraging by alias');
    expect(found('adl')).toBe('auto-deleveraging by alias');
    expect(found('Oi')).toBe('open-interest by alias');
    expect(found('ADLs')).toBe('auto-deleveraging by alias');
  });

  it('finds an entry by its id, as the links of the term command write it', () => {
    expect(found('adl-ranking')).toBe('adl-ranking by title');
    expect(found(' Order-Book-Depth ')).toBe('order-book-depth by title');
  });

  it('finds a name inside a question made of it and stop words', () => {
    expect(found('What is open interest?')).toBe('open-interest by title');
    expect(found('what does ADL mean')).toBe('auto-deleveraging by alias');
  });
});

describe('lookup with typos', () => {
  it('corrects a letter missing, extra, wrong or swapped', () => {
    expect(found('liqudation cascade')).toBe('liquidation-cascade by typo');
    expect(found('funding rat')).toBe('funding-rate by typo');
    expect(found('auto delevraging')).toBe('auto-deleveraging by typo');
    expect(found('socialzied loss')).toBe('socialized-loss by typo');
    expect(found('Clawbakc')).toBe('socialized-loss by typo');
  });

  it('allows more edits in longer names: two in "liqudation cascdes", none in three letters', () => {
    expect(found('liqudation cascdes')).toBe('liquidation-cascade by typo');
    expect(found('ADK')).not.toBe('auto-deleveraging by typo');
    expect(found('ald')).toBe('miss');
  });

  it('prefers the nearest name and offers the other names within reach as alternatives', () => {
    const near = createGlossary([
      anEntry({ id: 'cross-margin', title: 'Cross margin' }),
      anEntry({ id: 'gross-margin', title: 'Gross margin' }),
    ]);
    const result = near.lookup('crss margin');
    expect(result).toMatchObject({ kind: 'found', matchedBy: 'typo', entry: { id: 'cross-margin' } });
    expect(ids(result)).toEqual(['gross-margin']);
  });
});

describe('lookup by full text', () => {
  it('answers a question about who pays when the insurance fund runs out', () => {
    const result = glossary.lookup('who pays when the insurance fund runs out');
    expect(result.kind === 'found' && result.matchedBy).toBe('fulltext');
    expect(result.kind === 'found' && result.entry.id).toMatch(/^(insurance-fund|socialized-loss|auto-deleveraging)$/);
    expect(ids(result)).toEqual(expect.arrayContaining(['socialized-loss']));
  });

  it('answers a question about very positive funding, offering the next best entries as alternatives', () => {
    const result = glossary.lookup('what happens when funding is very positive');
    expect(result).toMatchObject({ kind: 'found', matchedBy: 'fulltext', entry: { id: 'funding-rate' } });
    expect(ids(result)[0]).toBe('long-squeeze');
    expect(ids(result)).not.toContain('funding-rate');
  });

  it('offers at most four alternatives, each scoring at least a quarter of the best', () => {
    const crowd = createGlossary(
      Array.from({ length: 9 }, (_, i) =>
        anEntry({ id: `entry-${i}`, title: `Entry ${i}`, explanation: i === 8 ? 'Other words.' : 'Crowded longs.' }),
      ),
    );
    const result = crowd.lookup('crowded');
    expect(result).toMatchObject({ kind: 'found', matchedBy: 'fulltext', entry: { id: 'entry-0' } });
    expect(ids(result)).toEqual(['entry-1', 'entry-2', 'entry-3', 'entry-4']);
  });

  it('normalises the words of the question as it normalises the entries: plural, British, punctuation', () => {
    expect(found('Which traders get their profits socialised?')).toBe('socialized-loss by fulltext');
  });
});

describe('lookup misses', () => {
  it('suggests completions of a word the glossary has no entry for', () => {
    const result = glossary.lookup('liquid');
    expect(result.kind).toBe('miss');
    expect(ids(result)[0]).toBe('liquidation-cascade');
  });

  it('suggests names a few edits away when nothing else scores', () => {
    expect(glossary.lookup('ald')).toEqual({ kind: 'miss', query: 'ald', suggestions: [glossary.byId('auto-deleveraging')] });
  });

  it('suggests at most five entries', () => {
    const many = createGlossary(
      Array.from({ length: 8 }, (_, i) => anEntry({ id: `spiral-${i}`, title: `Spiral ${i}`, explanation: 'x' })),
    );
    const result = many.lookup('spir');
    expect(result.kind).toBe('miss');
    expect(ids(result)).toHaveLength(5);
  });

  it('suggests nothing for words unlike any name', () => {
    expect(glossary.lookup('pizza delivery')).toEqual({ kind: 'miss', query: 'pizza delivery', suggestions: [] });
  });

  it('treats an empty, blank, punctuation-only or over-long query as a miss with no suggestions', () => {
    for (const query of ['', '   ', '?!', 'funding '.repeat(30)]) {
      expect(glossary.lookup(query)).toEqual({ kind: 'miss', query, suggestions: [] });
    }
  });

  it(`still searches a query of exactly ${MAX_QUERY_CHARS} characters`, () => {
    const query = `${'x'.repeat(MAX_QUERY_CHARS - ' open interest'.length)} open interest`;
    expect(query).toHaveLength(MAX_QUERY_CHARS);
    expect(found(query)).toBe('open-interest by fulltext');
  });

  it('never throws, whatever the query', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 260 }), (query) => {
        const result = glossary.lookup(query);
        expect(['found', 'miss']).toContain(result.kind);
        if (result.kind === 'miss') expect(result.suggestions.length).toBeLessThanOrEqual(5);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe('autocomplete', () => {
  const labels = (prefix: string, limit?: number): string[] => glossary.autocomplete(prefix, limit).map((c) => c.label);

  it('lists a name the prefix completes before names it starts, and those before names with a later word it starts', () => {
    expect(glossary.autocomplete('adl')).toEqual([
      { id: 'auto-deleveraging', label: 'ADL (Auto-Deleveraging) — Auto-deleveraging' },
      { id: 'adl-ranking', label: 'ADL ranking' },
    ]);
    expect(labels('de')).toEqual([
      'Deleveraging Cascade — Liquidation cascade',
      'Order-book depth',
      'Auto-deleveraging',
    ]);
    expect(labels('cascade')).toEqual(['Liquidation cascade']);
  });

  it('shows one choice per entry, preferring its title to an alias, and ranks titles first, shorter first', () => {
    expect(labels('p')).toEqual(['Perpetual swap (perpetual future)', 'Premium — Basis']);
    expect(labels('s')).toEqual(['Socialized loss', 'Long squeeze', 'Perpetual swap (perpetual future)']);
    expect(labels('liquidation')).toEqual(['Liquidation cascade']);
  });

  it('matches whatever the case, hyphens, plural or British spelling of the prefix', () => {
    expect(labels('AUTO-DEL')).toEqual(['Auto-deleveraging']);
    expect(labels('order b')).toEqual(['Order-book depth']);
    expect(labels('orderb')).toEqual(['Order-book depth']);
    expect(labels('Liquidation Cascades')).toEqual(['Liquidation cascade']);
    expect(labels('socialis')).toEqual(['Socialized loss']);
    expect(labels('loss socialisa')).toEqual(['Loss socialization — Socialized loss']);
  });

  it('returns at most the limit, 25 by default', () => {
    const many = createGlossary(Array.from({ length: 40 }, (_, i) => anEntry({ id: `s-${i}`, title: `Spiral ${i}` })));
    expect(many.autocomplete('spiral')).toHaveLength(25);
    expect(many.autocomplete('spiral', 3).map((c) => c.label)).toEqual(['Spiral 0', 'Spiral 1', 'Spiral 2']);
    expect(many.autocomplete('spiral', 0)).toEqual([]);
  });

  it('lists the first entries alphabetically for an empty prefix', () => {
    expect(labels('', 4)).toEqual(['ADL ranking', 'Auto-deleveraging', 'Basis', 'Funding rate']);
    expect(labels('  ')).toHaveLength(SEARCH_FIXTURE.length);
  });

  it('returns nothing for a prefix that completes no name or is over-long', () => {
    expect(labels('zz')).toEqual([]);
    expect(labels('a'.repeat(MAX_QUERY_CHARS + 1))).toEqual([]);
  });

  it('cuts a label to the 100 characters a Discord choice can show', () => {
    const long = createGlossary([anEntry({ id: 'long', title: `Long ${'name '.repeat(30)}` })]);
    const [choice] = long.autocomplete('long');
    expect(choice?.label).toHaveLength(100);
    expect(choice?.label.endsWith('…')).toBe(true);
  });
});

describe('byId and entries', () => {
  it('returns entries by id, and undefined for an unknown id', () => {
    expect(glossary.byId('basis')?.title).toBe('Basis');
    expect(glossary.byId('nope')).toBeUndefined();
    expect(glossary.entries).toHaveLength(SEARCH_FIXTURE.length);
  });
});
