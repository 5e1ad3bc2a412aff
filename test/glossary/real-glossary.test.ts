// The repository's own `glossary/`: it loads without problems, and it answers every name the product's term
// list asks for. Search behaviour itself is pinned down on fixtures in `search.test.ts`.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GlossaryError, loadGlossary } from '../../src/glossary/load.js';
import { createGlossary } from '../../src/glossary/search.js';
import type { Glossary, GlossaryEntry } from '../../src/glossary/types.js';
import { HEADINGS, namesInSection, SUPPORTING_TERM_NAMES, SUPPORTING_TERMS } from './headings.js';

/** The glossary, or an empty one and the problems, so that the first test lists them all as its failure. */
function load(): { glossary: Glossary; problems: readonly string[] } {
  try {
    return { glossary: loadGlossary(), problems: [] };
  } catch (error) {
    if (error instanceof GlossaryError) return { glossary: createGlossary([]), problems: error.problems };
    throw error;
  }
}
const { glossary, problems } = load();
const TERMS_FILE = fileURLToPath(new URL('../../../shared/glossary-terms.md', import.meta.url));

/** The entry `name` finds as a title or an alias; fails with what the lookup did instead. */
function entryNamed(name: string): GlossaryEntry {
  const result = glossary.lookup(name);
  if (result.kind === 'found' && (result.matchedBy === 'title' || result.matchedBy === 'alias')) return result.entry;
  const got = result.kind === 'found' ? `${result.entry.id} by ${result.matchedBy}` : 'a miss';
  throw new Error(`"${name}" is no entry's title or alias (the lookup gave ${got})`);
}

describe('the glossary folder', () => {
  it('loads without problems', () => {
    expect(problems).toEqual([]);
    expect(glossary.entries.length).toBeGreaterThan(0);
  });

  it('gives each entry a title and aliases that look up that entry', () => {
    for (const entry of glossary.entries) {
      for (const name of [entry.title, ...entry.aliases, entry.id]) expect(entryNamed(name).id, name).toBe(entry.id);
    }
  });
});

describe.skipIf(!existsSync(TERMS_FILE))('the embedded term list', () => {
  const terms = existsSync(TERMS_FILE) ? readFileSync(TERMS_FILE, 'utf8') : '';

  it('equals the headings of ../shared/glossary-terms.md', () => {
    expect(namesInSection(terms, 'Headings from the source material')).toEqual([...HEADINGS]);
  });

  it('equals the supporting terms of ../shared/glossary-terms.md', () => {
    expect(namesInSection(terms, 'Supporting terms')).toEqual([...SUPPORTING_TERMS]);
  });
});

describe('every heading of the source material', () => {
  it.each(HEADINGS)('resolves "%s" to an entry by its title or an alias', (heading) => {
    expect(glossary.entries).toContain(entryNamed(heading));
  });

  it.each(HEADINGS)('resolves "%s" whatever its capitals, number and hyphens', (heading) => {
    const id = entryNamed(heading).id;
    const variants = [
      heading.toLowerCase(),
      heading.toUpperCase(),
      heading.replaceAll('-', ' '),
      heading.replaceAll(' ', '-'),
    ];
    // The other number of a name that ends in a word: "Deleveraging Cycles" and "Deleveraging Cycle".
    if (/[a-z]$/i.test(heading)) variants.push(heading.endsWith('s') ? heading.slice(0, -1) : `${heading}s`);
    for (const variant of variants) expect(entryNamed(variant).id, variant).toBe(id);
  });
});

describe('every supporting term', () => {
  it.each(SUPPORTING_TERMS)('resolves "%s" to an entry by its title or an alias', (term) => {
    const names = SUPPORTING_TERM_NAMES[term] ?? [term];
    const found = names.map((name) => entryNamed(name).id);
    expect(new Set(found).size, `${names.join(' and ')} name one entry`).toBe(1);
  });
});

describe('questions to the real glossary', () => {
  it('answers a question in its own words from the text', () => {
    const result = glossary.lookup('who pays when the insurance fund runs out');
    expect(result.kind === 'found' && result.matchedBy).toBe('fulltext');
    expect(result.kind === 'found' && result.entry.id).toBe('insurance-fund');
  });

  it('answers a query sharing only one common word with the glossary with suggestions, not a guess', () => {
    const result = glossary.lookup('banana price');
    expect(result.kind).toBe('miss');
    expect(result.kind === 'miss' && result.suggestions.map((s) => s.id)).toContain('index-price');
  });
});
