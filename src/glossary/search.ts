// The glossary's search: exact names, typos, full text and autocomplete over a fixed set of entries. Pure.
// Everything that does not depend on the query is computed once in `createGlossary`; a lookup normalises the
// query and reads maps, so it stays far below a millisecond on a glossary of a few hundred names.
import { editDistance } from './distance.js';
import { compact, matchKeys, nameParts, normalize, normalizeWord, simplify, words } from './normalize.js';
import type { AutocompleteChoice, Glossary, GlossaryEntry, LookupResult } from './types.js';

/** Full text answers only when more than this share of the query's content words occur in the glossary. */
const MIN_KNOWN_WORD_SHARE = 0.5;
/** Longer queries are not searched: a miss with no suggestions. */
export const MAX_QUERY_CHARS = 200;
/** Discord's cap on autocomplete choices. */
export const DEFAULT_AUTOCOMPLETE_LIMIT = 25;
/** Discord's cap on an autocomplete choice's name. */
export const MAX_LABEL_CHARS = 100;
const MAX_SUGGESTIONS = 5;
const MAX_ALTERNATIVES = 4;
/** Full-text alternatives must score at least this share of the best entry's score. */
const ALTERNATIVE_SCORE_SHARE = 0.25;

/** Words that carry no meaning for the search, in their normalised form (`does` → `doe`, as queries have it). */
const STOP_WORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below ' +
    'between both but by can could define definition describe did do does doing done down during each else ' +
    'even every explain few for from further get gets had has have having he her here hers him his how i if ' +
    'in into is it its just let me mean meaning means more most much must my no nor not of off on once only ' +
    'or other our ours out over own please same shall she should so some such tell than that the their them ' +
    'then there these they this those through to too under until up us very was we were what whats when where ' +
    'which while who whom whose why will with would you your'
  )
    .split(' ')
    .map(normalizeWord),
);

/** A normalised key without its stop words; the key itself when it has nothing else. */
function contentForm(key: string): string {
  const kept = key.split(' ').filter((word) => !STOP_WORDS.has(word));
  return kept.length === 0 ? key : kept.join(' ');
}

/** Edits allowed between a typed name of `length` characters and the name it stands for. */
export function typoBudget(length: number): number {
  if (length < 4) return 0;
  if (length < 8) return 1;
  if (length < 16) return 2;
  return 3;
}

/** Edits allowed between a miss and the names it suggests: two more than a typo, at most half the query. */
function suggestionBudget(length: number): number {
  return Math.max(1, Math.min(typoBudget(length) + 2, Math.floor(length / 2)));
}

type NameKind = 'title' | 'alias';
const KIND_RANK: Record<NameKind, number> = { title: 0, alias: 1 };

interface Hit {
  entry: number;
  kind: NameKind;
}

/** One title or alias of one entry. */
interface Name extends Hit {
  text: string;
  /** `normalize(text)`: what ranks completions by length. */
  key: string;
  /** Compact forms (see `compact`) a prefix may start: every part's normalised and simplified spelling. */
  starts: string[];
  /** Compact forms starting at the second word or later of a part: where a word-start prefix may match. */
  inner: string[];
  label: string;
}

/** A name completing a typed prefix: tier 0 is the whole name, 1 its start, 2 the start of a later word. */
interface Completion {
  tier: number;
  name: Name;
}

interface Ranked {
  entry: number;
  score: number;
}

/** A map from a form of a name to the entry it names; `null` when two entries share the form. */
type NameMap = Map<string, Hit | null>;

function claim(map: NameMap, form: string, hit: Hit): void {
  if (form === '') return;
  const held = map.get(form);
  if (held === undefined) map.set(form, hit);
  else if (held !== null && held.entry !== hit.entry) map.set(form, null);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** The forms of one spelling of a name that a prefix may match: the whole, and from each later word on. */
function prefixForms(spelling: string, starts: Set<string>, inner: Set<string>): void {
  if (spelling === '') return;
  const parts = spelling.split(' ');
  starts.add(parts.join(''));
  for (let i = 1; i < parts.length; i++) inner.add(parts.slice(i).join(''));
}

function describeNames(entries: readonly GlossaryEntry[]): Name[] {
  const names: Name[] = [];
  const add = (entry: number, kind: NameKind, text: string, title: string): void => {
    const starts = new Set<string>();
    const inner = new Set<string>();
    for (const part of nameParts(text)) {
      const key = normalize(part);
      prefixForms(key, starts, inner);
      prefixForms(simplify(part), starts, inner);
      // So that a British prefix (`socialis`) still completes an American name (`Socialized loss`).
      if (key.includes('iz')) prefixForms(key.replaceAll('iz', 'is'), starts, inner);
    }
    const key = normalize(text);
    const label = kind === 'title' || key === normalize(title) ? title : `${text} — ${title}`;
    names.push({
      entry,
      kind,
      text,
      key,
      starts: [...starts],
      inner: [...inner].filter((form) => !starts.has(form)),
      label: truncate(label, MAX_LABEL_CHARS),
    });
  };
  // Titles first, so that where a title and an alias of the same entry agree, the title is the one kept.
  entries.forEach((entry, index) => add(index, 'title', entry.title, entry.title));
  entries.forEach((entry, index) => entry.aliases.forEach((alias) => add(index, 'alias', alias, entry.title)));
  return names;
}

/**
 * Full text: BM25 scored per field and summed with these weights, so that a word of the title counts on its
 * own rather than being drowned by a long explanation that repeats it.
 */
const TEXT_FIELDS = [
  { weight: 3, words: (entry: GlossaryEntry) => contentWords(entry.title) },
  // Each alias word once: twenty spellings of one concept should not outweigh the other fields.
  { weight: 2, words: (entry: GlossaryEntry) => [...new Set(entry.aliases.flatMap(contentWords))] },
  { weight: 1.5, words: (entry: GlossaryEntry) => contentWords(entry.short) },
  { weight: 1, words: (entry: GlossaryEntry) => contentWords(entry.explanation) },
  { weight: 1, words: (entry: GlossaryEntry) => entry.tags.flatMap(contentWords) },
] as const;
const BM25_K1 = 1.2;
const BM25_B = 0.75;

interface Posting {
  entry: number;
  field: number;
  frequency: number;
}

interface TextIndex {
  entryCount: number;
  /** Term → its inverse document frequency and its occurrences, one per entry and field. */
  postings: Map<string, { idf: number; list: Posting[] }>;
  /** Field → entry → length in words, divided by the field's average length. */
  relativeLengths: Float64Array[];
}

function contentWords(text: string): string[] {
  return words(text).filter((word) => !STOP_WORDS.has(word));
}

function buildTextIndex(entries: readonly GlossaryEntry[]): TextIndex {
  const lists = new Map<string, Posting[]>();
  const relativeLengths = TEXT_FIELDS.map(({ words: fieldWords }, field) => {
    const rows = entries.map(fieldWords);
    rows.forEach((terms, entry) => {
      const frequencies = new Map<string, number>();
      for (const term of terms) frequencies.set(term, (frequencies.get(term) ?? 0) + 1);
      for (const [term, frequency] of frequencies) {
        const list = lists.get(term) ?? [];
        list.push({ entry, field, frequency });
        lists.set(term, list);
      }
    });
    const average = Math.max(1, rows.reduce((sum, terms) => sum + terms.length, 0) / Math.max(1, rows.length));
    return Float64Array.from(rows, (terms) => terms.length / average);
  });
  const postings: TextIndex['postings'] = new Map();
  for (const [term, list] of lists) {
    const holders = new Set(list.map((posting) => posting.entry)).size;
    const idf = Math.log(1 + (entries.length - holders + 0.5) / (holders + 0.5));
    postings.set(term, { idf, list });
  }
  return { entryCount: entries.length, postings, relativeLengths };
}

/** Entries holding any content word of `query`, best first. */
function searchText(index: TextIndex, query: string): Ranked[] {
  const scores = new Float64Array(index.entryCount);
  for (const term of new Set(contentWords(query))) {
    const held = index.postings.get(term);
    if (held === undefined) continue;
    for (const { entry, field, frequency } of held.list) {
      const length = index.relativeLengths[field]?.[entry] ?? 1;
      const saturated = (frequency * (BM25_K1 + 1)) / (frequency + BM25_K1 * (1 - BM25_B + BM25_B * length));
      scores[entry] = (scores[entry] ?? 0) + (TEXT_FIELDS[field]?.weight ?? 0) * held.idf * saturated;
    }
  }
  const ranked: Ranked[] = [];
  scores.forEach((score, entry) => {
    if (score > 0) ranked.push({ entry, score });
  });
  return ranked.sort((a, b) => b.score - a.score || a.entry - b.entry);
}

/** The share of the query's content words that occur anywhere in the glossary. */
function knownShare(index: TextIndex, query: string): number {
  const terms = [...new Set(contentWords(query))];
  if (terms.length === 0) return 0;
  return terms.filter((term) => index.postings.has(term)).length / terms.length;
}

/** Builds the in-memory glossary and every index its lookups read. `entries` are assumed checked. */
export function createGlossary(entries: readonly GlossaryEntry[]): Glossary {
  const list = Object.freeze([...entries]);
  const byId = new Map(list.map((entry) => [entry.id, entry]));
  const names = describeNames(list);

  // Exact matches, tried in this order: the normalised name, then without spaces, then without stop words.
  const exactMaps: { form: (key: string) => string; map: NameMap }[] = [
    { form: (key) => key, map: new Map() },
    { form: compact, map: new Map() },
    { form: contentForm, map: new Map() },
  ];
  // Typo candidates: each entry's distinct content forms, with the best kind that has them.
  const typoForms = new Map<string, Hit[]>();
  for (const name of names) {
    for (const key of matchKeys(name.text)) {
      for (const { form, map } of exactMaps) claim(map, form(key), name);
      const content = contentForm(key);
      const hits = typoForms.get(content) ?? [];
      if (!hits.some((hit) => hit.entry === name.entry)) hits.push(name);
      typoForms.set(content, hits);
    }
  }
  const typoList = [...typoForms].map(([form, hits]) => ({ form, hits }));
  const textIndex = buildTextIndex(list);

  const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
  const alphabetical: AutocompleteChoice[] = [...list]
    .sort((a, b) => collator.compare(a.title, b.title))
    .map((entry) => ({ id: entry.id, label: truncate(entry.title, MAX_LABEL_CHARS) }));

  const entryAt = (index: number): GlossaryEntry => {
    const entry = list[index];
    if (entry === undefined) throw new Error(`no glossary entry at ${index}`);
    return entry;
  };

  /** Entries with a name within `budget(length)` edits of one of `forms`, nearest first, one row per entry. */
  function nearest(forms: readonly string[], budget: (length: number) => number): Ranked[] {
    const best = new Map<number, { distance: number; kind: NameKind }>();
    for (const query of forms) {
      const max = budget(query.length);
      if (max <= 0) continue;
      for (const { form, hits } of typoList) {
        const distance = editDistance(query, form, max);
        if (distance > max) continue;
        for (const hit of hits) {
          const held = best.get(hit.entry);
          if (held === undefined || distance < held.distance || (distance === held.distance && hit.kind === 'title')) {
            best.set(hit.entry, { distance, kind: hit.kind });
          }
        }
      }
    }
    return [...best]
      .sort(([ea, a], [eb, b]) => a.distance - b.distance || KIND_RANK[a.kind] - KIND_RANK[b.kind] || ea - eb)
      .map(([entry, { distance }]) => ({ entry, score: -distance }));
  }

  /** The best name of each entry that completes `typed`, best first (see `autocomplete`). */
  function complete(typed: string, cap: number): Name[] {
    const wanted = [...new Set([compact(normalize(typed)), compact(simplify(typed))])].filter((p) => p !== '');
    if (wanted.length === 0) return [];
    const starts = (forms: readonly string[]): boolean => forms.some((f) => wanted.some((p) => f.startsWith(p)));
    const tierOf = (name: Name): number => {
      if (name.starts.some((form) => wanted.includes(form))) return 0;
      if (starts(name.starts)) return 1;
      return starts(name.inner) ? 2 : -1;
    };
    const rank = (a: Completion, b: Completion): number =>
      a.tier - b.tier ||
      KIND_RANK[a.name.kind] - KIND_RANK[b.name.kind] ||
      a.name.key.length - b.name.key.length ||
      collator.compare(a.name.label, b.name.label);
    const best = new Map<number, Completion>();
    for (const name of names) {
      const tier = tierOf(name);
      if (tier < 0) continue;
      const held = best.get(name.entry);
      if (held === undefined || rank({ tier, name }, held) < 0) best.set(name.entry, { tier, name });
    }
    return [...best.values()]
      .sort(rank)
      .slice(0, cap)
      .map(({ name }) => name);
  }

  function autocomplete(prefix: string, limit: number = DEFAULT_AUTOCOMPLETE_LIMIT): AutocompleteChoice[] {
    const cap = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : DEFAULT_AUTOCOMPLETE_LIMIT;
    const typed = prefix.trim();
    if (typed.length > MAX_QUERY_CHARS || cap === 0) return [];
    if (compact(simplify(typed)) === '') return alphabetical.slice(0, cap);
    return complete(typed, cap).map((name) => ({ id: entryAt(name.entry).id, label: name.label }));
  }

  function lookup(query: string): LookupResult {
    const text = query.trim();
    const miss = (suggestions: readonly GlossaryEntry[]): LookupResult => ({ kind: 'miss', query, suggestions });
    if (text === '' || text.length > MAX_QUERY_CHARS) return miss([]);

    const asId = byId.get(text.toLowerCase());
    if (asId !== undefined) return { kind: 'found', entry: asId, matchedBy: 'title', alternatives: [] };

    const keys = matchKeys(text);
    if (keys.length === 0) return miss([]);
    for (const { form, map } of exactMaps) {
      for (const key of keys) {
        const hit = map.get(form(key));
        if (hit) return { kind: 'found', entry: entryAt(hit.entry), matchedBy: hit.kind, alternatives: [] };
      }
    }

    const contents = keys.map(contentForm);
    const [typo, ...otherTypos] = nearest(contents, typoBudget);
    if (typo !== undefined) {
      const alternatives = otherTypos.slice(0, MAX_ALTERNATIVES).map((r) => entryAt(r.entry));
      return { kind: 'found', entry: entryAt(typo.entry), matchedBy: 'typo', alternatives };
    }

    const ranked = searchText(textIndex, text);
    const [top, ...rest] = ranked;
    // A question is answered from the text only when most of its words are the glossary's own: "banana price"
    // shares one word with many entries and is better answered with suggestions.
    if (top !== undefined && knownShare(textIndex, text) > MIN_KNOWN_WORD_SHARE) {
      const alternatives = rest
        .filter((r) => r.score >= top.score * ALTERNATIVE_SCORE_SHARE)
        .slice(0, MAX_ALTERNATIVES)
        .map((r) => entryAt(r.entry));
      return { kind: 'found', entry: entryAt(top.entry), matchedBy: 'fulltext', alternatives };
    }

    // Nothing answered: suggest completions of what was typed, names a few edits further than a typo, then the
    // best text matches.
    const suggested = new Set(complete(text, MAX_SUGGESTIONS).map((name) => name.entry));
    const far = nearest(contents, suggestionBudget);
    for (const { entry } of far) suggested.add(entry);
    for (const { entry } of ranked.slice(0, MAX_SUGGESTIONS)) suggested.add(entry);
    return miss([...suggested].slice(0, MAX_SUGGESTIONS).map(entryAt));
  }

  return {
    entries: list,
    byId: (id) => byId.get(id),
    lookup,
    autocomplete,
  };
}
