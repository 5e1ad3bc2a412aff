// A hand-written fake of the Glossary port: exact title matches only, so command tests do not depend on search.
import type { Glossary, GlossaryEntry } from '../../src/glossary/types.js';

export function glossaryEntry(overrides: Partial<GlossaryEntry> & { id: string }): GlossaryEntry {
  return {
    title: overrides.id,
    aliases: [],
    related: [],
    topic: 'spiral',
    tags: [],
    short: `Short definition of ${overrides.id}.`,
    explanation: `Explanation of ${overrides.id}.`,
    formula: null,
    example: `Example of ${overrides.id}.`,
    sources: [{ title: 'A source', url: 'https://example.org/source' }],
    live: null,
    ...overrides,
  };
}

export function fakeGlossary(entries: readonly GlossaryEntry[]): Glossary {
  const find = (query: string) => entries.find((e) => e.title.toLowerCase() === query.trim().toLowerCase());
  return {
    entries,
    byId: (id) => entries.find((e) => e.id === id),
    lookup: (query) => {
      const entry = find(query);
      return entry
        ? { kind: 'found', entry, matchedBy: 'title', alternatives: [] }
        : { kind: 'miss', query, suggestions: entries.slice(0, 2) };
    },
    autocomplete: (prefix, limit = 25) =>
      entries
        .filter((e) => e.title.toLowerCase().startsWith(prefix.toLowerCase()))
        .slice(0, limit)
        .map((e) => ({ id: e.id, label: e.title })),
  };
}
